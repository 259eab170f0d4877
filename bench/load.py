"""A bounded load test on loopback: participants applying, RSVPing and reading sessions.

The bench starts gunicorn itself (the Procfile's `web` command, so the scale-out recipe
is what is measured) on the bench's PostgreSQL database with Redis as cache and
broker, then BENCH_LOAD_USERS (100) participants, each with an API token, work at once
for BENCH_LOAD_SECONDS (60): each applies to an open program once, then, again and
again, answers a session's RSVP (yes or no) and reads the sessions of their program.
Reports requests per second, the 50th and 95th percentile latency and the errors
(anything but the expected 201/200; must be 0). Needs Django set up on a database
(bench/__main__.py); the rows it writes are committed for gunicorn to see.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import connection
from honcho import environ
from rest_framework.authtoken.models import Token

from exchanges.models import Application
from participants.models import User
from tests.factories import SessionFactory, program_with_sides
from tests.reliability.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent
USERS = int(os.environ.get("BENCH_LOAD_USERS", "100"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SESSIONS = 5


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def seed() -> dict:
    """An open program to apply to, and a program under way whose sessions the same
    participants (accepted there) answer and read."""
    open_program = program_with_sides(capacity=USERS * 2, balance="none")
    under_way = program_with_sides(capacity=USERS * 2, balance="none")
    sessions = [SessionFactory(program=under_way, title=f"Load {n}") for n in range(SESSIONS)]
    stamp = time.time_ns()
    users = User.objects.bulk_create(
        User(email=f"load-{stamp}-{n}@example.org", display_name=f"Load {n}", password="!")
        for n in range(USERS))
    side = under_way.sides.first()
    Application.objects.bulk_create(
        Application(program=under_way, side=side, applicant=user, status="accepted")
        for user in users)
    tokens = [Token.objects.create(user=user).key for user in users]
    return {"open_program": open_program.pk, "side": open_program.sides.first().pk,
            "under_way": under_way.pk, "sessions": [s.pk for s in sessions], "tokens": tokens}


LOG = ROOT / "var" / "bench" / "load-gunicorn.log"


def web_env(port: int) -> dict[str, str]:
    """Production settings (DEBUG off, static files collected) on the bench's database."""
    return {
        **os.environ, "PORT": str(port), "WEB_CONCURRENCY": str(WEB_WORKERS),
        "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": REDIS_URL,
        "CACHE_URL": REDIS_URL.replace("redis://", "rediscache://", 1),
        "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
        # The web reads what the bench wrote, so it encrypts with the bench's keys.
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_USER": "1000000/minute", "API_THROTTLE_ANON": "1000000/minute",
        "LOG_LEVEL": "WARNING", "PARLEY_VAR_DIR": str(ROOT / "var" / "bench" / "web"),
    }


def start_web(port: int) -> subprocess.Popen:
    web = dict(environ.parse_procfile((ROOT / "Procfile").read_text()).processes)["web"]
    env = web_env(port)
    subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--no-input",
                    "-v", "0"], cwd=ROOT, env=env, check=True)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with LOG.open("w") as log:
        return subprocess.Popen(["/bin/sh", "-c", f"exec {web}"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(base: str, web: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and web.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer /healthz: see {LOG}")


class Tally:
    def __init__(self):
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()

    async def call(self, client: httpx.AsyncClient, method: str, url: str, expected: int,
                   **kwargs) -> None:
        started = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
            status = response.status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        self.latencies.append(time.perf_counter() - started)
        if status != expected:
            self.errors[f"{method} {url.split('/')[3]} -> {status}"] += 1


async def participant(client, tally: Tally, seeded: dict, token: str, number: int,
                      deadline: float) -> None:
    auth = {"Authorization": f"Token {token}"}
    await tally.call(client, "POST", f"/api/v1/programs/{seeded['open_program']}/applications/",
                     201, json={"side": seeded["side"]}, headers=auth)
    sessions = seeded["sessions"]
    turn = number
    while time.monotonic() < deadline:
        session = sessions[turn % len(sessions)]
        answer = "yes" if turn % 2 else "no"
        await tally.call(client, "POST", f"/api/v1/sessions/{session}/rsvp/", 200,
                         json={"response": answer}, headers=auth)
        await tally.call(client, "GET", f"/api/v1/programs/{seeded['under_way']}/sessions/",
                         200, headers=auth)
        turn += 1


async def _run(base: str, seeded: dict) -> tuple[Tally, float]:
    tally = Tally()
    limits = httpx.Limits(max_connections=USERS, max_keepalive_connections=USERS)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        started = time.monotonic()
        deadline = started + SECONDS
        await asyncio.gather(*(participant(client, tally, seeded, token, n, deadline)
                               for n, token in enumerate(seeded["tokens"])))
        return tally, time.monotonic() - started


def _percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1] if len(values) > 1 else 0


def load() -> dict:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    seeded = seed()
    port = free_port()
    web = start_web(port)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, web)
        tally, elapsed = asyncio.run(_run(base, seeded))
    finally:
        web.terminate()
        try:
            web.wait(timeout=30)
        except subprocess.TimeoutExpired:
            web.kill()
    applied = Application.objects.filter(program_id=seeded["open_program"]).count()
    requests = len(tally.latencies)
    return {
        "participants": USERS, "seconds": round(elapsed, 1), "web_workers": WEB_WORKERS,
        "requests": requests, "requests_per_second": round(requests / elapsed, 1),
        "p50_ms": round(1000 * _percentile(tally.latencies, 0.50), 1),
        "p95_ms": round(1000 * _percentile(tally.latencies, 0.95), 1),
        "errors": sum(tally.errors.values()), "error_kinds": dict(tally.errors),
        "applications_recorded": applied, "load_average": os.getloadavg()[0],
    }


def report(figures: dict) -> str:
    return (f"load test: {figures['participants']} participants for {figures['seconds']:.0f} s "
            f"against gunicorn ({figures['web_workers']} workers, PostgreSQL, Redis): "
            f"{figures['requests']} requests, {figures['requests_per_second']:.0f} req/s, "
            f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
            f"errors {figures['errors']} {figures['error_kinds'] or ''}(must be 0); "
            f"{figures['applications_recorded']} applications recorded; "
            f"load average {figures['load_average']:.1f}")
