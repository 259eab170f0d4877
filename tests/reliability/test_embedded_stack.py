"""`make run`'s stack (SQLite file + server-less broker) delivers a due reminder end to end."""

import os
import subprocess
import sys
import time

import pytest

from participants.outbox.kinds import message_id
from tests.reliability.conftest import ROOT, Stack

pytestmark = pytest.mark.reliability

# Run inside `manage.py shell` against the embedded database: a program whose
# session's one-hour reminder falls due a few seconds from now, planned by the
# services as in production. Prints the reminder's dedupe key.
SETUP = """
from datetime import date, timedelta
from django.utils import timezone
from dialogues.reminders import services as reminders
from dialogues.models import Session
from exchanges import services
from exchanges.services import SideSpec
from participants.models import User

owner = User.objects.create_user("owner@example.org", "x-Long-passphrase-1", display_name="O")
person = User.objects.create_user("person@example.org", "x-Long-passphrase-2",
                                  display_name="P", timezone="Asia/Nicosia")
organization = services.organization_create(actor=owner, name="Bridges")
today = timezone.localdate()
program = services.program_create(
    organization=organization, actor=owner, sides=[SideSpec("North"), SideSpec("South")],
    title="Embedded", kind="dialogue", starts_on=today, ends_on=today + timedelta(days=30),
    capacity=10)
services.program_publish(program=program, actor=owner)
starts = timezone.now() + timedelta(minutes=60, seconds=5)
session = Session.objects.create(
    program=program, title="Circle", format="storytelling", starts_at=starts,
    ends_at=starts + timedelta(hours=2), timezone="Asia/Nicosia", location="Ledra Palace")
reminders.session_created(session=session)
application = services.application_submit(program=program, side=program.sides.first(),
                                          applicant=person)
services.application_accept(application=application, actor=owner)
print(f"KEY session_reminder:{session.pk}:{person.pk}:-60")
"""


def test_embedded_stack_delivers_a_due_reminder_within_a_minute(tmp_path, sink):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(PARLEY_VAR_DIR=str(tmp_path), EMAIL_URL=sink.url, OUTBOX_DISPATCH_EVERY="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    output = subprocess.run([*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True,
                            timeout=120, capture_output=True, text=True).stdout
    key = output.split("KEY ", 1)[1].strip()
    due = time.monotonic() + 5

    stack = Stack(tmp_path, env)
    stack.worker()
    stack.beat()
    try:
        wanted = message_id(key)
        arrived = sink.wait_for(3, 60 + 5) and wanted in sink.message_ids()
        assert arrived, stack.logs()
        assert time.monotonic() - due < 60
    finally:
        stack.stop()
    [reminder] = [m for m in sink.messages if m["Message-ID"] == wanted]
    assert reminder["Subject"].startswith("Reminder: Circle, ")
    assert "(Nicosia, UTC+" in reminder["Subject"]
    assert [p.get_filename() for p in reminder.walk() if p.get_filename()] == ["session.ics"]
    assert sink.duplicates() == {}
