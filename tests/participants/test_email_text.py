"""Subjects and plain-text bodies are text: what people wrote arrives unescaped."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from exchanges.models import ApplicationStatus
from participants.outbox import dispatch
from tests.factories import ApplicationFactory, NotificationFactory

pytestmark = pytest.mark.django_db
TITLE = "Women's Football & Dialogue <Nicosia>"


def test_subject_and_text_body_keep_quotes_and_ampersands_the_html_body_escapes_them():
    application = ApplicationFactory(status=ApplicationStatus.ACCEPTED, side__program__title=TITLE)
    row = NotificationFactory(
        recipient=application.applicant, kind="application_accepted",
        dedupe_key=f"application_accepted:{application.pk}",
        organization=application.program.organization,
        context={"application": application.pk, "program": application.program_id},
    )
    dispatch.dispatch_outbox()
    row.refresh_from_db()
    sent = mail.outbox[0]
    assert row.subject == sent.subject == f"You are accepted to {TITLE}"
    assert TITLE in sent.body
    html = sent.alternatives[0][0]
    assert "Women&#x27;s Football &amp; Dialogue &lt;Nicosia&gt;" in html
    assert TITLE not in html


def test_site_url_follows_the_port_make_run_serves_on():
    env = {**os.environ, "PORT": "8123"}
    env.pop("SITE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); "
         "from django.conf import settings; print(settings.SITE_URL)"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "http://127.0.0.1:8123"
