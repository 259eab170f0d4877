"""The fuzz layer: a seeded database.

`seeded` builds two organizations, a program in every status, applications in
every status, sessions (scheduled, cancelled, completed) with RSVPs and outcomes,
a notification, an open invitation, a round of groups, two incidents, an evaluation of the published
program (its pre wave open), and two API tokens: the owner of the first organization
(staff) and a participant with applications to its programs. Every test runs in its own
rolled-back transaction, so each operation starts from the same rows.

`seeded_for_exploring` commits the same rows instead: the exploring run lets what
its requests create, change and delete pile up, as a real server would.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dialogues.evaluation import services as evaluation_services
from dialogues.groups import services as group_services
from exchanges.incidents.services import incident_report
from exchanges.services import application_submit, membership_invite
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


@dataclass
class Seed:
    """Ids the fuzzer draws path parameters from, per kind of object."""

    tokens: dict[str, str] = field(default_factory=dict)
    handler: WSGIHandler | None = None
    ids: dict[str, list] = field(default_factory=dict)
    calls: Counter = field(default_factory=Counter)  # exploring run: status codes served


SEED = Seed()


def _seed_database() -> None:
    now = timezone.now()
    owner = UserFactory(email="owner@example.org", display_name="Olga Owner")
    coordinator = UserFactory(email="coordinator@example.org", display_name="Carl")
    facilitator = UserFactory(email="facilitator@example.org", display_name="Fay")
    participant = UserFactory(email="participant@example.org", display_name="Pia")
    others = [UserFactory(display_name=f"Applicant {n}") for n in range(4)]
    outsider = UserFactory(email="outsider@example.org", display_name="Otto")

    bridges = OrganizationFactory(name="Bridges", slug="bridges")
    elsewhere = OrganizationFactory(name="Elsewhere", slug="elsewhere")
    memberships = [
        MembershipFactory(organization=bridges, user=owner, role="owner"),
        MembershipFactory(organization=bridges, user=coordinator, role="coordinator"),
        MembershipFactory(organization=bridges, user=facilitator, role="facilitator"),
        MembershipFactory(organization=elsewhere, user=outsider, role="owner"),
    ]

    programs = {
        status: program_with_sides("North", "South", organization=bridges, status=status,
                                   title=f"{status.title()} exchange", capacity=4)
        for status in ("draft", "published", "closed", "archived")
    }
    foreign = [
        program_with_sides("East", "West", organization=elsewhere, status=status)
        for status in ("draft", "published")
    ]
    published = programs["published"]
    north, south = published.sides.order_by("position")
    applications = [
        ApplicationFactory(program=published, side=north, applicant=participant,
                           status="accepted", motivation="To listen."),
        ApplicationFactory(program=published, side=south, applicant=others[0], status="pending"),
        ApplicationFactory(program=published, side=north, applicant=others[1],
                           status="waitlisted"),
        ApplicationFactory(program=published, side=south, applicant=others[2], status="declined"),
        ApplicationFactory(program=published, side=north, applicant=others[3], status="withdrawn"),
        ApplicationFactory(program=programs["closed"], side=programs["closed"].sides.first(),
                           applicant=participant, status="pending"),
        ApplicationFactory(program=foreign[1], side=foreign[1].sides.first(),
                           applicant=others[0], status="pending"),
        ApplicationFactory(program=published, side=south, status="accepted",
                           applicant=UserFactory(display_name="Quinn")),
    ]
    youth = program_with_sides("Up", "Down", organization=bridges, title="Youth exchange",
                               guardian_consent_under=18, venue_disclosure_hours=24)
    minor = UserFactory(display_name="Mira",
                        birth_date=youth.starts_on.replace(year=youth.starts_on.year - 14))
    minor_application = application_submit(program=youth, side=youth.sides.first(),
                                           applicant=minor, guardian_email="g@example.org")
    group_round = group_services.round_create(program=published, actor=owner, size=3)

    upcoming = SessionFactory(program=published, title="Upcoming talk", capacity=10,
                              online_url="https://meet.example.org/upcoming")
    upcoming.facilitators.add(facilitator)
    cancelled = SessionFactory(program=published, title="Cancelled", status="cancelled")
    past = SessionFactory(program=published, title="Past", confidentiality="chatham_house",
                          starts_at=now - timedelta(days=3),
                          ends_at=now - timedelta(days=3) + timedelta(hours=2))
    foreign_session = SessionFactory(program=foreign[1], title="Elsewhere talk")
    RSVPFactory(session=upcoming, participant=participant, response="yes")
    RSVPFactory(session=past, participant=participant, response="yes", attended=True)
    OutcomeFactory(session=upcoming, author=facilitator)
    OutcomeFactory(session=past, kind="agreement")
    NotificationFactory(recipient=participant, subject="Your application")
    evaluation_services.evaluation_save(program=published, actor=owner,
                                        instruments=["thermometer", "trust"], followups=[1])

    invitation = membership_invite(organization=bridges, actor=owner,
                                   email="invited@example.org", role="coordinator")
    incidents = [
        incident_report(program=published, reporter=participant, kind="threat",
                        description="A message after the session."),
        incident_report(program=published, reporter=facilitator, kind="safeguarding",
                        description="A minor without a guardian.", anonymous=True),
    ]

    SEED.tokens = {
        "staff": Token.objects.create(user=owner).key,
        "participant": Token.objects.create(user=participant).key,
    }
    SEED.ids = {
        "programs": [p.pk for p in [*programs.values(), *foreign]],
        "applications": [a.pk for a in applications],
        "sessions": [s.pk for s in (upcoming, cancelled, past, foreign_session)],
        "organizations": ["bridges", "elsewhere"],
        "members": [m.pk for m in memberships] + [invitation.pk],
        "invitations": [invitation.token],
        "guardian-consent": [minor_application.guardian_token],
        "groups": list(group_round.groups.values_list("pk", flat=True)),
        "rounds": [group_round.number],
        "waves": ["pre", "post", "m1"],
        "incidents": [i.pk for i in incidents],
    }


@pytest.fixture
def seeded(db, settings):
    """The seeded database, with the fuzz run's settings and a fresh throttle cache."""
    cache.clear()
    SEED.handler = WSGIHandler()
    # Calls go straight into the WSGI handler, whose request signals would close the
    # connection that holds the test's transaction (Django's test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    _seed_database()
    yield SEED
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded_for_exploring(transactional_db):
    """The seeded rows, committed; throttles reset before each call (a 429 would hide
    everything behind it)."""
    handler = WSGIHandler()

    def unthrottled(environ, start_response):
        cache.clear()

        def counted(status, headers, *args):
            SEED.calls[status.split()[0]] += 1
            return start_response(status, headers, *args)

        return handler(environ, counted)

    SEED.handler = unthrottled
    SEED.calls.clear()
    _seed_database()
    yield SEED
