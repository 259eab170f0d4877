"""Shared fixtures, and the rules for tests that need a service.

Tests marked `postgres` or `redis` run only when the suite runs on that stack
(DATABASE_URL / CELERY_BROKER_URL point at it); on the embedded stack they are
deselected, and the summary says how to run them. The exploring fuzz test (marker
`explore`) runs only under `make fuzz`, which sets FUZZ_SEED: `make test` stays
deterministic. A test that needs something the
machine lacks (a server that does not answer, Chromium) is skipped with a reason
that says how to get it — or fails, when PARLEY_REQUIRE_SERVICES=1 (CI).
"""

import os

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("PARLEY_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def on_redis() -> bool:
    return settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


def missing(reason: str) -> None:
    """Skip for lack of a service; under PARLEY_REQUIRE_SERVICES=1 that is a failure."""
    if REQUIRE_SERVICES:
        pytest.fail(f"PARLEY_REQUIRE_SERVICES=1 and {reason}", pytrace=False)
    pytest.skip(reason)


_deselected: dict[str, int] = {}


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres():
            _deselected["postgres"] = _deselected.get("postgres", 0) + 1
            drop.append(item)
        elif item.get_closest_marker("redis") and not on_redis():
            _deselected["redis"] = _deselected.get("redis", 0) + 1
            drop.append(item)
        elif item.get_closest_marker("explore") and not os.environ.get("FUZZ_SEED"):
            _deselected["explore"] = _deselected.get("explore", 0) + 1
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter):
    how = {
        "postgres": "DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley",
        "redis": "CELERY_BROKER_URL=redis://127.0.0.1:6379/0",
    }
    for stack, count in _deselected.items():
        if stack == "explore":
            terminalreporter.write_line(
                f"{count} exploring fuzz test (a fresh seed each run) was not collected; "
                "run `make fuzz` for it.")
            continue
        terminalreporter.write_line(
            f"{count} tests for the {stack} stack were not collected on this stack; "
            f"run `{how[stack]} make test` to include them."
        )


@pytest.fixture(autouse=True)
def _service_guard(request):
    if request.node.get_closest_marker("postgres") and on_postgres():
        try:
            connection.ensure_connection()
        except Exception as exc:
            missing(f"PostgreSQL does not answer ({exc}); start it, e.g. "
                    "`pg_ctlcluster --skip-systemctl-redirect 15 main start`")


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Argon2 takes ~0.25 s a hash by design, and most tests make several people; what
    # they test is access, not hashing (test_security_headers checks the real setting).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    """An organization's owner."""
    return UserFactory(display_name="Alice", email="alice@example.org")


@pytest.fixture
def bob(db):
    """A participant."""
    return UserFactory(display_name="Bob", email="bob@example.org")


@pytest.fixture
def charlie(db):
    """An outsider: owner of another organization."""
    return UserFactory(display_name="Charlie", email="charlie@example.org")


@pytest.fixture
def org(alice):
    organization = OrganizationFactory(name="Bridges", slug="bridges")
    MembershipFactory(organization=organization, user=alice, role="owner")
    return organization


@pytest.fixture
def other_org(charlie):
    organization = OrganizationFactory(name="Elsewhere", slug="elsewhere")
    MembershipFactory(organization=organization, user=charlie, role="owner")
    return organization
