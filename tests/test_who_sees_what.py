"""Who sees what: a participant's email, legal name, institution and date of birth reach only
the person and the staff (owners, coordinators) of the organization they applied to — on
every page, API endpoint, email, calendar file and export. Facilitators, other participants,
another organization's staff and anonymous visitors see display names at most.

The matrix below lists every route of the URL conf: a route that shows something has a
row requested as each viewer; the rest are listed with the reason they show no one. A new
route with neither fails `test_every_route_has_a_row_or_a_reason`.
"""

import datetime
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from icalendar import Calendar

from dialogues.evaluation import services as evaluation_services
from dialogues.groups import services as group_services
from dialogues.models import CalendarFeed, Wave
from exchanges import services
from exchanges.incidents import services as incident_services
from exchanges.models import ActivityLog
from exchanges.selectors import (
    can_see_personal_data,
    personal_data_organizations,
    sees_applicant_personal_data,
)
from participants.models import Notification
from participants.outbox import dispatch
from participants.outbox import kinds as messages
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    NotificationFactory,
    OrganizationFactory,
    OutcomeFactory,
    RSVPFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db

RULES = ("open", "chatham_house", "off_record")
CONFIDENTIAL = ("chatham_house", "off_record")
VIEWERS = ("p", "q", "owner", "coordinator", "facilitator", "custodian", "other_owner",
           "anonymous")
# The people whose personal data the matrix follows: both accepted participants.
SUBJECTS = ("p", "q")
# Whose email and legal name each viewer may see (besides their own).
# (Custodians read as staff; under identity protection no one of the organization does.)
STAFF_OF_A = ("owner", "coordinator", "custodian")
# What p wrote in an incident report: only p and those who work it, the organization's
# custodians and owners, may ever read it.
INCIDENT_TEXT = "Someone followed me home after the circle"


@dataclass
class World:
    people: dict
    org: object
    other_org: object
    program: object
    applications: dict
    sessions: dict
    feeds: dict = field(default_factory=dict)
    invitation: object = None
    minor_application: object = None
    incident: object = None


def build_world() -> World:
    people = {
        "p": UserFactory(display_name="Parvaneh", email="p-secret@example.org",
                         legal_name="Legal Secretname", institution="Hidden Academy",
                         birth_date=datetime.date(1991, 2, 3), languages="en"),
        "q": UserFactory(display_name="Quillon", email="q-secret@example.org",
                         legal_name="Legal Quietname", institution="Quiet Lyceum",
                         birth_date=datetime.date(1989, 11, 28), languages="en"),
        "owner": UserFactory(display_name="Oriane", email="oriane@alpha.example"),
        "coordinator": UserFactory(display_name="Corvin", email="corvin@alpha.example"),
        "facilitator": UserFactory(display_name="Faustyna", email="faustyna@alpha.example"),
        "custodian": UserFactory(display_name="Kustos", email="kustos@alpha.example"),
        "other_owner": UserFactory(display_name="Bertrand", email="bertrand@beta.example"),
    }
    org = OrganizationFactory(name="Alpha NGO", slug="alpha")
    other_org = OrganizationFactory(name="Beta NGO", slug="beta")
    for key, role in (("owner", "owner"), ("coordinator", "coordinator"),
                      ("facilitator", "facilitator"), ("custodian", "custodian")):
        MembershipFactory(organization=org, user=people[key], role=role)
    MembershipFactory(organization=other_org, user=people["other_owner"], role="owner")
    program_with_sides("East", "West", organization=other_org, title="Beta exchange")

    program = program_with_sides("North", "South", organization=org, title="Bridges dialogue")
    north, south = program.sides.all()
    applications = {
        "p": ApplicationFactory(program=program, side=north, applicant=people["p"],
                                status="accepted", motivation="Parvaneh's own reasons"),
        "q": ApplicationFactory(program=program, side=south, applicant=people["q"],
                                status="accepted", motivation="Quillon's own reasons"),
    }
    sessions = {}
    for rule in RULES:
        session = SessionFactory(program=program, confidentiality=rule,
                                 title=f"Circle under {rule}", online_url="https://meet.example/x")
        session.facilitators.set([people["facilitator"]])
        accepted_at = timezone.now()
        RSVPFactory(session=session, participant=people["p"], response="yes",
                    ground_rules_accepted_at=accepted_at, attended=True)
        RSVPFactory(session=session, participant=people["q"], response="yes",
                    ground_rules_accepted_at=accepted_at)
        OutcomeFactory(session=session, kind="idea", text=f"An idea under {rule}",
                       author=people["facilitator"] if rule == "open" else None)
        sessions[rule] = session
        for key in SUBJECTS:  # pending reminders: shown on the staff's reminders page
            NotificationFactory(recipient=people[key], kind="session_reminder",
                                organization=org, context={"session": session.pk},
                                dedupe_key=f"who-sees:{session.pk}:{key}",
                                due_at=session.starts_at - timedelta(hours=1))
    feeds = {key: CalendarFeed.objects.create(user=people[key]) for key in SUBJECTS}
    # An open invitation to p's address: only the owner who sent it sees the address.
    invitation = services.membership_invite(organization=org, actor=people["owner"],
                                            email=people["p"].email, role="facilitator")
    group_services.round_create(program=program, actor=people["owner"], size=3)
    # An evaluation with q's answers to its open pre wave (p's are still to come).
    evaluation_services.evaluation_save(program=program, actor=people["owner"],
                                        instruments=["thermometer", "trust"], followups=[1])
    evaluation_services.survey_respond(
        program=program, wave_name="pre", user=people["q"], consent=True,
        answers={"thermometer.1": 40, "trust.1": 2, "trust.2": 3, "trust.3": 2})
    # A second program asks a guardian's consent: a minor's application waits for it.
    youth = program_with_sides("Up", "Down", organization=org, title="Youth bridges",
                               guardian_consent_under=18)
    minor = UserFactory(display_name="Mirela", email="m-secret@example.org",
                        legal_name="Legal Minorname", birth_date=youth.starts_on.replace(
                            year=youth.starts_on.year - 14))
    minor_application = services.application_submit(
        program=youth, side=youth.sides.first(), applicant=minor,
        guardian_email="guardian-secret@example.net")
    # p reports a concern about q, without their name shown to owners.
    incident = incident_services.incident_report(
        program=program, reporter=people["p"], kind="harassment", about=people["q"].pk,
        anonymous=True, description=INCIDENT_TEXT)
    return World(people=people, org=org, other_org=other_org, program=program,
                 applications=applications, sessions=sessions, feeds=feeds,
                 invitation=invitation, minor_application=minor_application,
                 incident=incident)


