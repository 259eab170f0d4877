"""Realistic demo data for `make run`. Idempotent: a second run changes nothing."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core import content
from dialogues.evaluation import services as evaluation_services
from dialogues.models import (
    DEFAULT_REMINDER_SCHEDULE,
    RSVP,
    Confidentiality,
    Outcome,
    ReminderRule,
    Session,
    SessionFormat,
)
from dialogues.reminders import services as reminders
from exchanges.incidents.services import incident_report
from exchanges.models import (
    ActivityLog,
    Application,
    ApplicationStatus,
    Incident,
    Membership,
    Organization,
    Program,
    ProgramKind,
    ProgramStatus,
    Role,
    Side,
)
from exchanges.services import membership_invite
from participants.models import Notification, User

DEMO_INVITEE = "new.colleague@parley.example"
DEMO_PASSWORD = "parley-demo-2026"  # noqa: S105 - demo data only; never used outside `make run`

LOGINS = [
    ("admin@parley.example", "Platform admin", "platform admin (Django admin)"),
    ("staff@parley.example", "Maria (Bridges staff)", "staff: owner of Bridges for Peace"),
    ("coordinator@parley.example", "Yusuf (coordinator)", "staff: coordinator"),
    ("facilitator@parley.example", "Anna (facilitator)", "facilitator"),
    ("custodian@parley.example", "Sam (custodian)", "custodian: reveals, incidents"),
    ("participant@parley.example", "Eleni", "participant (accepted)"),
]

PROGRAMS = [
    # (org, kind, title, sides, capacity, status, days from today to start, length)
    # Under way: its first session was a week ago, so its evaluation's pre wave is closed.
    ("bridges", ProgramKind.DIALOGUE, "Nicosia Listening Circles",
     ["Greek Cypriot", "Turkish Cypriot"], 12, ProgramStatus.PUBLISHED, -14, 90),
    ("bridges", ProgramKind.STUDENT_EXCHANGE, "Two Shores Student Exchange",
     ["Greek Cypriot", "Turkish Cypriot"], 20, ProgramStatus.PUBLISHED, 40, 30),
    ("bridges", ProgramKind.FACULTY_EXCHANGE, "Shared Histories Faculty Exchange",
     ["Greek Cypriot", "Turkish Cypriot", "Armenian Cypriot"], 9, ProgramStatus.DRAFT, 60, 20),
    ("bridges", ProgramKind.SPORTS, "Mixed Teams Football Camp",
     ["Israeli", "Palestinian"], 16, ProgramStatus.CLOSED, -30, 10),
    ("common", ProgramKind.FAITH, "Abrahamic Neighbours",
     ["Israeli", "Palestinian"], 10, ProgramStatus.PUBLISHED, 21, 60),
    ("common", ProgramKind.CULTURAL, "Songs Across the Line",
     ["Armenian", "Azerbaijani"], 8, ProgramStatus.PUBLISHED, 30, 14),
    ("common", ProgramKind.SCIENTIFIC, "Water Futures Science Exchange",
     ["Israeli", "Jordanian", "Palestinian"], 12, ProgramStatus.ARCHIVED, -200, 30),
]

PARTICIPANTS = [
    ("participant@parley.example", "Eleni", "Eleni Georgiou", "CY", "Asia/Nicosia"),
    ("deniz@parley.example", "Deniz", "Deniz Kaya", "CY", "Asia/Nicosia"),
    ("andreas@parley.example", "Andreas", "Andreas Christou", "CY", "Europe/Athens"),
    ("ayse@parley.example", "Ayşe", "Ayşe Yılmaz", "CY", "Europe/Istanbul"),
    ("noa@parley.example", "Noa", "Noa Levi", "IL", "Asia/Jerusalem"),
    ("omar@parley.example", "Omar", "Omar Haddad", "PS", "Asia/Hebron"),
    ("lilit@parley.example", "Lilit", "Lilit Hakobyan", "AM", "Asia/Yerevan"),
    ("elvin@parley.example", "Elvin", "Elvin Mammadov", "AZ", "Asia/Baku"),
    ("sara@parley.example", "Sara", "Sara Mizrahi", "IL", "Asia/Jerusalem"),
    ("karim@parley.example", "Karim", "Karim Nasser", "PS", "Asia/Gaza"),
    ("hasmik@parley.example", "Hasmik", "Hasmik Petrosyan", "AM", "Europe/Paris"),
    ("rana@parley.example", "Rana", "Rana Aliyeva", "AZ", "Asia/Baku"),
]

# How each kind of program describes itself on its catalogue card ({sides}: "X and Y").
SUMMARIES = {
    ProgramKind.DIALOGUE: "Evening listening circles where {sides} neighbours hear each "
                          "other's stories.",
    ProgramKind.STUDENT_EXCHANGE: "Students from {sides} families spend a month in each "
                                  "other's schools.",
    ProgramKind.FACULTY_EXCHANGE: "Teachers from {sides} schools compare how they teach "
                                  "the island's history.",
    ProgramKind.SPORTS: "Mixed {sides} teams train and play together for ten days.",
    ProgramKind.FAITH: "{sides} congregations visit each other's places of worship.",
    ProgramKind.CULTURAL: "{sides} musicians learn each other's songs and perform them "
                          "together.",
    ProgramKind.SCIENTIFIC: "{sides} researchers work on one shared question: water.",
}
# Where each organization's programs take place (by organization slug).
ZONES = {"bridges": "Asia/Nicosia"}
OTHER_ZONE = "Asia/Jerusalem"
# Sessions start at different hours: (hour, minute) by session, shifted per program.
SESSION_HOURS = [(10, 0), (14, 30), (18, 0), (19, 30)]

DEMO_INCIDENTS = [
    ("harassment", "After the last circle someone posted my photo online with insults."),
    ("threat", "A message on my phone said I would regret going to the next session."),
    ("doxxing", "My home address was shared in a group chat with the program's name."),
    ("safeguarding", "A younger participant seemed scared of someone outside the venue."),
]

STATUS_CYCLE = [
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.PENDING,
    ApplicationStatus.WAITLISTED,
    ApplicationStatus.DECLINED,
    ApplicationStatus.WITHDRAWN,
]


class Command(BaseCommand):
    help = "Load demo organizations, programs, participants, sessions and messages."

    @transaction.atomic
    def handle(self, *args, **options):
        users = self._users()
        orgs = self._organizations(users)
        for spec in PROGRAMS:
            self._program(orgs[spec[0]], *spec[1:], users=users)
        self._incidents(users)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with any of:"))
        for email, _name, what in LOGINS:
            self.stdout.write(f"  {email:<30} {DEMO_PASSWORD}   ({what})")

    def _incidents(self, users):
        """A concern reported in each program under way or open, for custodians to work."""
        if Incident.objects.exists():
            return
        programs = Program.objects.filter(status=ProgramStatus.PUBLISHED).order_by("pk")
        for program, (kind, text) in zip(programs, DEMO_INCIDENTS, strict=False):
            reporter = (Application.objects.filter(program=program,
                                                   status=ApplicationStatus.ACCEPTED)
                        .order_by("pk").first())
            if reporter:
                incident_report(program=program, reporter=reporter.applicant, kind=kind,
                                description=text)

    def _user(self, email, display_name, **extra):
        user, created = User.objects.get_or_create(
            email=email, defaults={"display_name": display_name, **extra}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.terms_version = "2026-11"
            user.terms_accepted_at = timezone.now()
            user.save()
        return user

    def _users(self):
        users = {}
        for email, name, _what in LOGINS:
            users[email] = self._user(
                email, name, is_staff=email.startswith("admin"),
                is_superuser=email.startswith("admin"), timezone="Asia/Nicosia",
            )
        for email, name, legal, country, tz in PARTICIPANTS:
            users[email] = self._user(
                email, name, legal_name=legal, country=country, timezone=tz
            )
        return users

    def _organizations(self, users):
        bridges, _ = Organization.objects.get_or_create(
            slug="bridges",
            defaults={"name": "Bridges for Peace", "website": "https://bridges.example",
                      "description": "Dialogue and exchange programs across the Green Line."},
        )
        common, _ = Organization.objects.get_or_create(
            slug="common-ground",
            defaults={"name": "Common Ground Initiative", "website": "https://common.example",
                      "description": "Faith, cultural and science exchanges in the region."},
        )
        for org, email, role in [
            (bridges, "staff@parley.example", Role.OWNER),
            (bridges, "coordinator@parley.example", Role.COORDINATOR),
            (bridges, "facilitator@parley.example", Role.FACILITATOR),
            (bridges, "custodian@parley.example", Role.CUSTODIAN),
            (common, "coordinator@parley.example", Role.OWNER),
        ]:
            Membership.objects.get_or_create(organization=org, user=users[email],
                                             defaults={"role": role})
        # Members join by invitation: one is waiting on the members page, its email in
        # the outbox (the demo people above are set up directly, as if they had accepted).
        if not Membership.seats.filter(organization=bridges, email=DEMO_INVITEE).exists():
            membership_invite(organization=bridges, actor=users["staff@parley.example"],
                              email=DEMO_INVITEE, role=Role.FACILITATOR)
        return {"bridges": bridges, "common": common}

    def _program(self, org, kind, title, side_names, capacity, status, start_in, length, *,
                 users):
        today = timezone.localdate()
        program, created = Program.objects.get_or_create(
            organization=org, title=title,
            defaults={
                "kind": kind, "capacity": capacity, "status": status,
                "summary": SUMMARIES[kind].format(
                    sides=", ".join(side_names[:-1]) + " and " + side_names[-1]),
                "timezone": ZONES.get(org.slug, OTHER_ZONE),
                # Applications close three days before the first day, when that is ahead.
                "applications_close_at": _close_before(today + timedelta(days=start_in),
                                                       ZONES.get(org.slug, OTHER_ZONE))
                if start_in > 3 and status == ProgramStatus.PUBLISHED else None,
                "description": "Small groups meet regularly with trained facilitators. "
                               "Participants agree to ground rules that protect everyone.",
                "location": "Nicosia" if org.slug == "bridges" else "",
                "is_online": org.slug != "bridges",
                "starts_on": today + timedelta(days=start_in),
                "ends_on": today + timedelta(days=start_in + length),
            },
        )
        if not created:
            return program
        sides = [Side.objects.create(program=program, name=n, position=i)
                 for i, n in enumerate(side_names)]
        ReminderRule.objects.bulk_create(
            ReminderRule(program=program, kind=k, offset_minutes=m)
            for k, m in DEFAULT_REMINDER_SCHEDULE
        )
        self._applications(program, sides, users)
        self._sessions(program, users)
        reminders.replan_program(program=program)  # reminders and follow-ups, as staff would
        if title == "Nicosia Listening Circles":
            self._in_greek_and_turkish(program, sides)
            self._evaluation(program, users)
        ActivityLog.objects.create(
            actor=users["staff@parley.example"], organization=org, verb="program.created",
            target_type="program", target_id=str(program.pk), target_repr=program.title,
        )
        return program

    def _in_greek_and_turkish(self, program, sides):
        """A bicommunal program is written in both communities' languages too."""
        program.languages = ["en", "el", "tr"]
        content.write(program, {
            "title": {"el": "Κύκλοι ακρόασης Λευκωσίας", "tr": "Lefkoşa Dinleme Çemberleri"},
            "summary": {"el": "Μικρές ομάδες από τις δύο κοινότητες ακούν η μία την άλλη.",
                        "tr": "İki toplumdan küçük gruplar birbirini dinliyor."},
        }, main="en")
        program.save()
        for side, greek, turkish in zip(sides, ["Ελληνοκύπριοι", "Τουρκοκύπριοι"],
                                        ["Kıbrıslı Rum", "Kıbrıslı Türk"], strict=False):
            content.write(side, {"name": {"el": greek, "tr": turkish}}, main="en")
            side.save()

    def _evaluation(self, program, users):
        """Surveys as staff would set them up; the first session is past, so `pre` is
        already closed and staff have opened `post` by hand (participants see it under My
        surveys)."""
        staff = users["staff@parley.example"]
        evaluation = evaluation_services.evaluation_save(
            program=program, actor=staff, instruments=["thermometer", "ios", "trust"],
            followups=[1, 3, 6])
        post = evaluation.waves.get(name="post")
        evaluation_services.wave_open(evaluation=evaluation, wave=post, actor=staff)

    def _applications(self, program, sides, users):
        if program.status == ProgramStatus.DRAFT:
            return
        people = [users[p[0]] for p in PARTICIPANTS]
        now = timezone.now()
        for i, person in enumerate(people):
            status = STATUS_CYCLE[i % len(STATUS_CYCLE)]
            if person.email == "participant@parley.example":
                status = ApplicationStatus.ACCEPTED
            app = Application.objects.create(
                program=program, side=sides[i % len(sides)], applicant=person, status=status,
                motivation="I want to meet people from the other side and listen.",
                created_at=now - timedelta(days=20 - i),
                decided_at=None if status == ApplicationStatus.PENDING else now - timedelta(days=3),
            )
            Notification.objects.get_or_create(
                dedupe_key=f"application_received:{app.pk}",
                defaults={"recipient": person, "organization": program.organization,
                          "kind": "application_received", "due_at": app.created_at,
                          "status": "sent", "sent_at": app.created_at,
                          "subject": f"We received your application to {program.title}",
                          "context": {"application": app.pk, "program": program.pk}},
            )

    @staticmethod
    def _session_days(program, offsets):
        """Days from today when the program covers them all, else spread over its dates:
        a session always lies within its program's dates."""
        today = timezone.localdate()
        days = [today + timedelta(days=offset) for offset in offsets]
        if program.starts_on <= days[0] and days[-1] <= program.ends_on:
            return days
        span = (program.ends_on - program.starts_on).days
        return [program.starts_on + timedelta(days=span * i // len(offsets))
                for i in range(len(offsets))]

    def _sessions(self, program, users):
        tz = ZoneInfo(program.timezone)
        accepted = Application.objects.filter(program=program, status=ApplicationStatus.ACCEPTED)
        plans = [
            (-7, "Opening circle: why we came", SessionFormat.STORYTELLING, Confidentiality.OPEN),
            (3, "What the other side fears", SessionFormat.SUSTAINED_DIALOGUE,
             Confidentiality.CHATHAM_HOUSE),
            (10, "Joint ideas for what we do next", SessionFormat.JOINT_BRAINSTORMING,
             Confidentiality.OFF_RECORD),
        ]
        today = timezone.localdate()
        for i, (day, (title, fmt, rule)) in enumerate(zip(
                self._session_days(program, [p[0] for p in plans]), [p[1:] for p in plans],
                strict=True)):
            hour, minute = SESSION_HOURS[(i + program.pk) % len(SESSION_HOURS)]
            start = datetime.combine(day, time(hour, minute), tz)
            session = Session.objects.create(
                program=program, title=title, format=fmt, starts_at=start,
                ends_at=start + timedelta(hours=2), timezone=program.timezone,
                location=program.location, online_url="https://meet.example/parley-demo"
                if program.is_online else "", confidentiality=rule,
                ground_rules="" if rule == Confidentiality.OPEN else
                "We listen without interrupting. Nothing said here is attributed to anyone.",
            )
            if program.organization.slug == "bridges":
                session.facilitators.add(users["facilitator@parley.example"])
            for app in accepted:
                RSVP.objects.create(
                    session=session, participant_id=app.applicant_id, response="yes",
                    ground_rules_accepted_at=None if rule == Confidentiality.OPEN else
                    timezone.now(),
                    attended=True if day < today else None,
                )
            if day < today:
                Outcome.objects.create(
                    session=session, kind="idea", author=users["facilitator@parley.example"],
                    text="A joint youth choir rehearsing on both sides of the line.",
                )


def _close_before(first_day, zone):
    """23:59 three days before the program's first day, in the program's zone."""
    return datetime.combine(first_day - timedelta(days=3), time(23, 59), ZoneInfo(zone))
