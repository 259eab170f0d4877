"""Emails are one spelling: stored lower-cased and stripped, looked up whatever the case.

The sign-in lock shares that spelling (tests/web/test_sign_in_hardening_pages.py).
"""

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import RequestFactory

from participants import services
from participants.models import User, normalize_email
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("spelling", ["Sara@Example.org", " sara@example.org",
                                      "SARA@EXAMPLE.ORG\t", "\nsara@example.ORG  "])
def test_every_spelling_normalizes_to_one(spelling):
    assert normalize_email(spelling) == "sara@example.org"


def test_the_manager_stores_the_normalized_email():
    user = User.objects.create_user(" Sara@Example.ORG ", PASSWORD, display_name="Sara")
    user.refresh_from_db()
    assert user.email == "sara@example.org"


@pytest.mark.parametrize("spelling", ["SARA@example.org", " sara@example.org "])
def test_sign_in_finds_the_account_whatever_the_spelling(spelling):
    sara = UserFactory(email="sara@example.org")
    assert User.objects.get_by_natural_key(spelling) == sara
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=spelling, password=PASSWORD) == sara


def test_a_profile_change_stores_the_normalized_email():
    sara = UserFactory(email="sara@example.org")
    services.user_update_profile(user=sara, email="  New.Sara@Example.org ", password=PASSWORD)
    sara.refresh_from_db()
    assert sara.email == "new.sara@example.org"


def test_the_admin_stores_the_normalized_email_and_refuses_a_case_duplicate(admin_client):
    UserFactory(email="sara@example.org")
    response = admin_client.post("/admin/participants/user/add/", {
        "email": "SARA@example.org ", "display_name": "Sara two", "password1": PASSWORD,
        "password2": PASSWORD, "usable_password": "true"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email__iexact="sara@example.org").count() == 1

    response = admin_client.post("/admin/participants/user/add/", {
        "email": " Tom@Example.org", "display_name": "Tom", "password1": PASSWORD,
        "password2": PASSWORD, "usable_password": "true"})
    assert response.status_code == 302
    assert User.objects.filter(email="tom@example.org").exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_normalizes_emails_stored_before_it():
    executor = MigrationExecutor(connection)
    before = [("participants", "0002_notification_recipient_email")]
    executor.migrate(before)
    old_user = executor.loader.project_state(before).apps.get_model("participants", "User")
    old_user.objects.create(email=" Sara@Example.org", display_name="Sara", password="!")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert User.objects.get().email == "sara@example.org"
