"""A field-sized database: `manage.py seed_scale --programs 100000 [--organizations 200]`.

Organizations with their staff (an owner, a coordinator, a facilitator and a custodian
each), participants, programs in every status with dates spread over six years (a
fifth of them also written in French), their sides, a session for every tenth program
(with a facilitator) and applications, so that lists, search and counts behave as in a
real field (issue 17; `make bench` seeds with it). Rows go in with bulk_create in
batches: no per-row signals, services or emails. It lives in dialogues because it seeds
sessions.

It refuses a database that has programs already, unless `--add` (then it adds another
set beside them, with its own slugs and emails). Nobody can sign in as a seeded person:
their passwords are unusable.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from dialogues.models import Session, SessionFormat
from exchanges.models import (
    Application,
    ApplicationStatus,
    Membership,
    Organization,
    Program,
    ProgramKind,
    ProgramStatus,
    Role,
    Side,
)
from participants.models import User

BATCH = 5000
STAFF = (Role.OWNER, Role.COORDINATOR, Role.FACILITATOR, Role.CUSTODIAN)
# Most programs a visitor finds are published; the rest spread over the other states.
STATUSES = ((ProgramStatus.PUBLISHED, 55), (ProgramStatus.CLOSED, 15),
            (ProgramStatus.DRAFT, 20), (ProgramStatus.ARCHIVED, 10))
PLACES = ("Nicosia", "Belfast", "Jerusalem", "Sarajevo", "Tbilisi", "Skopje", "Pristina",
          "Beirut", "Haifa", "Mostar", "Famagusta", "Derry")
TOPICS = ("Listening Circles", "Student Exchange", "Faculty Exchange", "Football Camp",
          "Shared Histories", "Youth Choir", "Science Summer School", "Interfaith Walk",
          "Bridge Builders", "Water Dialogue", "Teachers' Forum", "Film Workshop")
FRENCH = ("Cercles d'écoute", "Échange étudiant", "Histoires partagées", "Forum des enseignants")
SIDES = (("Greek Cypriot", "Turkish Cypriot"), ("Israeli", "Palestinian"),
         ("Unionist", "Nationalist"), ("Bosniak", "Croat", "Serb"))


class Command(BaseCommand):
    help = "Bulk-create organizations, people, programs, sessions and applications at scale."

    def add_arguments(self, parser):
        parser.add_argument("--programs", type=int, default=100_000)
        parser.add_argument("--organizations", type=int, default=200)
        parser.add_argument("--participants", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=17, help="Same seed, same data.")
        parser.add_argument("--add", action="store_true",
                            help="Add to a database that has programs already.")

    def handle(self, *args, programs, organizations, participants, seed, add, **options):
        if min(programs, organizations, participants) < 1:
            raise CommandError("--programs, --organizations and --participants must be >= 1.")
        if Program.objects.exists() and not add:
            raise CommandError("This database has programs already; give --add to add more.")
        self.random = random.Random(seed)
        self.tag = f"s{Organization.objects.count()}"  # a fresh slug and email space
        started = timezone.now()
        with transaction.atomic():
            made = self.seed(programs, organizations, participants)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(", ".join(f"{count} {name}" for name, count in made.items())
                          + f" in {seconds:.1f} s.")

    def seed(self, n_programs, n_organizations, n_participants) -> dict[str, int]:
        orgs = self.organizations(n_organizations)
        staff = self.staff(orgs)
        people = self.users([f"participant-{i}" for i in range(n_participants)])
        programs = self.programs(n_programs, orgs)
        sides = self.sides(programs)
        sessions = self.sessions(programs, staff)
        applications = self.applications(programs, sides, people)
        return {"organizations": len(orgs), "staff": len(staff) * len(STAFF),
                "participants": len(people), "programs": len(programs), "sides": len(sides),
                "sessions": sessions, "applications": applications}

    def users(self, names: list[str]) -> list[User]:
        password = make_password(None)  # unusable: nobody signs in as seeded people
        return User.objects.bulk_create(
            [User(email=f"{name}.{self.tag}@scale.example", display_name=name.title(),
                  password=password) for name in names], batch_size=BATCH)

    def organizations(self, count: int) -> list[Organization]:
        return Organization.objects.bulk_create(
            [Organization(name=f"Organization {i} ({self.tag})", slug=f"{self.tag}-org-{i}")
             for i in range(count)], batch_size=BATCH)

    def staff(self, orgs: list[Organization]) -> dict[int, list[User]]:
        """{organization id: [owner, coordinator, facilitator, custodian]}"""
        users = self.users([f"{role}-{i}" for i in range(len(orgs)) for role in STAFF])
        by_org = {org.pk: users[i * len(STAFF):(i + 1) * len(STAFF)] for i, org in enumerate(orgs)}
        Membership.objects.bulk_create(
            [Membership(organization_id=org_id, user=user, role=role)
             for org_id, people in by_org.items()
             for user, role in zip(people, STAFF, strict=True)],
            batch_size=BATCH)
        return by_org

    def programs(self, count: int, orgs: list[Organization]) -> list[Program]:
        statuses, weights = zip(*STATUSES, strict=True)
        first = date.today() - timedelta(days=3 * 365)
        rows = []
        for i in range(count):
            place, topic = self.random.choice(PLACES), self.random.choice(TOPICS)
            starts = first + timedelta(days=self.random.randrange(6 * 365))
            french = i % 5 == 0
            rows.append(Program(
                organization=orgs[i % len(orgs)],
                title=f"{place} {topic} {i}",
                summary=f"A {topic.lower()} in {place}.",
                description=f"Participants from both sides meet in {place} for the {topic}.",
                title_fr=self.random.choice(FRENCH) + f" {i}" if french else None,
                languages=["en", "fr"] if french else ["en"],
                location=place, kind=self.random.choice(ProgramKind.values),
                starts_on=starts, ends_on=starts + timedelta(days=self.random.randrange(1, 60)),
                capacity=self.random.randrange(8, 60),
                status=self.random.choices(statuses, weights)[0],
            ))
        return Program.objects.bulk_create(rows, batch_size=BATCH)

    def sides(self, programs: list[Program]) -> list[Side]:
        return Side.objects.bulk_create(
            [Side(program=program, name=name, position=position)
             for program in programs
             for position, name in enumerate(SIDES[program.pk % len(SIDES)])],
            batch_size=BATCH)

    def sessions(self, programs: list[Program], staff: dict[int, list[User]]) -> int:
        chosen = programs[::10]
        starts = [datetime.combine(program.starts_on, time(10), UTC) for program in chosen]
        sessions = Session.objects.bulk_create(
            [Session(program=program, title=f"Session of {program.pk}",
                     format=SessionFormat.values[0], timezone="UTC",
                     starts_at=start, ends_at=start + timedelta(hours=2))
             for program, start in zip(chosen, starts, strict=True)],
            batch_size=BATCH)
        through = Session.facilitators.through
        through.objects.bulk_create(
            [through(session=session, user=staff[program.organization_id][2])
             for session, program in zip(sessions, chosen, strict=True)], batch_size=BATCH)
        return len(sessions)

    def applications(self, programs, sides, people) -> int:
        """Each participant applies to a few programs, most of them public ones."""
        sides_of = {}
        for side in sides:
            sides_of.setdefault(side.program_id, []).append(side)
        statuses = ApplicationStatus.values
        rows = []
        for person in people:
            for program in self.random.sample(programs, min(10, len(programs))):
                rows.append(Application(
                    program=program, applicant=person,
                    side=self.random.choice(sides_of[program.pk]),
                    status=self.random.choice(statuses)))
        Application.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)