@pytest.fixture
def world() -> World:
    return build_world()


def client_as(world: World, viewer: str) -> Client:
    client = Client()
    if viewer != "anonymous":
        client.force_login(world.people[viewer])
    return client


def secrets_of(person) -> tuple[str, ...]:
    return person.email, person.legal_name, person.institution, person.birth_date.isoformat()


def may_see(viewer: str, subject: str) -> bool:
    """The rule under test, written out: the person, and staff of the organization
    they applied to."""
    return viewer == subject or viewer in STAFF_OF_A


# --- The matrix ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str  # the route's name in the URL conf (namespace:name)
    url: object  # World -> URL
    # Viewers who must be shown all of a subject's personal data here (proves the page is
    # read): viewer -> subjects.
    shows: dict = field(default_factory=dict)
    method: str = "get"


def _each_session(name, path, **kwargs):
    return [Row(name, lambda w, r=rule: path.format(w.sessions[r].pk), **kwargs) for rule in RULES]


STAFF_SEE_BOTH = {"owner": SUBJECTS, "coordinator": SUBJECTS, "custodian": SUBJECTS}
SELF_ONLY = {"p": ("p",), "q": ("q",)}

ROWS = [
    Row("home", lambda w: "/"),
    Row("healthz", lambda w: "/healthz"),
    Row("metrics", lambda w: "/metrics"),  # counts only; allowed addresses or a token
    Row("login", lambda w: "/accounts/login/"),
    Row("password_change", lambda w: "/accounts/password_change/"),
    Row("password_change_done", lambda w: "/accounts/password_change/done/"),
    Row("password_reset", lambda w: "/accounts/password_reset/"),
    Row("password_reset_done", lambda w: "/accounts/password_reset/done/"),
    Row("password_reset_complete", lambda w: "/accounts/reset/done/"),
    Row("two_factor_setup", lambda w: "/account/two-factor/"),
    Row("two_factor_verify", lambda w: "/account/two-factor/verify/"),
    Row("participants:signup", lambda w: "/accounts/signup/"),
    Row("participants:terms", lambda w: "/terms/"),
    Row("participants:profile", lambda w: "/me/profile/", shows=SELF_ONLY),
    Row("participants:my-data", lambda w: "/me/data/"),
    Row("participants:api-token", lambda w: "/me/api-token/"),
    Row("participants:my-data-download", lambda w: "/me/data/download/", shows=SELF_ONLY,
        method="post"),
    Row("exchanges:program-list", lambda w: "/programs/"),
    Row("exchanges:program-detail", lambda w: f"/programs/{w.program.pk}/"),
    Row("exchanges:program-edit", lambda w: f"/programs/{w.program.pk}/edit/"),
    Row("exchanges:program-applications", lambda w: f"/programs/{w.program.pk}/applications/",
        shows=STAFF_SEE_BOTH),
    Row("exchanges:program-applications-csv",
        lambda w: f"/programs/{w.program.pk}/applications.csv", shows=STAFF_SEE_BOTH),
    Row("exchanges:my-programs", lambda w: "/me/programs/"),
    Row("exchanges:application-reveal",  # the form; the identity only answers its POST
        lambda w: f"/applications/{w.applications['p'].pk}/reveal/"),
    Row("exchanges:org-list", lambda w: "/orgs/"),
    Row("exchanges:org-dashboard", lambda w: "/orgs/alpha/"),
    Row("exchanges:org-dashboard", lambda w: "/orgs/beta/"),
    Row("exchanges:org-members", lambda w: "/orgs/alpha/members/"),
    Row("exchanges:org-settings", lambda w: "/orgs/alpha/settings/"),
    Row("exchanges:org-activity", lambda w: "/orgs/alpha/activity/"),
    Row("exchanges:program-create", lambda w: "/orgs/alpha/programs/new/"),
    Row("exchanges:invitation", lambda w: f"/invitations/{w.invitation.token}/"),
    Row("exchanges:guardian-consent",
        lambda w: f"/guardian-consent/{w.minor_application.guardian_token}/"),
    Row("program-sessions", lambda w: f"/programs/{w.program.pk}/sessions/"),
    Row("session-new", lambda w: f"/programs/{w.program.pk}/sessions/new/"),
    *_each_session("session-detail", "/sessions/{}/"),
    *_each_session("session-edit", "/sessions/{}/edit/"),
    *_each_session("session-cancel", "/sessions/{}/cancel/"),
    *_each_session("session-attendees-csv", "/sessions/{}/attendees.csv"),
    *_each_session("session-calendar", "/sessions/{}/calendar.ics"),
    Row("my-sessions", lambda w: "/me/sessions/"),
    Row("calendar-feed", lambda w: f"/calendar/{w.feeds['p'].token}.ics"),
    Row("calendar-feed", lambda w: f"/calendar/{w.feeds['q'].token}.ics"),
    Row("program-reminders", lambda w: f"/programs/{w.program.pk}/reminders/"),
    Row("outbox:messages", lambda w: "/me/messages/"),
    Row("program-groups", lambda w: f"/programs/{w.program.pk}/groups/"),
    Row("group-round-csv", lambda w: f"/programs/{w.program.pk}/groups/1.csv"),
    Row("group-round-sessions", lambda w: f"/programs/{w.program.pk}/groups/1/sessions/"),
    Row("my-surveys", lambda w: "/me/surveys/"),
    Row("survey-answer", lambda w: f"/programs/{w.program.pk}/evaluation/pre/"),
    Row("evaluation-settings", lambda w: f"/programs/{w.program.pk}/evaluation/"),
    Row("evaluation-results", lambda w: f"/programs/{w.program.pk}/evaluation/results/"),
    Row("evaluation-results-csv", lambda w: f"/programs/{w.program.pk}/evaluation/results.csv"),
    Row("evaluation-responses-csv",
        lambda w: f"/programs/{w.program.pk}/evaluation/responses.csv"),
    Row("organization-evaluation", lambda w: "/orgs/alpha/evaluation/"),
    Row("exchanges:program-incidents", lambda w: f"/programs/{w.program.pk}/incidents/"),
    Row("exchanges:incident-new", lambda w: f"/programs/{w.program.pk}/incidents/new/"),
    Row("exchanges:incident-detail", lambda w: f"/incidents/{w.incident.pk}/"),
    # The API.
    Row("api-me", lambda w: "/api/v1/me/", shows=SELF_ONLY),
    Row("api-me-export", lambda w: "/api/v1/me/export/", shows=SELF_ONLY),
    Row("api-organizations", lambda w: "/api/v1/organizations/"),
    Row("api-organization", lambda w: "/api/v1/organizations/alpha/"),
    Row("api-members", lambda w: "/api/v1/organizations/alpha/members/"),
    Row("api-members", lambda w: "/api/v1/organizations/beta/members/"),
    Row("api-invitation", lambda w: f"/api/v1/invitations/{w.invitation.token}/"),
    Row("api-guardian-consent",
        lambda w: f"/api/v1/guardian-consent/{w.minor_application.guardian_token}/"),
    Row("api-programs", lambda w: "/api/v1/programs/"),
    Row("api-program", lambda w: f"/api/v1/programs/{w.program.pk}/"),
    Row("api-program-applications",
        lambda w: f"/api/v1/programs/{w.program.pk}/applications/", shows=STAFF_SEE_BOTH),
    Row("api-application", lambda w: f"/api/v1/applications/{w.applications['p'].pk}/",
        shows={"owner": ("p",), "coordinator": ("p",), "custodian": ("p",)}),
    Row("api-application", lambda w: f"/api/v1/applications/{w.applications['q'].pk}/",
        shows={"owner": ("q",), "coordinator": ("q",), "custodian": ("q",)}),
    Row("api-program-sessions", lambda w: f"/api/v1/programs/{w.program.pk}/sessions/"),
    *_each_session("api-session", "/api/v1/sessions/{}/"),
    *_each_session("api-session-attendees", "/api/v1/sessions/{}/attendees/"),
    *_each_session("api-session-outcomes", "/api/v1/sessions/{}/outcomes/"),
    *_each_session("api-session-calendar", "/api/v1/sessions/{}/calendar.ics"),
    Row("api-program-reminders", lambda w: f"/api/v1/programs/{w.program.pk}/reminders/"),
    Row("api-my-notifications", lambda w: "/api/v1/me/notifications/"),
    Row("api-program-groups", lambda w: f"/api/v1/programs/{w.program.pk}/groups/"),
    Row("api-instruments", lambda w: "/api/v1/instruments/"),
    Row("api-my-surveys", lambda w: "/api/v1/me/surveys/"),
    Row("api-program-evaluation", lambda w: f"/api/v1/programs/{w.program.pk}/evaluation/"),
    Row("api-evaluation-results",
        lambda w: f"/api/v1/programs/{w.program.pk}/evaluation/results/"),
    Row("api-evaluation-results-csv",
        lambda w: f"/api/v1/programs/{w.program.pk}/evaluation/results.csv"),
    Row("api-evaluation-responses-csv",
        lambda w: f"/api/v1/programs/{w.program.pk}/evaluation/responses.csv"),
    Row("api-program-incidents", lambda w: f"/api/v1/programs/{w.program.pk}/incidents/"),
    Row("api-incident", lambda w: f"/api/v1/incidents/{w.incident.pk}/"),
]

