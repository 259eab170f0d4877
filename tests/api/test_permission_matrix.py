"""Who may do what, for every route of the v1 API: generated from the URL configuration.

Every (route, method) under `api/v1/` must have a row in EXPECTED, so a new endpoint
without one fails `test_matrix_has_a_row_for_every_api_endpoint`. Each row gives, per
object and per caller (CALLERS, in column order), the exact status API.md promises:
401 anonymous on protected endpoints, 404 for objects the caller may not see, 403 for
a visible object the caller may not act on, 409 where API.md names a state conflict.

The people and objects (one organization "bridges", built with factories and services):
- callers: anonymous; a participant with no relation; an applicant (pending, to the
  published program); an accepted participant of the published program; a facilitator
  assigned to the draft's session and to the published program's first session; a
  coordinator and the owner of bridges; the owner of another organization, acting on
  bridges' objects.
- objects: "draft" and "published" programs (sides, sessions; the published one with
  applications, RSVPs, an outcome, a second accepted participant and a round of dialogue
  groups), "unassigned" a second session of the published
  program that the facilitator does not run, "org" bridges itself (and its facilitator's
  membership, and an open invitation to it), "none" for routes about the caller or nothing.

The world is built once per module inside a transaction; every test runs in a savepoint
rolled back afterwards, so destructive requests always meet fresh objects.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from dialogues import services as session_services
from dialogues.evaluation import services as evaluation_services
from dialogues.groups import services as group_services
from exchanges import services
from exchanges.incidents import services as incident_services
from participants.models import User
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    program_with_sides,
)

API_PREFIX = "api/v1/"
NOT_ENDPOINTS = {"api/v1/schema/", "api/v1/docs/", "api/v1/^.*$"}  # the doc pages, catch-all
DERIVED_METHODS = {"head", "options", "trace"}

CALLERS = ("anonymous", "participant", "applicant", "accepted", "facilitator", "coordinator",
           "owner", "other_owner", "custodian")

# --- The routes, read from the URL configuration ---------------------------------------


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback


def _methods(callback) -> list[str]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:  # a function view: one row, for GET
        return ["GET"]
    return [method.upper() for method in view_class.http_method_names
            if method not in DERIVED_METHODS and hasattr(view_class, method)]


def api_endpoints() -> set[tuple[str, str]]:
    return {
        (route, method)
        for route, callback in _walk(get_resolver().url_patterns)
        if route.startswith(API_PREFIX) and route not in NOT_ENDPOINTS
        for method in _methods(callback)
    }


# --- The table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    statuses: dict[str, tuple[int, ...]]  # object → one status per caller, as CALLERS
    body: Callable[[SimpleNamespace, str], object] | None = field(default=None)


ROW_CALLERS = len(CALLERS) - 1  # the rows' own columns; the custodian's is added below


def _same(status: int) -> tuple[int, ...]:
    return (status,) * ROW_CALLERS


def _signed_in(status: int) -> tuple[int, ...]:
    return (401,) + (status,) * (ROW_CALLERS - 1)


def _per_caller(**statuses: int) -> tuple[int, ...]:
    """One status per caller in CALLERS order, named; callers not (yet) in CALLERS are
    left out, so a row can already say what a custodian gets."""
    return tuple(statuses[caller] for caller in CALLERS)


def _new_program(w, obj):
    return {"organization": "bridges", "title": "New exchange", "kind": "sports",
            "starts_on": "2031-01-01", "ends_on": "2031-01-05", "capacity": 4,
            "sides": [{"name": "East"}, {"name": "West"}]}


def _new_session(w, obj):
    day = (timezone.localdate() + timedelta(days=14)).isoformat()  # within the program
    return {"title": "Evening circle", "format": "storytelling",
            "starts_at": f"{day}T18:00:00+02:00", "ends_at": f"{day}T20:00:00+02:00",
            "timezone": "Asia/Nicosia"}


def _attendance(w, obj):
    if obj == "draft":  # no one can answer a draft's session: an empty list is the valid body
        return []
    return [{"participant": w.users["accepted"], "attended": True}]


# Columns: anonymous, participant, applicant, accepted, facilitator, coordinator, owner,
# other_owner.
HIDDEN_DRAFT = (404, 404, 404, 404, 200, 200, 200, 404)  # readable by bridges' members only
MEMBERS_ONLY = (401, 404, 404, 404, 200, 200, 200, 404)
OWNER_ACTS = {"org": (401, 404, 404, 404, 403, 403, 200, 404)}
STAFF_ON_DRAFT = (401, 404, 404, 404, 403, 200, 200, 404)
STAFF_ON_PUBLISHED = (401, 403, 403, 403, 403, 200, 200, 403)
RUNNERS_ON_PUBLISHED = (401, 403, 403, 403, 200, 200, 200, 403)  # staff + assigned facilitator
CONFLICT_ON_DRAFT = (401, 404, 404, 404, 403, 409, 409, 404)
CONFLICT_ON_PUBLISHED = (401, 403, 403, 403, 403, 409, 409, 403)
DECIDE = {"published": (401, 404, 403, 404, 404, 200, 200, 404)}
# "minor": a pending application to the published program whose guardian has not answered.
DECIDE_MINOR = (401, 404, 404, 404, 404, 200, 200, 404)
SESSION_RUN = {"draft": MEMBERS_ONLY, "published": RUNNERS_ON_PUBLISHED,
               "unassigned": STAFF_ON_PUBLISHED}
RSVP_CONFLICT = (401, 409, 409, 200, 409, 409, 409, 409)
# Evaluation: the published program has one (its `pre` wave open), the draft none.
NO_EVALUATION_FOR_STAFF = (401, 404, 404, 404, 403, 404, 404, 404)
NO_EVALUATION = (401, 404, 404, 404, 404, 404, 404, 404)
STAFF_EVALUATION = {"draft": NO_EVALUATION_FOR_STAFF, "published": STAFF_ON_PUBLISHED}
ACCEPTED_ONLY = (401, 409, 409, 200, 409, 409, 409, 409)  # not_accepted for the others
# Incidents: Erin (accepted) reported one in the published program. Custodians and owners
# see every incident; anyone else who can see the program, only their own (none: 200 []).
INCIDENTS_READ = {
    "draft": _per_caller(anonymous=401, participant=404, applicant=404, accepted=404,
                         facilitator=200, coordinator=200, owner=200, other_owner=404,
                         custodian=200),
    "published": _per_caller(anonymous=401, participant=200, applicant=200, accepted=200,
                             facilitator=200, coordinator=200, owner=200, other_owner=200,
                             custodian=200)}
INCIDENTS_REPORT = {  # members of the organization and accepted participants
    "draft": _per_caller(anonymous=401, participant=404, applicant=404, accepted=404,
                         facilitator=201, coordinator=201, owner=201, other_owner=404,
                         custodian=201),
    "published": _per_caller(anonymous=401, participant=403, applicant=403, accepted=201,
                             facilitator=201, coordinator=201, owner=201, other_owner=403,
                             custodian=201)}
INCIDENT_SEEN = {"published": _per_caller(  # the reporter, custodians and owners
    anonymous=401, participant=404, applicant=404, accepted=200, facilitator=404,
    coordinator=404, owner=200, other_owner=404, custodian=200)}
INCIDENT_WORKED = {"published": _per_caller(  # the reporter sees it but does not work it
    anonymous=401, participant=404, applicant=404, accepted=403, facilitator=404,
    coordinator=404, owner=200, other_owner=404, custodian=200)}

EXPECTED: dict[tuple[str, str], Row] = {
    # Accounts
    ("api/v1/auth/register/", "POST"): Row(
        {"none": _same(201)},
        lambda w, obj: {"email": "newcomer@example.net", "password": PASSWORD,
                        "display_name": "Newcomer"}),
    ("api/v1/auth/token/", "POST"): Row(
        {"none": _same(200)}, lambda w, obj: {"email": "bob@example.org", "password": PASSWORD}),
    ("api/v1/me/", "GET"): Row({"none": _signed_in(200)}),
    ("api/v1/me/", "PATCH"): Row({"none": _signed_in(200)},
                                 lambda w, obj: {"display_name": "New name"}),
    ("api/v1/me/", "DELETE"): Row(
        {"none": (401, 204, 204, 204, 204, 204, 409, 409)},  # sole owners: 409 sole_owner
        lambda w, obj: {"password": PASSWORD}),
    ("api/v1/me/export/", "GET"): Row({"none": _signed_in(200)}),
    ("api/v1/me/notifications/", "GET"): Row({"none": _signed_in(200)}),
    # Organizations
    ("api/v1/organizations/", "GET"): Row({"none": _signed_in(200)}),
    ("api/v1/organizations/", "POST"): Row({"none": _signed_in(201)},
                                           lambda w, obj: {"name": "New NGO"}),
    ("api/v1/organizations/<slug:slug>/", "GET"): Row({"org": MEMBERS_ONLY}),
    ("api/v1/organizations/<slug:slug>/", "PATCH"): Row(
        OWNER_ACTS, lambda w, obj: {"description": "Bridges across the line."}),
    ("api/v1/organizations/<slug:slug>/members/", "GET"): Row({"org": MEMBERS_ONLY}),
    ("api/v1/organizations/<slug:slug>/members/", "POST"): Row(
        {"org": (401, 404, 404, 404, 403, 403, 201, 404)},
        lambda w, obj: {"email": "newcomer@example.org", "role": "facilitator"}),
    ("api/v1/organizations/<slug:slug>/members/<int:pk>/", "PATCH"): Row(
        OWNER_ACTS, lambda w, obj: {"role": "coordinator"}),
    ("api/v1/organizations/<slug:slug>/members/<int:pk>/", "DELETE"): Row(
        {"org": (401, 404, 404, 404, 403, 403, 204, 404)}),
    # Invitations: "org" is an open invitation to bridges (anyone holding its token);
    # bridges' members accepting it are already members (409 already_member)
    ("api/v1/invitations/<str:token>/", "GET"): Row({"org": _same(200)}),
    ("api/v1/invitations/<str:token>/accept/", "POST"): Row(
        {"org": (401, 200, 200, 200, 409, 409, 409, 200)}),
    ("api/v1/invitations/<str:token>/decline/", "POST"): Row({"org": _same(200)}),
    # Programs
    ("api/v1/programs/", "GET"): Row({"none": _same(200)}),
    ("api/v1/programs/", "POST"): Row(
        {"none": (401, 400, 400, 400, 403, 201, 201, 400)},  # 400: not a member of `bridges`
        _new_program),
    ("api/v1/programs/<int:pk>/", "GET"): Row({"draft": HIDDEN_DRAFT, "published": _same(200)}),
    ("api/v1/programs/<int:pk>/", "PATCH"): Row(
        {"draft": STAFF_ON_DRAFT, "published": STAFF_ON_PUBLISHED},
        lambda w, obj: {"title": "Renamed"}),
    ("api/v1/programs/<int:pk>/", "DELETE"): Row(
        {"draft": (401, 404, 404, 404, 403, 204, 204, 404), "published": CONFLICT_ON_PUBLISHED}),
    ("api/v1/programs/<int:pk>/publish/", "POST"): Row(
        {"draft": STAFF_ON_DRAFT, "published": CONFLICT_ON_PUBLISHED}),
    ("api/v1/programs/<int:pk>/close/", "POST"): Row(
        {"draft": CONFLICT_ON_DRAFT, "published": STAFF_ON_PUBLISHED}),
    ("api/v1/programs/<int:pk>/archive/", "POST"): Row(
        {"draft": CONFLICT_ON_DRAFT, "published": CONFLICT_ON_PUBLISHED}),
    ("api/v1/programs/<int:pk>/applications/", "GET"): Row(
        {"draft": MEMBERS_ONLY, "published": _signed_in(200)}),
    ("api/v1/programs/<int:pk>/applications/", "POST"): Row(
        {"draft": (401, 404, 404, 404, 409, 409, 409, 404),  # not_open
         "published": (401, 201, 409, 409, 201, 201, 201, 201)},  # already_applied
        lambda w, obj: {"side": w.first_side[obj]}),
    ("api/v1/programs/<int:pk>/sessions/", "GET"): Row(
        {"draft": HIDDEN_DRAFT, "published": _same(200)}),
    ("api/v1/programs/<int:pk>/sessions/", "POST"): Row(
        {"draft": (401, 404, 404, 404, 403, 201, 201, 404),
         "published": (401, 403, 403, 403, 403, 201, 201, 403)},
        _new_session),
    ("api/v1/programs/<int:pk>/reminders/", "GET"): Row(  # bridges' members
        {"draft": MEMBERS_ONLY, "published": (401, 403, 403, 403, 200, 200, 200, 403)}),
    ("api/v1/programs/<int:pk>/reminders/", "PUT"): Row(
        {"draft": STAFF_ON_DRAFT, "published": STAFF_ON_PUBLISHED},
        lambda w, obj: [{"kind": "session_reminder", "offset_minutes": -90}]),
    # Applications: the applicant's pending application to the published program
    ("api/v1/applications/<int:pk>/", "GET"): Row(
        {"published": (401, 404, 200, 404, 404, 200, 200, 404)}),
    ("api/v1/applications/<int:pk>/accept/", "POST"): Row(
        {**DECIDE, "minor": (401, 404, 404, 404, 404, 409, 409, 404)}),  # consent_required
    ("api/v1/applications/<int:pk>/waitlist/", "POST"): Row({**DECIDE, "minor": DECIDE_MINOR}),
    ("api/v1/applications/<int:pk>/decline/", "POST"): Row({**DECIDE, "minor": DECIDE_MINOR}),
    # The guardian's link: anyone holding the token reads it and answers once.
    ("api/v1/guardian-consent/<str:token>/", "GET"): Row({"minor": _same(200)}),
    ("api/v1/guardian-consent/<str:token>/", "POST"): Row(
        {"minor": _same(200)},
        lambda w, obj: {"decision": "given", "guardian_name": "Grace Guardian"}),
    ("api/v1/applications/<int:pk>/withdraw/", "POST"): Row(
        {"published": (401, 404, 200, 404, 404, 403, 403, 404)}),
    # Sessions
    ("api/v1/sessions/<int:pk>/", "GET"): Row(
        {"draft": HIDDEN_DRAFT, "published": _same(200), "unassigned": _same(200)}),
    ("api/v1/sessions/<int:pk>/", "PATCH"): Row(
        SESSION_RUN, lambda w, obj: {"ground_rules": "We listen first."}),
    ("api/v1/sessions/<int:pk>/cancel/", "POST"): Row(
        {"draft": STAFF_ON_DRAFT, "published": STAFF_ON_PUBLISHED,
         "unassigned": STAFF_ON_PUBLISHED},
        lambda w, obj: {"reason": "Storm warning"}),
    ("api/v1/sessions/<int:pk>/rsvp/", "POST"): Row(
        {"draft": (401, 404, 404, 404, 409, 409, 409, 404),  # not_accepted
         "published": RSVP_CONFLICT, "unassigned": RSVP_CONFLICT},
        lambda w, obj: {"response": "yes", "accept_ground_rules": True}),
    ("api/v1/sessions/<int:pk>/attendees/", "GET"): Row(SESSION_RUN),
    ("api/v1/sessions/<int:pk>/attendance/", "POST"): Row(SESSION_RUN, _attendance),
    ("api/v1/sessions/<int:pk>/outcomes/", "GET"): Row(
        {"draft": MEMBERS_ONLY, "published": (401, 403, 403, 200, 200, 200, 200, 403),
         "unassigned": (401, 403, 403, 200, 403, 200, 200, 403)}),
    ("api/v1/sessions/<int:pk>/outcomes/", "POST"): Row(
        {"draft": (401, 404, 404, 404, 201, 201, 201, 404),
         "published": (401, 403, 403, 403, 201, 201, 201, 403),
         "unassigned": (401, 403, 403, 403, 403, 201, 201, 403)},
        lambda w, obj: {"kind": "idea", "text": "Meet again in spring."}),
    ("api/v1/sessions/<int:pk>/calendar.ics", "GET"): Row(
        {"draft": HIDDEN_DRAFT, "published": _same(200), "unassigned": _same(200)}),
    # Groups: the published program has a round (Erin and Gus accepted); the draft none.
    ("api/v1/programs/<int:pk>/groups/", "GET"): Row(
        {"draft": (401, 404, 404, 404, 403, 200, 200, 404),
         "published": (401, 403, 403, 200, 403, 200, 200, 403)}),  # accepted: own group
    ("api/v1/programs/<int:pk>/groups/", "POST"): Row(
        {"draft": CONFLICT_ON_DRAFT,  # fewer than 2 accepted: invalid_transition
         "published": (401, 403, 403, 403, 403, 201, 201, 403)},
        lambda w, obj: {"size": 3}),
    ("api/v1/programs/<int:pk>/groups/<int:number>/repair/", "POST"): Row(
        {"draft": (401, 404, 404, 404, 403, 404, 404, 404),  # no round 1 in the draft
         "published": STAFF_ON_PUBLISHED}),
    ("api/v1/groups/<int:pk>/members/", "POST"): Row(
        {"published": STAFF_ON_PUBLISHED},
        lambda w, obj: {"participant": w.users["accepted"], "locked": True}),
    # Evaluation
    ("api/v1/instruments/", "GET"): Row({"none": _signed_in(200)}),
    ("api/v1/me/surveys/", "GET"): Row({"none": _signed_in(200)}),
    ("api/v1/programs/<int:pk>/evaluation/", "GET"): Row(STAFF_EVALUATION),
    ("api/v1/programs/<int:pk>/evaluation/", "PUT"): Row(
        {"draft": STAFF_ON_DRAFT, "published": STAFF_ON_PUBLISHED},
        lambda w, obj: {"instruments": ["thermometer", "trust"], "followups": [1]}),
    ("api/v1/programs/<int:pk>/evaluation/waves/<str:wave>/open/", "POST"): Row(
        {"draft": NO_EVALUATION_FOR_STAFF, "published": CONFLICT_ON_PUBLISHED}),  # pre is open
    ("api/v1/programs/<int:pk>/evaluation/waves/<str:wave>/close/", "POST"): Row(
        STAFF_EVALUATION),
    ("api/v1/programs/<int:pk>/evaluation/waves/<str:wave>/responses/", "POST"): Row(
        {"draft": NO_EVALUATION,
         "published": (401, 409, 409, 201, 409, 409, 409, 409)},  # not_accepted
        lambda w, obj: {"consent": True, "answers": {"thermometer.1": 55}}),
    ("api/v1/programs/<int:pk>/evaluation/decline/", "POST"): Row(
        {"draft": NO_EVALUATION, "published": ACCEPTED_ONLY}),
    ("api/v1/programs/<int:pk>/evaluation/results/", "GET"): Row(STAFF_EVALUATION),
    ("api/v1/programs/<int:pk>/evaluation/results.csv", "GET"): Row(STAFF_EVALUATION),
    ("api/v1/programs/<int:pk>/evaluation/responses.csv", "GET"): Row(  # owners only
        {"draft": (401, 404, 404, 404, 403, 403, 404, 404),
         "published": (401, 403, 403, 403, 403, 403, 200, 403)}),
    # Incidents
    ("api/v1/programs/<int:pk>/incidents/", "GET"): Row(INCIDENTS_READ),
    ("api/v1/programs/<int:pk>/incidents/", "POST"): Row(
        INCIDENTS_REPORT, lambda w, obj: {"kind": "threat", "description": "A message."}),
    ("api/v1/incidents/<int:pk>/", "GET"): Row(INCIDENT_SEEN),
    ("api/v1/incidents/<int:pk>/", "PATCH"): Row(
        INCIDENT_WORKED, lambda w, obj: {"status": "reviewing"}),
}

# The custodian of bridges (last column): reads programs, applications and sessions as
# staff do, changes nothing (403 on what they can see), reveals identities. Their status
# per row and object, added to the rows above.
_R = 403  # refused: a custodian changes nothing
CUSTODIAN: dict[tuple[str, str], dict[str, int]] = {
    ("api/v1/auth/register/", "POST"): {"none": 201},
    ("api/v1/auth/token/", "POST"): {"none": 200},
    ("api/v1/me/", "GET"): {"none": 200},
    ("api/v1/me/", "PATCH"): {"none": 200},
    ("api/v1/me/", "DELETE"): {"none": 204},
    ("api/v1/me/export/", "GET"): {"none": 200},
    ("api/v1/me/notifications/", "GET"): {"none": 200},
    ("api/v1/organizations/", "GET"): {"none": 200},
    ("api/v1/organizations/", "POST"): {"none": 201},
    ("api/v1/organizations/<slug:slug>/", "GET"): {"org": 200},
    ("api/v1/organizations/<slug:slug>/", "PATCH"): {"org": _R},
    ("api/v1/organizations/<slug:slug>/members/", "GET"): {"org": 200},
    ("api/v1/organizations/<slug:slug>/members/", "POST"): {"org": _R},
    ("api/v1/organizations/<slug:slug>/members/<int:pk>/", "PATCH"): {"org": _R},
    ("api/v1/organizations/<slug:slug>/members/<int:pk>/", "DELETE"): {"org": _R},
    ("api/v1/invitations/<str:token>/", "GET"): {"org": 200},
    ("api/v1/invitations/<str:token>/accept/", "POST"): {"org": 409},
    ("api/v1/invitations/<str:token>/decline/", "POST"): {"org": 200},
    ("api/v1/programs/", "GET"): {"none": 200},
    ("api/v1/programs/", "POST"): {"none": _R},
    ("api/v1/programs/<int:pk>/", "GET"): {"draft": 200, "published": 200},
    ("api/v1/programs/<int:pk>/", "PATCH"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/", "DELETE"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/publish/", "POST"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/close/", "POST"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/archive/", "POST"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/applications/", "GET"): {"draft": 200, "published": 200},
    ("api/v1/programs/<int:pk>/applications/", "POST"): {"draft": 409, "published": 201},
    ("api/v1/programs/<int:pk>/sessions/", "GET"): {"draft": 200, "published": 200},
    ("api/v1/programs/<int:pk>/sessions/", "POST"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/reminders/", "GET"): {"draft": 200, "published": 200},
    ("api/v1/programs/<int:pk>/reminders/", "PUT"): {"draft": _R, "published": _R},
    ("api/v1/applications/<int:pk>/", "GET"): {"published": 200},
    ("api/v1/applications/<int:pk>/accept/", "POST"): {"published": _R},
    ("api/v1/applications/<int:pk>/waitlist/", "POST"): {"published": _R},
    ("api/v1/applications/<int:pk>/decline/", "POST"): {"published": _R},
    ("api/v1/applications/<int:pk>/withdraw/", "POST"): {"published": _R},
    ("api/v1/applications/<int:pk>/reveal/", "POST"): {"published": 200},
    ("api/v1/sessions/<int:pk>/", "GET"): {"draft": 200, "published": 200, "unassigned": 200},
    ("api/v1/sessions/<int:pk>/", "PATCH"): {"draft": _R, "published": _R, "unassigned": _R},
    ("api/v1/sessions/<int:pk>/cancel/", "POST"): {"draft": _R, "published": _R,
                                                   "unassigned": _R},
    ("api/v1/sessions/<int:pk>/rsvp/", "POST"): {"draft": 409, "published": 409,
                                                 "unassigned": 409},
    ("api/v1/sessions/<int:pk>/attendees/", "GET"): {"draft": 200, "published": 200,
                                                     "unassigned": 200},
    ("api/v1/sessions/<int:pk>/attendance/", "POST"): {"draft": _R, "published": _R,
                                                       "unassigned": _R},
    ("api/v1/sessions/<int:pk>/outcomes/", "GET"): {"draft": 200, "published": 200,
                                                    "unassigned": 200},
    ("api/v1/sessions/<int:pk>/outcomes/", "POST"): {"draft": _R, "published": _R,
                                                     "unassigned": _R},
    ("api/v1/sessions/<int:pk>/calendar.ics", "GET"): {"draft": 200, "published": 200,
                                                       "unassigned": 200},
    ("api/v1/programs/<int:pk>/groups/", "GET"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/groups/", "POST"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/groups/<int:number>/repair/", "POST"): {"draft": _R,
                                                                      "published": _R},
    ("api/v1/groups/<int:pk>/members/", "POST"): {"published": _R},
    ("api/v1/instruments/", "GET"): {"none": 200},
    ("api/v1/me/surveys/", "GET"): {"none": 200},
    ("api/v1/programs/<int:pk>/evaluation/", "GET"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/evaluation/", "PUT"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/evaluation/waves/<str:wave>/open/", "POST"): {
        "draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/evaluation/waves/<str:wave>/close/", "POST"): {
        "draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/evaluation/waves/<str:wave>/responses/", "POST"): {
        "draft": 404, "published": 409},
    ("api/v1/programs/<int:pk>/evaluation/decline/", "POST"): {"draft": 404, "published": 409},
    ("api/v1/programs/<int:pk>/evaluation/results/", "GET"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/evaluation/results.csv", "GET"): {"draft": _R, "published": _R},
    ("api/v1/programs/<int:pk>/evaluation/responses.csv", "GET"): {"draft": _R,
                                                                   "published": _R},
}
# The minor's application: a custodian decides nothing; the guardian's link works for
# whoever holds it.
for _decision in ("accept", "waitlist", "decline"):
    CUSTODIAN[(f"api/v1/applications/<int:pk>/{_decision}/", "POST")]["minor"] = _R
CUSTODIAN[("api/v1/guardian-consent/<str:token>/", "GET")] = {"minor": 200}
CUSTODIAN[("api/v1/guardian-consent/<str:token>/", "POST")] = {"minor": 200}
# Reveal: only the custodian (with a reason); other staff of bridges 403; everyone else,
# the applicant included, 404 (refused and logged all the same: tests/exchanges/test_identity).
EXPECTED[("api/v1/applications/<int:pk>/reveal/", "POST")] = Row(
    {"published": (401, 404, 404, 404, 403, 403, 403, 404)},
    lambda w, obj: {"reason": "A threat against this participant was reported."})
EXPECTED = {key: Row({obj: statuses if len(statuses) == len(CALLERS)  # named per caller
                      else (*statuses, CUSTODIAN[key][obj])
                      for obj, statuses in row.statuses.items()}, row.body)
            for key, row in EXPECTED.items()}

CASES = [
    pytest.param(route, method, obj, caller, expected,
                 id=f"{method} {route.removeprefix(API_PREFIX)} [{obj}] {caller}")
    for (route, method), row in EXPECTED.items()
    for obj, statuses in row.statuses.items()
    for caller, expected in zip(CALLERS, statuses, strict=True)
]


def test_matrix_has_a_row_for_every_api_endpoint():
    assert api_endpoints() == set(EXPECTED)


def test_matrix_rows_name_known_objects_and_every_caller():
    objects = {"none", "org", "draft", "published", "unassigned", "minor"}
    for row in EXPECTED.values():
        assert set(row.statuses) <= objects
        assert all(len(statuses) == len(CALLERS) for statuses in row.statuses.values())


# --- The world ----------------------------------------------------------------------------


def _session(program, actor, *, title, facilitators):
    start = timezone.now() + timedelta(days=7)
    return session_services.session_create(
        program=program, actor=actor, facilitators=facilitators, title=title,
        format="storytelling", starts_at=start, ends_at=start + timedelta(hours=2),
        timezone="Asia/Nicosia")


def _build_world() -> SimpleNamespace:
    owner = UserFactory(display_name="Alice", email="alice@example.org")
    coordinator = UserFactory(display_name="Carol", email="carol@example.org")
    facilitator = UserFactory(display_name="Fred", email="fred@example.org")
    participant = UserFactory(display_name="Bob", email="bob@example.org")
    applicant = UserFactory(display_name="Dora", email="dora@example.org")
    accepted = UserFactory(display_name="Erin", email="erin@example.org")
    other_owner = UserFactory(display_name="Charlie", email="charlie@example.org")
    custodian = UserFactory(display_name="Cus", email="cus@example.org")
    UserFactory(display_name="Newcomer", email="newcomer@example.org")

    org = OrganizationFactory(name="Bridges", slug="bridges")
    MembershipFactory(organization=org, user=owner, role="owner")
    MembershipFactory(organization=org, user=coordinator, role="coordinator")
    fred_membership = MembershipFactory(organization=org, user=facilitator, role="facilitator")
    MembershipFactory(organization=org, user=custodian, role="custodian")
    MembershipFactory(organization=OrganizationFactory(name="Elsewhere", slug="elsewhere"),
                      user=other_owner, role="owner")

    draft = program_with_sides("North", "South", organization=org, status="draft",
                               title="Draft exchange")
    published = program_with_sides("North", "South", organization=org, title="Open exchange")
    north = published.sides.first()
    application = services.application_submit(program=published, side=north,
                                              applicant=applicant, motivation="To listen.")
    erin_application = services.application_submit(program=published, side=north,
                                                    applicant=accepted)
    services.application_accept(application=erin_application, actor=owner)
    gus = UserFactory(display_name="Gus", email="gus@example.org")
    services.application_accept(application=services.application_submit(
        program=published, side=published.sides.last(), applicant=gus), actor=owner)
    group_round = group_services.round_create(program=published, actor=owner, size=3)

    draft_session = _session(draft, owner, title="Draft circle", facilitators=[facilitator])
    session = _session(published, owner, title="Open circle", facilitators=[facilitator])
    unassigned = _session(published, owner, title="Other circle", facilitators=[])
    for each in (session, unassigned):
        session_services.rsvp_respond(session=each, participant=accepted, response="yes")
        session_services.outcome_record(session=each, actor=owner, kind="idea",
                                        text="A joint website.")
    evaluation_services.evaluation_save(program=published, actor=owner,
                                        instruments=["thermometer"], followups=[1])

    invitation = services.membership_invite(organization=org, actor=owner,
                                            email="invited@example.net", role="coordinator")
    published.guardian_consent_under = 18
    published.save()
    minor = UserFactory(display_name="Mina", email="mina@example.org",
                        birth_date=published.starts_on.replace(year=published.starts_on.year - 14))
    minor_application = services.application_submit(
        program=published, side=north, applicant=minor, guardian_email="parent@example.net")
    published.guardian_consent_under = None
    published.save()
    incident = incident_services.incident_report(program=published, reporter=accepted,
                                                 kind="harassment", description="Slurs.")

    people = {"participant": participant, "applicant": applicant, "accepted": accepted,
              "facilitator": facilitator, "coordinator": coordinator, "owner": owner,
              "other_owner": other_owner, "custodian": custodian}
    return SimpleNamespace(
        users={name: user.pk for name, user in people.items()},
        ids={
            "organizations": {"org": org.slug},
            "members": {"org": fred_membership.pk},
            "invitations": {"org": invitation.token},
            "programs": {"draft": draft.pk, "published": published.pk},
            "sessions": {"draft": draft_session.pk, "published": session.pk,
                         "unassigned": unassigned.pk},
            "applications": {"published": application.pk, "minor": minor_application.pk},
            "guardian-consent": {"minor": minor_application.guardian_token},
            "groups": {"published": group_round.groups.get().pk},
            "number": {"draft": 1, "published": group_round.number},
            "waves": {"draft": "pre", "published": "pre"},
            "incidents": {"published": incident.pk},
        },
        first_side={"draft": draft.sides.first().pk, "published": north.pk},
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    fast_hashing = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast_hashing:
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _no_throttle_carry_over():
    cache.clear()  # the throttles count in the cache; each request here stands alone


def _url(route: str, obj: str, w: SimpleNamespace) -> str:
    """Fill each path parameter with the id of `obj` of the kind named just before it (a
    parameter with a name of its own, like a round's `number`, by that name)."""
    parts, kind = [], None
    for part in route.split("/"):
        if part.startswith("<"):
            name = part.strip("<>").split(":")[-1]
            parts.append(str(w.ids[name if name in w.ids else kind][obj]))
        else:
            kind = part
            parts.append(part)
    return "/" + "/".join(parts)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method", "obj", "caller", "expected"), CASES)
def test_permission_matrix(world, route, method, obj, caller, expected):
    client = APIClient()
    if caller != "anonymous":
        client.force_authenticate(User.objects.get(pk=world.users[caller]))
    body = EXPECTED[(route, method)].body
    data = body(world, obj) if body else None

    url = _url(route, obj, world)
    if method == "GET":
        response = client.get(url)
    else:
        response = getattr(client, method.lower())(url, data, format="json")

    assert response.status_code == expected, response.content[:300]


def test_url_fills_every_parameter_from_the_object_it_follows():
    w = SimpleNamespace(ids={"organizations": {"org": "bridges"}, "members": {"org": 7}})

    assert _url("api/v1/organizations/<slug:slug>/members/<int:pk>/", "org", w) == (
        "/api/v1/organizations/bridges/members/7/")
    w.ids.update(programs={"org": 3}, number={"org": 2})
    assert _url("api/v1/programs/<int:pk>/groups/<int:number>/repair/", "org", w) == (
        "/api/v1/programs/3/groups/2/repair/")

