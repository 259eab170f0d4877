"""`make bench`: dialogue groups and outbox benchmarks (not a test).

0. Dialogue groups: the time to make a round for 1,000 accepted participants on 4
   sides in groups of 10 with languages and institutions (goal: under 2 s), and to
   make the next round rotated; the rules left unmet. `python -m bench groups` runs
   only this one.
1. Dispatch throughput to a local SMTP sink, next to a plain loop of Django's
   send_mail for the same messages.
2. Claiming 1,000 due rows with 10,000 and with 1,000,000 not-yet-due rows in the
   table (PostgreSQL), and the plan of the claim query (it must use the partial
   index on due_at where status = 'pending').
3. Evaluation results for 2,000 participants x 7 instruments x 5 waves: the results
   request (API), next to a plain query reading the same response rows.

4. Load (bench/load.py): 100 participants applying, RSVPing and reading their sessions
   for 60 s against gunicorn started by the bench (BENCH_LOAD_USERS, BENCH_LOAD_SECONDS,
   BENCH_REDIS_URL); throughput, p95 and errors (must be 0).

BENCH_ONLY=evaluation (or throughput, claims, load; comma-separated) runs only those.

Runs in a throw-away PostgreSQL database (test_parley_bench, created and dropped
like a test database). BENCH_DATABASE_URL points elsewhere.
"""

import logging
import os
import random
import statistics
import sys
import time
from collections import Counter

os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parley_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from dialogues.evaluation import services as evaluation_services  # noqa: E402
from dialogues.evaluation.instruments import INSTRUMENTS  # noqa: E402
from dialogues.groups import selectors as group_selectors  # noqa: E402
from dialogues.groups import services as group_services  # noqa: E402
from dialogues.models import Respondent, SurveyResponse, Wave  # noqa: E402
from exchanges.models import (  # noqa: E402
    Application,
    Membership,
    Organization,
    Program,
    Side,
)
from participants.models import Notification, User  # noqa: E402
from participants.outbox import dispatch  # noqa: E402

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd chatter

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "1000"))
DUE = 1000


def bench_throughput() -> None:
    from bench import outbox

    print(outbox.report(outbox.throughput()))


