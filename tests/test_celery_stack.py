"""Real Celery processes: beat's tick reaches a worker on the configured broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


@pytest.fixture
def stack_env(tmp_path):
    env = {**os.environ, "PARLEY_VAR_DIR": str(tmp_path), "OUTBOX_DISPATCH_EVERY": "1"}
    if "DATABASE_URL" not in os.environ:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True, timeout=180)
    return env


def wait_for(path: Path, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.5)
    return False


def test_beat_tick_reaches_the_worker(stack_env, tmp_path):
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    worker = subprocess.Popen(
        [CELERY, "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1",
         "--pool=solo", f"--logfile={worker_log}", "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=stack_env)
    beat = subprocess.Popen(
        [CELERY, "-A", "config", "beat", "--loglevel=INFO", f"--logfile={beat_log}",
         f"--schedule={tmp_path / 'beat-schedule'}"],
        cwd=ROOT, env=stack_env)
    try:
        reached = wait_for(worker_log, "participants.outbox.tasks.dispatch_outbox_task", 60)
        assert reached, worker_log.read_text(errors="replace") if worker_log.exists() else "no log"
        assert "Sending due task dispatch-outbox" in beat_log.read_text()
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            process.wait(timeout=30)
