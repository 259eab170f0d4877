"""The scale-out recipe (Procfile + bin/run-scaled, docs/operations.md "Scaling out"):
every command in it starts the program it names with options that program accepts.
Nothing long-running: each command is checked with --help or gunicorn's --check-config."""

import os
import subprocess
from pathlib import Path

import pytest
from honcho import environ

ROOT = Path(__file__).resolve().parent.parent


def processes() -> dict[str, str]:
    return dict(environ.parse_procfile((ROOT / "Procfile").read_text()).processes)


def run(command: str, **env) -> subprocess.CompletedProcess:
    """The command as honcho runs it: through the shell, in the checkout, with PORT set."""
    return subprocess.run(
        ["/bin/sh", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PORT": "8100", "HONCHO_PROCESS_NAME": "worker.1", **env})


def test_the_procfile_has_web_workers_and_beat():
    assert list(processes()) == ["web", "worker", "beat"]
    checked = subprocess.run([str(ROOT / ".venv/bin/honcho"), "check"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "Valid procfile detected (web, worker, beat)" in checked.stderr


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_each_command_names_a_program_of_the_checkout(name):
    program = processes()[name].split()[0]
    assert program.startswith(".venv/bin/")
    assert os.access(ROOT / program, os.X_OK)


def test_the_web_command_loads_its_config_and_the_application():
    checked = run(processes()["web"] + " --check-config")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_accepts_every_option_of_the_command(name):
    # Options are parsed before --help answers: an unknown one fails with exit code 2.
    checked = run(processes()[name] + " --help")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Usage:" in checked.stdout


def test_celery_refuses_an_unknown_option_so_the_check_above_can_fail():
    checked = run(processes()["beat"] + " --no-such-option --help")
    assert checked.returncode == 2


def test_gunicorn_settings_follow_the_environment(monkeypatch):
    import runpy

    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    settings = runpy.run_path(str(ROOT / "config/gunicorn.py"))
    assert (settings["bind"], settings["workers"]) == ("127.0.0.1:8123", 3)
    monkeypatch.setenv("WEB_BIND", "0.0.0.0:9000")
    assert runpy.run_path(str(ROOT / "config/gunicorn.py"))["bind"] == "0.0.0.0:9000"


def test_run_scaled_starts_one_beat_and_the_procfile():
    script = (ROOT / "bin/run-scaled").read_text()
    assert "honcho --procfile Procfile start" in script
    assert "beat=1" in script
    assert os.access(ROOT / "bin/run-scaled", os.X_OK)