def insert_not_yet_due(count: int, start: int) -> None:
    user_id = User.objects.values_list("pk", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO participants_notification
                (recipient_id, recipient_email, kind, dedupe_key, due_at, status, context,
                 attempts, last_error, subject, created_at, updated_at)
            SELECT %s, '', 'session_reminder', 'future:' || i,
                   now() + interval '1 day' + i * interval '1 second', 'pending', '{}', 0,
                   '', '', now(), now()
            FROM generate_series(%s, %s) AS i
            """,
            [user_id, start, start + count - 1],
        )
        cursor.execute("ANALYZE participants_notification")


def time_claims(rounds: int = 7) -> float:
    """Median seconds to claim DUE due rows in batches of 100."""
    due_ids = list(Notification.objects.filter(dedupe_key__startswith="claim:")
                   .values_list("pk", flat=True))
    timings = []
    for _ in range(rounds):
        Notification.objects.filter(pk__in=due_ids).update(status="pending", claimed_at=None)
        started = time.perf_counter()
        claimed = 0
        while batch := dispatch.claim_due(limit=100):
            claimed += len(batch)
        timings.append(time.perf_counter() - started)
        assert claimed == DUE, claimed
    return statistics.median(timings)


def claim_plan() -> str:
    with transaction.atomic():
        query = (Notification.objects.filter(status="pending", due_at__lte=timezone.now())
                 .order_by("due_at").select_for_update(skip_locked=True)
                 .values_list("pk", flat=True)[:100])
        return query.explain()


def bench_claims() -> None:
    from bench import outbox

    Notification.objects.all().delete()
    outbox.due_notices(DUE, "claim")
    insert_not_yet_due(10_000, 0)
    small = time_claims()
    insert_not_yet_due(990_000, 10_000)
    plan = claim_plan()
    large = time_claims()
    total = Notification.objects.count()
    print(f"claiming {DUE} due rows: {small * 1000:.1f} ms with 10,000 not-yet-due rows, "
          f"{large * 1000:.1f} ms with {total - DUE:,} -> ratio {large / small:.2f} "
          f"(must stay < 1.5)")
    print("plan of the claim query:")
    print("  " + plan.replace("\n", "\n  "))
    uses_index = "notification_pending_due" in plan
    print(f"uses the partial index notification_pending_due: {uses_index}")
    if large / small >= 1.5 or not uses_index:
        sys.exit(1)


GROUP_PEOPLE, GROUP_SIDES, GROUP_SIZE = 1000, 4, 10


def group_program() -> tuple[Program, object]:
    """1,000 accepted on 4 sides: each speaks their side's language, most also English,
    some another side's; each from one of 15 institutions of their side."""
    rng = random.Random(2026)
    organization = Organization.objects.create(name="Groups", slug=f"groups-{time.time_ns()}")
    owner = User.objects.create(email=f"owner-{time.time_ns()}@example.org",
                                display_name="Owner", password="!")
    Membership.objects.create(organization=organization, user=owner, role="owner")
    program = Program.objects.create(
        organization=organization, title="Groups bench", kind="dialogue",
        starts_on=timezone.localdate(), ends_on=timezone.localdate(), capacity=GROUP_PEOPLE,
        status="published")
    natives = ["el", "tr", "he", "ar"]
    sides = [Side.objects.create(program=program, name=f"Side {k}", position=k)
             for k in range(GROUP_SIDES)]
    users = []
    for n in range(GROUP_PEOPLE):
        k = n % GROUP_SIDES
        languages = {natives[k]}
        if rng.random() < 0.75:
            languages.add("en")
        if rng.random() < 0.1:
            languages.add(rng.choice(natives))
        users.append(User(email=f"g{n}@example.org", display_name=f"G {n}", password="!",
                          languages=", ".join(sorted(languages)),
                          institution=f"School {k}-{rng.randrange(15)}"))
    users = User.objects.bulk_create(users)
    Application.objects.bulk_create(
        Application(program=program, side=sides[n % GROUP_SIDES], applicant=user,
                    status="accepted") for n, user in enumerate(users))
    return program, owner


def bench_groups() -> None:
    program, owner = group_program()
    for rotate in (False, True):
        started = time.perf_counter()
        group_round = group_services.round_create(program=program, actor=owner,
                                                  size=GROUP_SIZE, max_per_institution=2,
                                                  rotate=rotate)
        seconds = time.perf_counter() - started
        [view] = group_selectors.program_rounds(program, with_stats=True,
                                                only=group_round.number)
        unmet = Counter(v.rule for v in view.stats.violations)
        what = "rotated round" if rotate else "round"
        print(f"groups: {what} for {GROUP_PEOPLE} participants, {GROUP_SIDES} sides, groups "
              f"of {GROUP_SIZE}, languages and institutions: {seconds:.2f} s "
              f"(goal < 2 s); {view.stats.groups} groups; unmet: {dict(unmet) or 'none'}; "
              f"new cross-side pairs {view.stats.new_cross_side_pairs}, repeated pairs "
              f"{view.stats.repeated_pairs}")

PARTICIPANTS = 2000
FOLLOWUPS = [1, 3, 6]  # with pre and post: 5 waves


def _seed_evaluation() -> Program:
    """A program with 2,000 accepted participants on two sides, every instrument, and an
    answer from each participant to each of the 5 waves."""
    import random

    rng = random.Random(20261130)  # noqa: S311 - benchmark data, not security
    organization = Organization.objects.create(name="Bench NGO", slug="bench-evaluation")
    owner = User.objects.create(email="bench-owner@example.org", display_name="Owner",
                                password="!")
    Membership.objects.create(organization=organization, user=owner, role="owner")
    program = Program.objects.create(
        organization=organization, title="Bench evaluation", kind="dialogue",
        starts_on=timezone.localdate(), ends_on=timezone.localdate(), capacity=PARTICIPANTS,
        balance="none", status="published")
    sides = [Side.objects.create(program=program, name=name, position=n)
             for n, name in enumerate(("North", "South"))]
    evaluation_services.evaluation_save(program=program, actor=owner,
                                        instruments=list(INSTRUMENTS), followups=FOLLOWUPS)
    users = User.objects.bulk_create(
        User(email=f"bench-eval-{n}@example.org", display_name=f"E {n}", password="!")
        for n in range(PARTICIPANTS))
    Application.objects.bulk_create(
        Application(program=program, side=sides[n % 2], applicant=user, status="accepted")
        for n, user in enumerate(users))
    respondents = Respondent.objects.bulk_create(
        Respondent(program=program, user=user, side=sides[n % 2])
        for n, user in enumerate(users))
    waves = list(Wave.objects.filter(evaluation__program=program).order_by("position"))
    now = timezone.now()
    rows = [
        SurveyResponse(wave=wave, respondent=respondent, consented_at=now, submitted_at=now,
                       answers={item.key: rng.randint(instrument.min, instrument.max)
                                for instrument in INSTRUMENTS.values()
                                for item in instrument.items})
        for wave in waves for respondent in respondents
    ]
    SurveyResponse.objects.bulk_create(rows, batch_size=2000)
    program.owner = owner
    return program


def _median_seconds(work, rounds: int = 7) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def bench_evaluation() -> None:
    program = _seed_evaluation()
    client = APIClient()
    client.force_authenticate(program.owner)
    url = f"/api/v1/programs/{program.pk}/evaluation/results/"
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    rows = response.json()["rows"]
    assert len(rows) == 2 * len(INSTRUMENTS) * (1 + len(FOLLOWUPS)), len(rows)
    assert all(row["n"] == PARTICIPANTS // 2 for row in rows)

    def plain():
        return list(SurveyResponse.objects.filter(wave__evaluation__program=program)
                    .values_list("respondent_id", "respondent__side_id", "wave__name",
                                 "answers"))

    assert len(plain()) == PARTICIPANTS * (2 + len(FOLLOWUPS))
    request = _median_seconds(lambda: client.get(url))
    query = _median_seconds(plain)
    print(f"evaluation results, {PARTICIPANTS:,} participants x {len(INSTRUMENTS)} instruments "
          f"x {2 + len(FOLLOWUPS)} waves: {request * 1000:.0f} ms per request (API, "
          f"{len(rows)} rows) vs a plain query reading the same "
          f"{PARTICIPANTS * (2 + len(FOLLOWUPS)):,} responses {query * 1000:.0f} ms "
          f"-> ratio {request / query:.2f}")


def bench_load() -> None:
    from bench import load

    figures = load.load()
    print(load.report(figures))
    if figures["errors"]:
        sys.exit(1)


BENCHES = {"groups": bench_groups, "throughput": bench_throughput, "load": bench_load,
           "evaluation": bench_evaluation, "claims": bench_claims}


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("The benchmarks need PostgreSQL (BENCH_DATABASE_URL=postgres://...).")
    # `python -m bench groups evaluation` or BENCH_ONLY=groups,evaluation; all by default.
    only = sys.argv[1:] or [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    old = setup_databases(verbosity=0, interactive=False)
    try:
        for name, bench in BENCHES.items():
            if not only or name in only:
                bench()
    finally:
        teardown_databases(old, verbosity=0)


main()
