"""List figures: the API's program list next to a bare Django view of the same rows, and
every list's rate with 100,000 programs next to its rate with 50.

Requests go through Django's test Client in this process (every middleware, DEBUG off,
throttles raised out of the way), one at a time; a rate is requests per second over a
round, and each figure keeps the median of its rounds. Needs Django set up on a
database (bench/__main__.py).

- API list ÷ bare view, 50 rows: GET /api/v1/programs/?page_size=50 against a plain
  view defined here (values() + JsonResponse of the same 50 programs' columns, no
  sides), in 9 interleaved rounds of 100 requests, signed in (an API token of a
  coordinator who also applied somewhere) and anonymous.
- 100k ÷ 50 programs: the API list signed in and anonymous, the catalogue page and a
  catalogue search, on `manage.py seed_scale --programs 50` (kept in a copy of the
  database) and on `seed_scale --programs BENCH_SCALE` (100,000), in interleaved rounds:
  each round measures every page on one database, then on the other. Every page is
  full at both sizes (the API's default page of 20, the catalogue's 12, a search word
  every description has), so the two sizes differ only in the table behind the page.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from contextlib import contextmanager

from django.core.management import call_command, get_commands
from django.db import connection
from django.http import JsonResponse
from django.test import Client, override_settings
from django.urls import include, path
from django.utils import timezone
from rest_framework.authtoken.models import Token

from bench.report import REPORT
from core import throttling
from exchanges.models import Application, Membership, Organization, Program, Side
from participants.models import User

ROUNDS = int(os.environ.get("BENCH_LIST_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_LIST_REQUESTS", "40"))
# The 50-row figure's requests take 2-3 ms: longer rounds, and more of them, so that a
# moment of load on this shared machine moves its median less (5 x 40 moved it by 0.1).
BARE_ROUNDS = int(os.environ.get("BENCH_BARE_ROUNDS", "9"))
BARE_REQUESTS = int(os.environ.get("BENCH_BARE_REQUESTS", "100"))
SCALE = int(os.environ.get("BENCH_SCALE", "100000"))
ROWS = 50
API = f"/api/v1/programs/?page_size={ROWS}"
BARE = f"/bench/bare/?rows={ROWS}"
PUBLIC = ("published", "closed")
# The program's own columns the API shows (its sides are left out: a bare view would
# need a second query and a loop, which is what the API's own path does).
BARE_COLUMNS = (
    "id", "organization__slug", "title", "kind", "summary", "description", "location",
    "is_online", "starts_on", "ends_on", "applications_close_at", "capacity", "balance",
    "status", "created_at", "retention_days", "timezone", "venue_disclosure_hours",
    "guardian_consent_under", "languages",
)


def bare_view(request):
    rows = list(Program.objects.filter(status__in=PUBLIC).order_by("starts_on", "id")
                .values(*BARE_COLUMNS)[:int(request.GET["rows"])])
    return JsonResponse({"count": len(rows), "results": rows})


urlpatterns = [path("bench/bare/", bare_view), path("", include("config.urls"))]


@contextmanager
def served():
    """Production-like answers (DEBUG off) with the bare view, and no throttling."""
    saved = (throttling.AnonRateThrottle.THROTTLE_RATES,
             throttling.UserRateThrottle.THROTTLE_RATES)
    unlimited = {"anon": "1000000/minute", "user": "1000000/minute"}
    throttling.AnonRateThrottle.THROTTLE_RATES = unlimited
    throttling.UserRateThrottle.THROTTLE_RATES = unlimited
    try:
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"],
                               ROOT_URLCONF="bench.lists"):
            yield
    finally:
        (throttling.AnonRateThrottle.THROTTLE_RATES,
         throttling.UserRateThrottle.THROTTLE_RATES) = saved


def _rate(client: Client, url: str, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        client.get(url)
    return requests / (time.perf_counter() - started)


def interleaved(pairs: dict[str, tuple[Client, str]], rounds: int = ROUNDS,
                requests: int = REQUESTS) -> dict[str, float]:
    """Median rate per name, the names taking turns within each round."""
    rates: dict[str, list[float]] = {name: [] for name in pairs}
    for _ in range(rounds):
        for name, (client, url) in pairs.items():
            rates[name].append(_rate(client, url, requests))
    return {name: statistics.median(values) for name, values in rates.items()}


def _check(client: Client, url: str, rows: int | None = None) -> None:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    if rows is not None:
        assert len(response.json()["results"]) == rows, url


def _clients(reader: User) -> tuple[Client, Client]:
    signed_in = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reader).key}")
    return signed_in, Client()


# --- API list ÷ bare view ---------------------------------------------------------------


def seed_fifty() -> User:
    """50 published programs of 5 organizations, 2 sides each; the reader coordinates the
    first organization (so its programs carry seat counts) and applied to one program."""
    stamp = time.time_ns()
    organizations = Organization.objects.bulk_create(
        Organization(name=f"Bench {n}", slug=f"bench-list-{stamp}-{n}") for n in range(5))
    today = timezone.localdate()
    programs = Program.objects.bulk_create(
        Program(organization=organizations[n % 5], title=f"Exchange {n}", kind="dialogue",
                summary="Young people meet the other side.", location="Nicosia",
                starts_on=today, ends_on=today, capacity=20, status="published")
        for n in range(ROWS))
    sides = Side.objects.bulk_create(Side(program=program, name=name, position=k)
                                     for program in programs
                                     for k, name in enumerate(("North", "South")))
    reader = User.objects.create(email=f"bench-list-{stamp}@example.org",
                                 display_name="Reader", password="!")
    Membership.objects.create(organization=organizations[0], user=reader, role="coordinator")
    applicants = User.objects.bulk_create(
        User(email=f"bench-applicant-{stamp}-{n}@example.org", display_name=f"A {n}",
             password="!") for n in range(20))
    Application.objects.bulk_create(
        Application(program=side.program, side=side, applicant=applicant)
        for side, applicant in zip(sides, applicants, strict=False))
    Application.objects.create(program=programs[-1], side=sides[-1], applicant=reader)
    return reader


def bench_api_vs_bare() -> None:
    reader = seed_fifty()
    signed_in, anonymous = _clients(reader)
    with served():
        for client in (signed_in, anonymous):
            _check(client, API, ROWS)
            _check(client, BARE, ROWS)
        rates = interleaved({
            "api_signed_in": (signed_in, API), "bare_signed_in": (signed_in, BARE),
            "api_anonymous": (anonymous, API), "bare_anonymous": (anonymous, BARE)},
            BARE_ROUNDS, BARE_REQUESTS)
    for who in ("signed_in", "anonymous"):
        api, bare = rates[f"api_{who}"], rates[f"bare_{who}"]
        REPORT.add(f"API list ÷ bare view, {ROWS} rows, {who.replace('_', ' ')}",
                   round(api / bare, 2), goal=0.6, api_per_second=round(api, 1),
                   bare_per_second=round(bare, 1), rounds=BARE_ROUNDS,
                   requests_per_round=BARE_REQUESTS)


# --- 100k ÷ 50 programs -----------------------------------------------------------------


def _seed_scale(programs: int) -> None:
    call_command("seed_scale", programs=programs, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _scale_reader() -> User:
    """A coordinator of the first organization who applied to a program of another."""
    reader = User.objects.create(email=f"bench-scale-{time.time_ns()}@example.org",
                                 display_name="Reader", password="!")
    first = Organization.objects.order_by("pk").first()
    Membership.objects.create(organization=first, user=reader, role="coordinator")
    side = Side.objects.exclude(program__organization=first).order_by("pk").first()
    Application.objects.create(program_id=side.program_id, side=side, applicant=reader)
    return reader


def _search_word() -> str:
    """The word most public programs' descriptions share: a common word, whose results
    fill the page at both sizes (a word of one title matched 4 programs of 50 and 5,830
    of 100,000: the two pages then showed 4 and 12 programs, not the same work)."""
    words = Counter(word for text in Program.objects.filter(status__in=PUBLIC)
                    .values_list("description", flat=True).iterator()
                    for word in set(text.split()) if word.isalpha())
    return max(words, key=lambda word: (words[word], len(word)))  # the longest of the ties


# The API's default page (20 programs): full at both sizes. Of 50 seeded programs an
# anonymous caller sees 34, so a page of 50 would compare 34 rows with 50.
SCALE_API = "/api/v1/programs/"
PAGES = ("API list, signed in", "API list, anonymous", "catalogue page", "catalogue search")


def _pages() -> dict[str, tuple[Client, str]]:
    """The four pages, as a reader of the database now in use asks for them."""
    signed_in, anonymous = _clients(_scale_reader())
    pages = dict(zip(PAGES, (
        (signed_in, SCALE_API), (anonymous, SCALE_API), (anonymous, "/programs/"),
        (anonymous, f"/programs/?q={_search_word()}")), strict=True))
    for client, url in pages.values():
        _check(client, url)
    return pages


def _use(database: str) -> None:
    """Point the default connection at `database` (the next query reconnects)."""
    connection.close()
    connection.settings_dict["NAME"] = database


def _copy_database(suffix: str) -> str:
    """A copy of the database in use, made with it as a template."""
    name = connection.settings_dict["NAME"]
    copy = f"{name}{suffix}"
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return copy


def _drop_database(name: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _interleaved_sizes(databases: dict[int, str]) -> dict[tuple[int, str], float]:
    """Median rate per (size, page): each round measures every page at one size, then
    at the other, so both sizes see the same machine."""
    pages = {}
    for size, database in databases.items():
        _use(database)
        with served():
            pages[size] = _pages()
    rates = {(size, page): [] for size in databases for page in PAGES}
    with served():
        for _ in range(ROUNDS):
            for size, database in databases.items():
                _use(database)
                for page, (client, url) in pages[size].items():
                    client.get(url)  # after reconnecting: a new connection prepares
                    rates[size, page].append(_rate(client, url, REQUESTS))
    return {key: statistics.median(values) for key, values in rates.items()}


def bench_scale() -> None:
    if "seed_scale" not in get_commands():
        REPORT.add("100k ÷ 50 programs", None, goal=0.8,
                   reason="manage.py seed_scale is not in this checkout")
        return
    call_command("flush", interactive=False, verbosity=0)
    _seed_scale(50)
    small = _copy_database("_small")
    large = connection.settings_dict["NAME"]
    try:
        call_command("flush", interactive=False, verbosity=0)
        _seed_scale(SCALE)
        rates = _interleaved_sizes({50: small, SCALE: large})
    finally:
        _use(large)
        _drop_database(small)
        call_command("flush", interactive=False, verbosity=0)
    for page in PAGES:
        small_rate, large_rate = rates[50, page], rates[SCALE, page]
        REPORT.add(f"{page}, {SCALE:,} ÷ 50 programs", round(large_rate / small_rate, 2),
                   goal=0.8, rate_at_50=round(small_rate, 1), rate_at_scale=round(large_rate, 1),
                   rounds=ROUNDS, requests_per_round=REQUESTS)
