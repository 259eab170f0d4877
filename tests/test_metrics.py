"""GET /metrics: Prometheus text, only for the allowed addresses or the bearer token."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from participants.outbox import dispatch
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_from_an_allowed_address_has_requests_and_the_outbox(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    NotificationFactory(due_at=timezone.now() - timedelta(seconds=30))
    NotificationFactory(due_at=timezone.now() - timedelta(seconds=10))
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "parley_outbox_due_messages 2.0" in text
    [lag] = [line for line in text.splitlines() if line.startswith("parley_outbox_lag_seconds ")]
    assert 30 <= float(lag.split()[1]) < 90  # wide: a busy machine is slow
    assert "parley_beat_last_tick_age_seconds -1.0" in text
    assert 'parley_outbox_messages_total{outcome="sent"}' in text


def test_metrics_are_not_found_from_another_address(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.0.0.0/8"]
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                       HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 404


def test_the_bearer_token_opens_metrics_from_anywhere(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "s3cret-token"
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                          HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200


def test_no_token_set_means_no_token_opens_them(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


def test_the_dispatcher_counts_each_outcome():
    before = {o: sample("parley_outbox_messages_total", outcome=o)
              for o in ("sent", "skipped", "failed")}
    NotificationFactory(kind="no_such_kind")
    dispatch.dispatch_outbox()
    assert sample("parley_outbox_messages_total", outcome="failed") == before["failed"] + 1
    assert sample("parley_outbox_messages_total", outcome="sent") == before["sent"]


def test_in_multi_process_mode_the_counts_come_from_the_shared_folder(client, settings,
                                                                      monkeypatch, tmp_path):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    # This process counted in memory, not in the (empty) folder: only what the folder
    # holds is added up, and the gauges read at scrape time are there as ever.
    assert "django_http_requests_total_by_method_total" not in text
    assert "parley_outbox_due_messages 0.0" in text