# Routes without a row, and why none of them can show a person to a viewer.
NO_ROW = {
    "logout": "POST only; signs the caller out",
    "password_reset_confirm": "a one-person token link; shows a password form",
    "two_factor_qr": "the caller's own authenticator secret as an image",
    "set_language": "POST only; sets the caller's own language",
    "participants:erase-account": "POST only; erases the caller's own account",
    "api-schema": "the API's shapes, no data",
    "api-docs": "the API's browsable documentation, no data",
    "api-register": "POST only; answers the new account to itself",
    "api-token": "POST only; answers a token",
    "api-member": "PATCH/DELETE only, by owners; answers a colleague's membership",
    "exchanges:program-apply": "POST only; redirects",
    "exchanges:program-status": "POST only; redirects",
    "exchanges:application-withdraw": "POST only; redirects",
    "exchanges:application-decide": "POST only, staff only (404 otherwise); see "
                                    "test_decision_partial_shows_personal_data_only_to_staff",
    "exchanges:member-role": "POST only; redirects",
    "exchanges:member-remove": "POST only; redirects",
    "exchanges:invitation-accept": "POST only; redirects",
    "exchanges:invitation-decline": "POST only; redirects",
    "exchanges:invitation-signup": "POST only; the invitation page with the sign-up form's "
                                   "errors, or a redirect",
    "api-invitation-accept": "POST only; answers the caller's own new membership",
    "api-invitation-decline": "POST only; answers what api-invitation shows",
    "session-rsvp": "POST only; redirects",
    "session-attendance": "POST only, staff and facilitators; a row of display names",
    "session-outcome-new": "POST only; redirects",
    "calendar-feed-revoke": "POST only; redirects",
    "exchanges:incident-update": "POST only, custodians and owners (404 for others); "
                                 "redirects, or re-shows exchanges:incident-detail",
    "participants:quick-exit": "POST only; hides the caller, redirects to the catalogue",
    "participants:quick-exit-undo": "POST only; shows the caller again, redirects",
    "api-program-publish": "POST only; answers a program",
    "api-program-close": "POST only; answers a program",
    "api-program-archive": "POST only; answers a program",
    "api-application-accept": "POST only, staff only; see "
                              "test_api_decisions_show_personal_data_only_to_staff",
    "api-application-waitlist": "POST only, staff only; as accept",
    "api-application-decline": "POST only, staff only; as accept",
    "api-application-withdraw": "POST only, by the applicant; answers their own application",
    "api-application-reveal": "POST only, custodians with a reason (logged, shown to the "
                              "person); see tests/exchanges/test_identity.py",
    "api-session-cancel": "POST only; answers a session",
    "api-session-rsvp": "POST only; answers the caller's own answer",
    "api-session-attendance": "POST only; answers the attendee list of "
                              "api-session-attendees (display names)",
    "group-round-create": "POST only, staff only; redirects, or re-shows program-groups",
    "group-member-move": "POST only, staff only; redirects",
    "group-round-repair": "POST only, staff only; redirects",
    "api-group-members": "POST only, staff only; answers a round as api-program-groups",
    "api-group-round-repair": "POST only, staff only; answers a round as api-program-groups",
    "survey-decline": "POST only, by the participant; redirects",
    "evaluation-wave": "POST only, staff only; redirects",
    "api-evaluation-wave-open": "POST only, staff only; answers a wave's times and state",
    "api-evaluation-wave-close": "POST only, staff only; answers a wave's times and state",
    "api-evaluation-responses": "POST only; answers the caller's own wave and time",
    "api-evaluation-decline": "POST only; answers the caller's own decline time",
}


