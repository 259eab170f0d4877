import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from dialogues.models import Session
from exchanges.models import Application, ApplicationStatus, Membership, Program, ProgramKind
from participants.models import Notification, User

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def table_sizes() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def test_load_demo_covers_every_kind_and_status_and_prints_logins():
    output = load_demo()
    assert set(Program.objects.values_list("kind", flat=True)) == set(ProgramKind.values)
    assert set(Application.objects.values_list("status", flat=True)) == set(
        ApplicationStatus.values)
    assert Program.objects.values("organization").distinct().count() == 2
    for program in Program.objects.prefetch_related("sides"):
        assert 2 <= len(program.sides.all()) <= 3
    sessions = Session.objects.all()
    assert any(s.effective_status == "completed" for s in sessions)
    assert any(s.effective_status == "scheduled" for s in sessions)
    assert Notification.objects.exists()
    invitation = Membership.seats.get(status="invited")  # members join by invitation
    assert Notification.objects.filter(kind="membership_invitation",
                                       recipient_email=invitation.email).exists()
    for email in ["admin@parley.example", "staff@parley.example", "facilitator@parley.example",
                  "participant@parley.example"]:
        assert email in output
        assert User.objects.get(email=email).check_password("parley-demo-2026")


def test_load_demo_is_idempotent():
    load_demo()
    before = table_sizes()
    load_demo()
    assert table_sizes() == before


def test_demo_programs_and_sessions_pass_the_validity_rules():
    load_demo()
    for program in Program.objects.all():
        program.full_clean(validate_constraints=False)
    for session in Session.objects.select_related("program"):
        first, after_last = session.program_bounds()
        assert first <= session.starts_at < session.ends_at <= after_last, session
        assert session.ends_at - session.starts_at <= timedelta(hours=24), session


def test_demo_data_respects_the_balance_rule():
    load_demo()
    for program in Program.objects.filter(balance="parity").prefetch_related("sides"):
        seats = program.capacity // len(program.sides.all())
        for side in program.sides.all():
            accepted = side.applications.filter(status="accepted").count()
            assert accepted <= seats, (program, side)


def test_every_admin_changelist_and_change_page_opens(admin_client, django_assert_max_num_queries):
    load_demo()
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        with django_assert_max_num_queries(15):
            response = admin_client.get(reverse(f"{name}_changelist"))
        assert response.status_code == 200, model
        obj = model.objects.first()
        if obj is not None:
            assert admin_client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200


def test_activity_log_is_read_only_in_the_admin(admin_client):
    load_demo()
    from exchanges.models import ActivityLog

    entry = ActivityLog.objects.first()
    url = reverse("admin:exchanges_activitylog_change", args=[entry.pk])
    response = admin_client.post(url, {"verb": "forged"})
    entry.refresh_from_db()
    assert entry.verb == "program.created"
    assert response.status_code == 403
    delete = reverse("admin:exchanges_activitylog_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ActivityLog.objects.filter(pk=entry.pk).exists()
