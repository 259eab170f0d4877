"""GET /metrics: Prometheus metrics, for the allowed addresses or a bearer token only.

django-prometheus counts requests, responses and latencies; higher apps register
collectors read at scrape time (e.g. the outbox's queue depth). With
PROMETHEUS_MULTIPROC_DIR set (several gunicorn or Celery processes on a machine),
the counts of every process there are added up.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# Collectors read on each scrape, registered by higher apps (participants: the outbox).
SCRAPE_TIME = CollectorRegistry(auto_describe=False)  # collect() only on a scrape


def register_collector(collector) -> None:
    SCRAPE_TIME.register(collector)


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False)
               for network in settings.METRICS_ALLOWED_IPS)


def _process_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@never_cache
@require_GET
def metrics(request):
    if not allowed(request):
        raise Http404  # not advertised to whoever may not read it
    body = _process_metrics() + generate_latest(SCRAPE_TIME)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
