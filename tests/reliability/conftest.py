"""Real processes: Celery workers and beat as subprocesses, a real SMTP server on loopback.

The workers use the very database pytest-django created (tests here use
`django_db(transaction=True)` so their rows are committed and visible), a Redis
database of their own (flushed before each test, so the shared Redis server is
left alone), and the SMTP sink's port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.reliability.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
# A Redis database only these tests use (flushed before each test); checkouts that run
# them side by side each give their own.
BROKER_DB = int(os.environ.get("RELIABILITY_REDIS_DB", "14"))


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def broker_url() -> str:
    base = settings.CELERY_BROKER_URL.rsplit("/", 1)[0]
    return f"{base}/{BROKER_DB}"


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(broker_url()).flushdb()


def wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.25) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Stack:
    """Start workers and beat against the test database; stop them all at teardown."""

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.tmp_path = tmp_path
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self._count = 0

    def worker(self, **extra_env: str) -> subprocess.Popen:
        self._count += 1
        log = self.tmp_path / f"worker-{self._count}.log"
        return self._start(
            [CELERY, "-A", "config", "worker", "--loglevel=INFO", "--pool=solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             f"--logfile={log}", "-n", f"reliability-{os.getpid()}-{self._count}@%h"],
            extra_env)

    def beat(self, **extra_env: str) -> subprocess.Popen:
        return self._start(
            [CELERY, "-A", "config", "beat", "--loglevel=INFO",
             f"--logfile={self.tmp_path / 'beat.log'}",
             f"--schedule={self.tmp_path / 'beat-schedule'}"],
            extra_env)

    def _start(self, command: list[str], extra_env: dict[str, str]) -> subprocess.Popen:
        process = subprocess.Popen(command, cwd=ROOT, env={**self.env, **extra_env},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.tmp_path.glob("*.log")))


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path, sink):
    """Workers and beat on PostgreSQL + Redis, sending to the sink."""
    flush_broker()
    env = {
        **os.environ,
        "PARLEY_VAR_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url(),
        "EMAIL_URL": sink.url,
        "OUTBOX_DISPATCH_EVERY": "1",
        "OUTBOX_BATCH_SIZE": "50",
        "OUTBOX_BACKOFF_SECONDS": "1",
        "CONN_MAX_AGE": "0",
    }
    running = Stack(tmp_path, env)
    yield running
    running.stop()
    flush_broker()
