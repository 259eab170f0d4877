"""Which people are under identity protection: asked by the admin, answered by the apps
above (exchanges registers "applied to an organization with identity protection on")."""

from collections.abc import Callable, Iterable

_CHECKS: list[Callable[[list[int]], set[int]]] = []


def register(check: Callable[[list[int]], set[int]]) -> None:
    """`check(user_ids)` answers the ids among them whose identity is protected."""
    if check not in _CHECKS:
        _CHECKS.append(check)


def protected_ids(user_ids: Iterable[int]) -> set[int]:
    ids = list(user_ids)
    found: set[int] = set()
    for check in _CHECKS:
        found |= check(ids)
    return found
