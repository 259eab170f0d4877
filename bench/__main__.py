"""`make bench`: the project's performance report (not a test).

Each section measures its figures side by side (ratios where it can) and adds them to
bench.report's registry; at the end the figures are printed as a table and saved as
JSON in var/bench/<UTC time>.json and var/bench/latest.json, with the load average,
the commit and the Python and PostgreSQL versions. The run exits with status 1 when a
gate fails (claims, load errors).

- lists (bench/lists.py): the API's program list ÷ a bare values() + JsonResponse view
  of the same 50 rows, signed in and anonymous (goal ≥ 0.6).
- groups: the time to make a round for 1,000 accepted participants on 4 sides in
  groups of 10 with languages and institutions (goal: under 2 s), then a rotated round.
- throughput (bench/outbox.py): outbox dispatch ÷ a plain send_mail loop to the same
  local SMTP server (goal ≥ 0.8).
- claims: claiming 1,000 due rows with 1,000,000 ÷ with 10,000 not-yet-due rows in the
  table (goal ≤ 1.2), and whether the claim query uses the partial index.
- evaluation: the results request for 2,000 participants x 7 instruments x 5 waves ÷ a
  plain query reading the same responses (goal ≤ 3).
- load (bench/load.py): 100 participants applying, RSVPing and reading their sessions
  for 60 s against gunicorn started by the bench (BENCH_LOAD_USERS, BENCH_LOAD_SECONDS,
  BENCH_REDIS_URL); requests per second, p95 and errors (must be 0).
- scale (bench/lists.py): API list signed in and anonymous, catalogue page and search,
  rate with BENCH_SCALE (100,000) programs ÷ with 50, seeded by `manage.py seed_scale`
  (goal ≥ 0.8). It flushes the database, so it runs last.

BENCH_ONLY=lists,claims (or `python -m bench lists claims`) runs only those sections.

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

from bench.report import AT_MOST, BELOW, REPORT, ROOT  # noqa: E402
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

    figures = outbox.throughput()
    details = {k: v for k, v in figures.items() if k not in ("ratio", "goal", "load_average")}
    REPORT.add("outbox dispatch ÷ plain send_mail loop", figures["ratio"], goal=figures["goal"],
               **details)


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
    uses_index = "notification_pending_due" in plan
    REPORT.add(f"claiming {DUE:,} due rows, {total - DUE:,} ÷ 10,000 other rows, time",
               round(large / small, 2), goal=1.2, compare=AT_MOST, gate=True,
               ms_with_10k=round(small * 1000, 1), ms_with_more=round(large * 1000, 1))
    REPORT.add("the claim query uses the partial index notification_pending_due",
               float(uses_index), goal=1, gate=True, unit="yes", plan=plan)


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
        what = "a rotated round" if rotate else "a round"
        REPORT.add(f"groups: {what} for {GROUP_PEOPLE:,} participants", round(seconds, 2),
                   goal=2, compare=BELOW, unit="s", sides=GROUP_SIDES, size=GROUP_SIZE,
                   groups=view.stats.groups, unmet=dict(unmet),
                   new_cross_side_pairs=view.stats.new_cross_side_pairs,
                   repeated_pairs=view.stats.repeated_pairs)

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
    REPORT.add(f"evaluation results {PARTICIPANTS:,}×{len(INSTRUMENTS)}×{2 + len(FOLLOWUPS)} "
               "÷ plain read of the same rows, time", round(request / query, 2), goal=3,
               compare=AT_MOST, request_ms=round(request * 1000), plain_read_ms=round(query * 1000),
               result_rows=len(rows), responses=PARTICIPANTS * (2 + len(FOLLOWUPS)))


def bench_load() -> None:
    from bench import load

    figures = load.load()
    details = {k: v for k, v in figures.items() if k != "load_average"}
    REPORT.add(f"load test: errors, {figures['participants']} participants for "
               f"{figures['seconds']:.0f} s", figures["errors"], goal=0, compare=AT_MOST,
               unit="errors", gate=True, **details)
    REPORT.add("load test: requests per second", figures["requests_per_second"], unit="req/s",
               p50_ms=figures["p50_ms"], p95_ms=figures["p95_ms"])


def bench_lists() -> None:
    from bench import lists

    lists.bench_api_vs_bare()


def bench_scale() -> None:
    from bench import lists

    lists.bench_scale()


# In this order: `scale` flushes the database, so it comes last.
BENCHES = {"lists": bench_lists, "groups": bench_groups, "throughput": bench_throughput,
           "claims": bench_claims, "evaluation": bench_evaluation, "load": bench_load,
           "scale": bench_scale}


def postgres_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def finish() -> None:
    print()
    print(REPORT.table())
    saved = REPORT.save(postgres_version()).relative_to(ROOT)
    print(f"\nsaved {saved} (and var/bench/latest.json)")
    if REPORT.failed_gates:
        sys.exit(1)


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("The benchmarks need PostgreSQL (BENCH_DATABASE_URL=postgres://...).")
    # `python -m bench groups evaluation` or BENCH_ONLY=groups,evaluation; all by default.
    only = sys.argv[1:] or [name for name in os.environ.get("BENCH_ONLY", "").split(",") if name]
    old = setup_databases(verbosity=0, interactive=False)
    try:
        for name, bench in BENCHES.items():
            if not only or name in only:
                print(f"{name}:", flush=True)
                bench()
        finish()
    finally:
        teardown_databases(old, verbosity=0)


main()
