"""API throttles that count every request, per user or per client address.

DRF's own throttles keep a list of request times in the cache and write it back
(read, modify, write): concurrent requests read the same list and all but one go
uncounted. These count in fixed windows with `cache.add` and `cache.incr`, which the
local-memory cache, Redis and memcached do atomically. A window of `duration`
seconds lets at most the rate's number of requests through (twice that across a
window boundary at worst).

The client's address is REMOTE_ADDR: X-Forwarded-For is read only when the operator
says how many proxies in front append to it (NUM_PROXIES, DRF's get_ident), so a
client cannot buy a new allowance by sending a header of its own.
"""

import time

from django.core.cache import cache
from rest_framework import throttling


def client_address(request) -> str:
    """The address a request comes from, as the throttles see it (pages and API alike)."""
    return throttling.BaseThrottle().get_ident(request)


def parse_rate(rate: str) -> tuple[int, int]:
    """`"20/hour"` → (20, 3600): how many, per how many seconds (DRF's notation)."""
    count, period = rate.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


def over_limit(key: str, rate: str) -> bool:
    """Counts one more under `key`; True once the rate's allowance in this window is spent."""
    allowed, duration = parse_rate(rate)
    return count_hit(key, duration=duration, now=time.time()) > allowed


def count_hit(key: str, *, duration: int, now: float) -> int:
    """Counts one request under `key` in the current window; the count so far, this one in."""
    bucket = f"{key}:{int(now // duration)}"
    # Kept a window longer than it counts, so it cannot expire between add and incr.
    cache.add(bucket, 0, timeout=duration * 2)
    try:
        return cache.incr(bucket)
    except ValueError:  # evicted meanwhile (a full cache): start the window again
        cache.add(bucket, 1, timeout=duration * 2)
        return 1


def seconds_left(*, duration: int, now: float) -> float:
    return duration - now % duration


class FixedWindowMixin:
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        return count_hit(self.key, duration=self.duration, now=self.now) <= self.num_requests

    def wait(self):
        return seconds_left(duration=self.duration, now=self.now)


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    pass
