from datetime import datetime, timedelta

import factory
from django.utils import timezone

from core.validity import day_start
from dialogues.models import Session
from exchanges.models import Application, Membership, Organization, Program, Side
from participants.models import Notification, User

PASSWORD = "a-Long-test-passphrase-7"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    legal_name = factory.Sequence(lambda n: f"Legal Name {n}")
    timezone = "UTC"
    password = factory.django.Password(PASSWORD)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = "coordinator"


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Program {n}")
    kind = "dialogue"
    # Under way: sessions from a month ago to two months ahead lie within its dates.
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda p: p.starts_on + timedelta(days=90))
    capacity = 10
    balance = "parity"
    status = "published"


class SideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Side

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Side {n}")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    side = factory.SubFactory(SideFactory)
    program = factory.SelfAttribute("side.program")
    applicant = factory.SubFactory(UserFactory)
    status = "pending"


def default_session_start(program: Program, zone: str) -> datetime:
    """A week from now, or 10:00 on the program's first day if that is later: within
    the program's dates either way (this writes rows directly, past every rule)."""
    in_a_week = timezone.now() + timedelta(days=7)
    first_day = day_start(program.starts_on, zone) + timedelta(hours=10)
    return max(in_a_week, first_day)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    format = "storytelling"
    timezone = "Asia/Nicosia"
    starts_at = factory.LazyAttribute(lambda s: default_session_start(s.program, s.timezone))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(hours=2))
    confidentiality = "open"


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "application_received"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    due_at = factory.LazyFunction(timezone.now)


def program_with_sides(*names: str, **kwargs) -> Program:
    program = ProgramFactory(**kwargs)
    for position, name in enumerate(names or ("North", "South")):
        SideFactory(program=program, name=name, position=position)
    return program


class RSVPFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dialogues.RSVP"

    session = factory.SubFactory(SessionFactory)
    participant = factory.SubFactory(UserFactory)
    response = "yes"


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dialogues.Outcome"

    session = factory.SubFactory(SessionFactory)
    kind = "idea"
    text = factory.Sequence(lambda n: f"Idea {n}")


def program_under_way(organization: Organization) -> Program:
    """Two sides, 40 seats, started 30 days ago and running 60 more: rounds of dialogue
    groups and their sessions fit in it."""
    today = timezone.localdate()
    return program_with_sides("North", "South", organization=organization, capacity=40,
                              starts_on=today - timedelta(days=30),
                              ends_on=today + timedelta(days=60))


def accepted_participant(program: Program, *, side: Side | None = None, **user_fields) -> User:
    """A user with an accepted application to `program` (on its first side by default)."""
    side = side or program.sides.first() or SideFactory(program=program)
    return ApplicationFactory(program=program, side=side, status="accepted",
                              applicant=UserFactory(**user_fields)).applicant


def authenticator_for(user: User, *, confirmed: bool = True):
    """A TOTP authenticator app set up (confirmed) by `user`."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=confirmed)


def totp_code(device, offset_steps: int = 0) -> str:
    """The code the app shows now (or `offset_steps` steps later: a code not yet used)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"