def _route_names(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":  # platform admins: the Django admin's own rules
                continue
            inner = pattern.namespace or namespace
            yield from _route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_route_has_a_row_or_a_reason():
    routes = set(_route_names(get_resolver().url_patterns))
    covered = {row.name for row in ROWS} | set(NO_ROW)

    assert sorted(routes - covered) == []
    assert sorted(covered - routes) == []


def _leaks(world: World, viewer: str, row: Row, body: str) -> list[str]:
    found = []
    for subject in SUBJECTS:
        shown = [s for s in secrets_of(world.people[subject]) if s.lower() in body]
        if shown and not may_see(viewer, subject):
            found.append(f"{row.name} {row.url(world)} shows {subject}'s {shown} to {viewer}")
        expected = subject in row.shows.get(viewer, ())
        if expected and len(shown) != len(secrets_of(world.people[subject])):
            found.append(f"{row.name} {row.url(world)} should show {subject}'s personal "
                         f"data to {viewer}, shows {shown}")
    return found


@pytest.mark.parametrize("viewer", VIEWERS)
def test_personal_data_reaches_only_the_person_and_their_organizations_staff(world, viewer):
    client = client_as(world, viewer)
    problems = []

    for row in ROWS:
        response = getattr(client, row.method)(row.url(world))
        if response.status_code >= 500:
            problems.append(f"{row.name} {row.url(world)} answered {response.status_code}")
            continue
        body = b"".join(response).decode("utf-8", "replace").lower()
        problems.extend(_leaks(world, viewer, row, body))

    assert problems == []


@pytest.mark.parametrize("viewer", VIEWERS)
def test_under_identity_protection_no_role_sees_anyone_elses_personal_data(world, viewer):
    """Every page, export and API answer again, with the organization's identity protection
    on: owners, coordinators, facilitators and custodians see display names only; each
    person still sees their own data."""
    world.org.identity_protection = True
    world.org.save()
    client = client_as(world, viewer)
    problems = []

    for row in ROWS:
        response = getattr(client, row.method)(row.url(world))
        if response.status_code >= 500:
            problems.append(f"{row.name} {row.url(world)} answered {response.status_code}")
            continue
        body = b"".join(response).decode("utf-8", "replace").lower()
        for subject in SUBJECTS:
            shown = [s for s in secrets_of(world.people[subject]) if s.lower() in body]
            # The owner typed p's address into the open invitation: theirs to know.
            invited = viewer == "owner" and row.name in ("exchanges:org-members", "api-members")
            if invited:
                shown = [value for value in shown if value != world.invitation.email]
            if shown and viewer != subject:
                problems.append(f"{row.name} {row.url(world)} shows {subject}'s {shown} "
                                f"to {viewer}")
            if viewer == subject and subject in row.shows.get(viewer, ()) and len(shown) != 4:
                problems.append(f"{row.name} no longer shows {subject} their own data")

    assert problems == []


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_selector_states_the_same_rule_under_identity_protection(world, viewer):
    world.org.identity_protection = True
    world.org.save()
    person = world.people.get(viewer) or AnonymousUser()

    assert {s: can_see_personal_data(person, world.people[s]) for s in SUBJECTS} == {
        s: viewer == s for s in SUBJECTS}
    assert not sees_applicant_personal_data(personal_data_organizations(person), world.program)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_selector_states_the_same_rule(world, viewer):
    person = world.people.get(viewer) or AnonymousUser()
    organizations = personal_data_organizations(person)

    assert {s: can_see_personal_data(person, world.people[s]) for s in SUBJECTS} == {
        s: may_see(viewer, s) for s in SUBJECTS}
    assert sees_applicant_personal_data(organizations, world.program) == (viewer in STAFF_OF_A)


def test_decision_partial_shows_personal_data_only_to_staff(world):
    pending = ApplicationFactory(program=world.program, side=world.program.sides.first())
    url = f"/applications/{pending.pk}/waitlist/"
    statuses = {}

    for viewer in ("facilitator", "other_owner", "q", "p", "coordinator"):
        response = client_as(world, viewer).post(url, HTTP_HX_REQUEST="true")
        statuses[viewer] = response.status_code
        body = response.content.decode()
        assert ("p-secret@example.org" in body) == (viewer == "coordinator"), viewer

    assert statuses == {"facilitator": 404, "other_owner": 404, "q": 404, "p": 404,
                        "coordinator": 200}


def test_api_decisions_show_personal_data_only_to_staff(world):
    pending = ApplicationFactory(program=world.program, side=world.program.sides.first(),
                                 applicant=UserFactory(email="r-secret@example.org"))
    url = f"/api/v1/applications/{pending.pk}/waitlist/"
    statuses = {}

    for viewer in ("anonymous", "facilitator", "other_owner", "q", "p", "coordinator"):
        response = client_as(world, viewer).post(url)
        statuses[viewer] = response.status_code
        assert ("r-secret@example.org" in response.content.decode()) == (
            viewer == "coordinator"), viewer

    assert statuses == {"anonymous": 401, "facilitator": 404, "other_owner": 404, "q": 404,
                        "p": 404, "coordinator": 200}


# --- Calendar files: no one's name at all -----------------------------------------------------


def _everyone_named(world: World) -> list[str]:
    return [value for person in world.people.values()
            for value in (person.display_name, person.legal_name, person.email) if value]


def _ics_texts(content: bytes) -> list[str]:
    calendar = Calendar.from_ical(content)
    texts = [content.decode()]
    for component in calendar.walk():
        texts.extend(str(value) for value in component.values())
    return texts


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_session_calendar_file_names_no_one(world, rule, prefix):
    session = world.sessions[rule]
    response = client_as(world, "p").get(f"{prefix}/sessions/{session.pk}/calendar.ics")

    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == [session.title]
    texts = " ".join(_ics_texts(response.content))
    assert [name for name in _everyone_named(world) if name in texts] == []


@pytest.mark.parametrize("subject", SUBJECTS)
def test_personal_calendar_feed_names_no_one(world, subject):
    response = Client().get(f"/calendar/{world.feeds[subject].token}.ics")

    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    assert sorted(str(e["summary"]) for e in calendar.walk("VEVENT")) == sorted(
        s.title for s in world.sessions.values())
    texts = " ".join(_ics_texts(response.content))
    assert [name for name in _everyone_named(world) if name in texts] == []


# --- Attendee exports: none under Chatham House or off the record -----------------------------


@pytest.mark.parametrize("rule", CONFIDENTIAL)
@pytest.mark.parametrize("viewer", ["owner", "coordinator", "facilitator"])
def test_attendee_export_does_not_exist_for_a_confidential_session(world, rule, viewer):
    session = world.sessions[rule]

    response = client_as(world, viewer).get(f"/sessions/{session.pk}/attendees.csv")

    assert response.status_code == 404
    assert b"Parvaneh" not in response.content
    assert not ActivityLog.objects.filter(verb="session.attendees_exported").exists()


def test_attendee_export_of_an_open_session_has_display_names_only(world):
    session = world.sessions["open"]

    response = client_as(world, "facilitator").get(f"/sessions/{session.pk}/attendees.csv")

    rows = response.content.decode().splitlines()
    assert response.status_code == 200
    assert sorted(rows[1:]) == ["Parvaneh,North,yes,yes", "Quillon,South,yes,"]


# --- Emails: about a confidential session, no one else is named ------------------------------


def _email_context(world: World, kind: str, rule: str) -> tuple[object, dict]:
    """The recipient (a person, or an address) and the context of a message of `kind`
    about the program and its session under `rule`; a kind this test does not know
    fails here."""
    session, program = world.sessions[rule], world.program
    if kind in ("session_reminder", "session_followup", "session_cancelled"):
        return world.people["p"], {"session": session.pk}
    if kind in ("facilitator_assigned", "facilitator_reminder"):  # to the session's facilitator
        return world.people["facilitator"], {"session": session.pk, "program": program.pk,
                                             "offset": -60}
    if kind == "program_followup":
        return world.people["p"], {"program": program.pk, "offset": 43200}
    if kind == "membership_invitation":  # to the address, whether or not it has an account
        return world.invitation.email, {"invitation": world.invitation.pk}
    if kind == "email_changed":  # to the address the person left
        return world.people["p"], {"old_email": world.people["p"].email,
                                   "new_email": "p-new-address@example.org"}
    if kind == "password_reset":
        return world.people["p"], {}
    if kind == "guardian_consent_request":  # to the guardian's address
        application = world.minor_application
        return application.guardian_email, {"application": application.pk}
    if kind == "guardian_consent_refused":  # to the program's staff
        youth = world.minor_application.program
        refused = ApplicationFactory(program=youth, side=youth.sides.last(),
                                     guardian_consent="refused", guardian_name="A Guardian")
        return world.people["owner"], {"application": refused.pk}
    if kind == "incident_reported":  # to the custodian: this organization has one
        return world.people["custodian"], {"incident": world.incident.pk,
                                           "program": program.pk}
    if kind in ("survey_invitation", "survey_reminder"):
        pre = Wave.objects.get(evaluation__program=program, name="pre")
        return world.people["p"], {"program": program.pk, "wave": pre.pk}
    status = {"application_received": "accepted", "application_accepted": "accepted",
              "application_promoted": "accepted", "application_waitlisted": "waitlisted",
              "application_declined": "declined"}.get(kind)
    if status is None:
        pytest.fail(f"message kind {kind!r} has no row in test_who_sees_what: add one")
    if status == "accepted":
        return world.people["p"], {"application": world.applications["p"].pk}
    person = UserFactory(display_name=f"Recipient {status}", legal_name="")
    application = ApplicationFactory(program=program, side=program.sides.last(),
                                     applicant=person, status=status)
    return person, {"application": application.pk}


@pytest.mark.parametrize("rule", CONFIDENTIAL)
def test_no_email_names_anyone_but_its_recipient(world, rule):
    Notification.objects.all().delete()  # only the messages made here
    kinds = sorted(messages._KINDS)  # every registered kind, so a new kind needs a row
    for kind in kinds:
        recipient, context = _email_context(world, kind, rule)
        to = {"recipient": None, "recipient_email": recipient} if isinstance(
            recipient, str) else {"recipient": recipient}
        NotificationFactory(**to, kind=kind, organization=world.org,
                            context=context, dedupe_key=f"who-sees:{kind}",
                            due_at=timezone.now() - timedelta(minutes=1))

    dispatch.dispatch_outbox()

    statuses = dict(Notification.objects.values_list("kind", "status"))
    assert statuses == {kind: "sent" for kind in kinds}
    everyone = {person.email: person for person in world.people.values()}
    for message in mail.outbox:
        [to] = message.to
        others = [value for email, person in everyone.items() if email != to
                  for value in (person.display_name, person.legal_name, email)]
        recipient = everyone.get(to)
        if recipient is not None:  # not even their own legal name: an email can be forwarded
            others.append(recipient.legal_name)
        parts = [message.subject, message.body, *(c for c, _m in message.alternatives),
                 *(a[1].decode() if isinstance(a[1], bytes) else a[1]
                   for a in message.attachments)]
        text = "\n".join(parts)
        assert [value for value in others if value in text] == [], message.subject


# --- The log of staff viewing personal data ---------------------------------------------------


def _views():
    return list(ActivityLog.objects.filter(verb="personal_data.viewed").order_by("id"))


def _applicant_ids(world: World) -> list[int]:
    return [world.people["p"].pk, world.people["q"].pk]


@pytest.mark.parametrize("viewer", STAFF_OF_A)
def test_staff_opening_the_applications_page_is_logged_once_per_request(world, viewer):
    client = client_as(world, viewer)

    client.get(f"/programs/{world.program.pk}/applications/")
    client.get(f"/programs/{world.program.pk}/applications/")

    entries = _views()
    assert len(entries) == 2
    entry = entries[0]
    assert (entry.actor, entry.organization, entry.target_type, entry.target_id) == (
        world.people[viewer], world.org, "program", str(world.program.pk))
    assert entry.data == {"via": "page", "applicants": _applicant_ids(world)}


def test_applications_page_showing_no_one_is_not_logged(world):
    client_as(world, "owner").get(f"/programs/{world.program.pk}/applications/?status=pending")

    assert _views() == []


def test_api_applications_list_is_logged_once_not_per_row(world):
    client_as(world, "coordinator").get(f"/api/v1/programs/{world.program.pk}/applications/")

    [entry] = _views()
    assert (entry.actor, entry.organization_id, entry.target_id) == (
        world.people["coordinator"], world.org.pk, str(world.program.pk))
    assert entry.data == {"via": "api_list", "applicants": _applicant_ids(world)}


def test_api_application_detail_is_logged(world):
    application = world.applications["q"]

    client_as(world, "owner").get(f"/api/v1/applications/{application.pk}/")

    [entry] = _views()
    assert (entry.actor, entry.organization_id, entry.target_id) == (
        world.people["owner"], world.org.pk, str(world.program.pk))
    assert entry.data == {"via": "api_detail", "applicants": [world.people["q"].pk]}


def test_csv_export_is_logged_as_an_export_and_a_view(world):
    client_as(world, "owner").get(f"/programs/{world.program.pk}/applications.csv")

    [entry] = _views()
    assert entry.data == {"via": "csv", "applicants": _applicant_ids(world)}
    assert ActivityLog.objects.filter(verb="applications.exported",
                                      actor=world.people["owner"]).count() == 1


@pytest.mark.parametrize("viewer", ["p", "q", "facilitator", "other_owner", "anonymous"])
def test_no_view_is_logged_for_those_who_see_no_personal_data(world, viewer):
    client = client_as(world, viewer)
    application = world.applications["p"]

    client.get(f"/programs/{world.program.pk}/applications/")
    client.get(f"/programs/{world.program.pk}/applications.csv")
    client.get(f"/api/v1/programs/{world.program.pk}/applications/")
    client.get(f"/api/v1/applications/{application.pk}/")

    assert _views() == []


# --- The guardian's link: the program and a display name, nothing else -------------------


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_the_guardians_link_shows_only_the_minors_display_name(world, viewer, prefix):
    application = world.minor_application
    minor = application.applicant

    response = client_as(world, viewer).get(
        f"{prefix}/guardian-consent/{application.guardian_token}/")

    text = response.content.decode()
    assert response.status_code == 200
    assert minor.display_name in text and "Youth bridges" in text
    for secret in (minor.email, minor.legal_name, minor.birth_date.isoformat(),
                   application.guardian_email):
        assert secret not in text


def test_the_guardians_email_is_shown_to_the_applicant_and_staff_only(world):
    application = world.minor_application
    url = f"/api/v1/applications/{application.pk}/"
    shown = {}

    for viewer in VIEWERS:
        response = client_as(world, viewer).get(url)
        shown[viewer] = application.guardian_email in response.content.decode()

    assert shown == {viewer: viewer in STAFF_OF_A for viewer in VIEWERS}
    minor_client = Client()
    minor_client.force_login(application.applicant)
    assert application.guardian_email in minor_client.get(url).content.decode()


# --- Late venue disclosure: before it, only staff and facilitators see the venue ----------

PLACE = "Safehouse Lane 12"
LINK = "https://meet.example/x"
SEES_VENUE_EARLY = ("owner", "coordinator", "facilitator", "custodian")  # facilitator runs all


def _withhold_venue(world: World) -> None:
    world.program.venue_disclosure_hours = 24  # the world's sessions start in a week
    world.program.save()
    for session in world.sessions.values():
        session.location = PLACE
        session.save()


@pytest.mark.parametrize("viewer", VIEWERS)
def test_before_disclosure_no_page_or_endpoint_shows_the_venue(world, viewer):
    _withhold_venue(world)
    client = client_as(world, viewer)
    problems, seen = [], set()

    for row in ROWS:
        response = getattr(client, row.method)(row.url(world))
        body = b"".join(response).decode("utf-8", "replace")
        shown = {value for value in (PLACE, LINK) if value in body}
        seen |= shown
        if shown and viewer not in SEES_VENUE_EARLY:
            problems.append(f"{row.name} {row.url(world)} shows {shown} to {viewer}")

    assert problems == []
    assert (seen == {PLACE, LINK}) == (viewer in SEES_VENUE_EARLY)


def test_before_disclosure_no_email_carries_the_venue(world):
    _withhold_venue(world)
    Notification.objects.filter(kind="session_reminder").update(
        due_at=timezone.now() - timedelta(minutes=1))

    dispatch.dispatch_outbox()

    reminders = [m for m in mail.outbox if "Reminder" in m.subject]
    assert len(reminders) == len(RULES) * len(SUBJECTS)
    for message in reminders:
        parts = [message.subject, message.body, *(c for c, _m in message.alternatives),
                 *(a[1].decode() if isinstance(a[1], bytes) else a[1]
                   for a in message.attachments)]
        assert [v for v in (PLACE, LINK) if v in "\n".join(parts)] == [], message.subject


# --- Incidents: what was reported reaches only the reporter and those who work it -----------


@pytest.mark.parametrize("viewer", VIEWERS)
def test_an_incident_report_reaches_only_its_reporter_custodians_and_owners(world, viewer):
    client = client_as(world, viewer)
    shown_on = []

    for row in ROWS:
        response = getattr(client, row.method)(row.url(world))
        body = b"".join(response).decode("utf-8", "replace")
        if INCIDENT_TEXT in body:
            shown_on.append(row.name)

    expected = {"p": ["exchanges:incident-detail",
                      "participants:my-data-download", "api-me-export", "api-program-incidents",
                      "api-incident"],
                "owner": ["exchanges:incident-detail", "api-program-incidents", "api-incident"],
                "custodian": ["exchanges:incident-detail", "api-program-incidents",
                              "api-incident"]}
    assert sorted(shown_on) == sorted(expected.get(viewer, []))


def test_the_incident_notice_and_the_activity_log_carry_no_report(world):
    [notice] = Notification.objects.filter(kind="incident_reported")
    dispatch.dispatch_outbox()

    [email] = [m for m in mail.outbox if m.to == [world.people["custodian"].email]]
    text = "\n".join([email.subject, email.body, *(c for c, _m in email.alternatives)])
    assert notice.recipient == world.people["custodian"]  # custodians, not the owners
    assert INCIDENT_TEXT not in text
    assert [name for name in ("Parvaneh", "Quillon") if name in text] == []
    assert f"/incidents/{world.incident.pk}/" in text
    logged = " ".join(f"{e.verb} {e.target_repr} {e.data}" for e in ActivityLog.objects.all())
    assert INCIDENT_TEXT not in logged and "incident" not in logged
