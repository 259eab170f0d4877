"""What /healthz reports beyond the database and the broker, registered by higher apps.

core sits at the bottom of the apps and knows nothing of the outbox or beat: an app
registers a check from its AppConfig.ready(). A check returns a dict for the
response with a "status": "ok", "degraded" (working, but behind: e.g. messages wait
longer than the configured threshold) or "unknown" (nothing to judge yet).
"""

from __future__ import annotations

from collections.abc import Callable

Check = Callable[[], dict]

OK, DEGRADED, UNKNOWN = "ok", "degraded", "unknown"

_CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    _CHECKS[name] = check


def readings() -> dict[str, dict]:
    """Each registered check's reading; a check that fails reads as degraded."""
    found = {}
    for name, check in _CHECKS.items():
        try:
            found[name] = check()
        except Exception as exc:  # a probe must answer whatever breaks
            found[name] = {"status": DEGRADED, "error": exc.__class__.__name__}
    return found
