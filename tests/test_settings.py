"""A bad configuration value stops the process at start and names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start_with(tmp_path, **variables):
    env = {**os.environ, "PARLEY_VAR_DIR": str(tmp_path), **variables}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )


@pytest.mark.parametrize("name,value", [
    ("DEBUG", "perhaps"),
    ("DATABASE_URL", "nosuchdb://x"),
    ("TIME_ZONE", "Mars/Olympus_Mons"),
    ("OUTBOX_BATCH_SIZE", "many"),
    ("EMAIL_URL", "pigeon://coop"),
    ("NUM_PROXIES", "-1"),
])
def test_bad_value_fails_at_start_naming_the_variable(tmp_path, name, value):
    result = start_with(tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        env={**env, "DEBUG": "false", "PARLEY_VAR_DIR": str(tmp_path)}, timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_defaults_start_cleanly(tmp_path):
    result = start_with(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_without_field_encryption_keys_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "FIELD_ENCRYPTION_KEYS"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        env={**env, "DEBUG": "false", "SECRET_KEY": "s" * 60, "PARLEY_VAR_DIR": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is not set" in result.stderr


def test_a_malformed_field_encryption_key_is_named(tmp_path):
    result = start_with(tmp_path, FIELD_ENCRYPTION_KEYS="not-a-key")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS: key 1 is not a Fernet key" in result.stderr
