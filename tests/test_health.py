from datetime import timedelta

import pytest
from django.utils import timezone

from core import health
from participants.models import Heartbeat
from participants.outbox import tasks
from tests.factories import NotificationFactory

OUTBOX_OK = {"status": "ok", "due": 0, "lag_seconds": 0.0}


@pytest.mark.django_db
def test_healthz_reports_database_broker_outbox_and_beat(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "database": "ok", "broker": "ok", "outbox": OUTBOX_OK,
        # No tick recorded yet: nothing to judge, not a reason to degrade.
        "beat": {"status": "unknown", "last_tick_seconds": None},
    }


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


@pytest.mark.django_db
def test_outbox_lag_is_the_age_of_the_oldest_due_pending_message(client, settings):
    settings.HEALTH_OUTBOX_LAG_SECONDS = 6000
    now = timezone.now()
    NotificationFactory(due_at=now - timedelta(seconds=100))
    NotificationFactory(due_at=now - timedelta(seconds=40))
    NotificationFactory(due_at=now - timedelta(hours=5), status="sent")  # not pending
    NotificationFactory(due_at=now - timedelta(hours=5), status="failed")
    NotificationFactory(due_at=now + timedelta(hours=1))  # not due yet
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["outbox"]["due"] == 2
    assert body["outbox"]["status"] == "ok"
    assert 100 <= body["outbox"]["lag_seconds"] < 160  # wide: a busy machine is slow


@pytest.mark.django_db
def test_an_outbox_lag_past_the_threshold_degrades_the_status(client, settings):
    settings.HEALTH_OUTBOX_LAG_SECONDS = 60
    NotificationFactory(due_at=timezone.now() - timedelta(seconds=61))
    response = client.get("/healthz")
    assert response.status_code == 200  # it serves; something is behind
    body = response.json()
    assert (body["status"], body["outbox"]["status"]) == ("degraded", "degraded")


@pytest.mark.django_db
def test_a_lag_under_the_threshold_is_ok(client, settings):
    settings.HEALTH_OUTBOX_LAG_SECONDS = 60
    NotificationFactory(due_at=timezone.now() - timedelta(seconds=50))
    assert client.get("/healthz").json()["status"] == "ok"


@pytest.mark.django_db
def test_the_beat_heartbeat_task_records_a_tick_the_health_reports(client, settings):
    settings.HEALTH_BEAT_TICK_SECONDS = 60
    tasks.beat_heartbeat_task()
    body = client.get("/healthz").json()
    assert body["beat"]["status"] == "ok"
    assert 0 <= body["beat"]["last_tick_seconds"] < 50
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_a_tick_older_than_the_threshold_degrades_the_status(client, settings):
    settings.HEALTH_BEAT_TICK_SECONDS = 60
    Heartbeat.objects.create(name="beat", at=timezone.now() - timedelta(seconds=70))
    body = client.get("/healthz").json()
    assert (body["status"], body["beat"]["status"]) == ("degraded", "degraded")
    assert 70 <= body["beat"]["last_tick_seconds"] < 130
    tasks.beat_heartbeat_task()  # the next tick replaces the time
    assert Heartbeat.objects.count() == 1
    assert client.get("/healthz").json()["status"] == "ok"


@pytest.mark.django_db
def test_a_check_that_breaks_reads_as_degraded_not_as_a_crash(client, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(health._CHECKS, "broken", broken)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broken"] == {"status": "degraded", "error": "RuntimeError"}


@pytest.mark.django_db
def test_home_page_says_what_parley_is_and_links_to_sign_in_and_programs(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "citizen" in html.lower()
    assert 'href="/accounts/login/"' in html
    assert 'href="/programs/"' in html
