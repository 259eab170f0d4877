from celery import current_app as celery_app  # the project's app, set up by config
from django.conf import settings
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core import health


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_broker() -> str:
    with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness: 200 when the database and the broker answer, else 503.

    The registered checks (core.health: the outbox's lag, beat's last tick) add their
    readings; one that is degraded makes the status "degraded", still with 200: the
    site serves, but something is behind.
    """
    checks = {}
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            checks[name] = check()
        except Exception as exc:  # report any failure as "down", never crash the probe
            checks[name] = f"error: {exc.__class__.__name__}"
    if not all(value == "ok" for value in checks.values()):
        return JsonResponse({"status": "unavailable", **checks}, status=503)
    readings = health.readings()
    behind = any(reading.get("status") == health.DEGRADED for reading in readings.values())
    return JsonResponse({"status": health.DEGRADED if behind else "ok", **checks, **readings})


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
