"""Membership by invitation (API.md v1.1 "Memberships by invitation").

alice owns `org` (bridges); carol coordinates it; fred facilitates; bob has an account
and no relation to it; charlie owns `other_org`.
"""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from exchanges.models import ActivityLog, Membership
from participants.models import Notification
from participants.outbox import dispatch
from tests.api.conftest import client_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/organizations/bridges/members/"
CREATED_KEYS = {"id", "email", "role", "status", "expires_at", "token"}


def invite(email="newcomer@example.net", role="facilitator", by=None, slug="bridges"):
    response = client_for(by).post(f"/api/v1/organizations/{slug}/members/",
                                   {"email": email, "role": role}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def invitation_url(token, action=""):
    return f"/api/v1/invitations/{token}/{action + '/' if action else ''}"


def member_of_bridges(user) -> bool:
    return Membership.objects.filter(organization__slug="bridges", user=user).exists()


# --- Inviting ---------------------------------------------------------------------------


def test_owner_invites_and_nothing_is_granted_until_accepted(alice, org, bob):
    body = invite(email="Bob@Example.org ", role="coordinator", by=alice)

    assert set(body) == CREATED_KEYS
    assert (body["email"], body["role"], body["status"]) == (
        "bob@example.org", "coordinator", "invited")
    assert not member_of_bridges(bob)
    assert client_for(bob).get("/api/v1/organizations/bridges/").status_code == 404
    assert client_for(bob).get(MEMBERS).status_code == 404
    assert client_for(bob).get("/api/v1/organizations/").json()["results"] == []


def test_the_answer_and_the_email_are_the_same_with_or_without_an_account(alice, org, bob):
    with_account = invite(email=bob.email, by=alice)
    without_account = invite(email="nobody-here@example.net", by=alice)

    def shape(body):
        return {key: type(value) for key, value in body.items()}

    assert shape(with_account) == shape(without_account)
    assert len(with_account["token"]) == len(without_account["token"])
    outbox = {n.recipient_email: n for n in Notification.objects.all()}
    assert set(outbox) == {bob.email, "nobody-here@example.net"}
    assert [(n.recipient_id, n.kind) for n in outbox.values()] == [
        (None, "membership_invitation")] * 2
    assert not Notification.objects.filter(recipient=bob).exists()


def test_the_invitation_expires_in_14_days(alice, org):
    before = timezone.now()

    body = invite(by=alice)

    invitation = Membership.seats.get(pk=body["id"])
    assert before + timedelta(days=14) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(days=14)
    assert body["expires_at"].endswith("Z")


def test_the_token_is_unguessable_and_not_stored(alice, org):
    first, second = invite(by=alice), invite(by=alice)

    assert first["token"] != second["token"]
    assert len(first["token"]) >= 43
    row = Membership.seats.get(pk=first["id"])
    stored = " ".join(str(value) for value in Membership.seats.filter(pk=row.pk).values()
                      .first().values())
    assert first["token"] not in stored
    assert row.token_hash == Membership.hash_token(first["token"])
    outbox = " ".join(str(n.context) for n in Notification.objects.all())
    assert first["token"] not in outbox


def test_the_log_has_the_invitation_but_not_the_address(alice, org):
    body = invite(email="private@example.net", by=alice)

    entry = ActivityLog.objects.get(verb="membership.invited")
    assert (entry.actor, entry.target_id, entry.data) == (alice, str(body["id"]),
                                                          {"role": "facilitator"})
    assert "private@example.net" not in f"{entry.target_repr} {entry.data}"


@pytest.mark.parametrize("role", ["Owner", "king", ""])
def test_an_unknown_role_is_400_naming_role(alice, org, role):
    response = client_for(alice).post(MEMBERS, {"email": "x@example.net", "role": role})

    assert response.status_code == 400
    assert list(response.json()) == ["role"]
    assert not Membership.seats.exclude(status="active").exists()


def test_a_custodian_can_be_invited(alice, org):
    response = client_for(alice).post(MEMBERS, {"email": "x@example.net", "role": "custodian"})

    assert response.status_code == 201
    assert response.json()["role"] == "custodian"


@pytest.mark.parametrize("caller", ["carol", "fred"])
def test_only_owners_invite(request, org, caller):
    response = client_for(request.getfixturevalue(caller)).post(
        MEMBERS, {"email": "x@example.net", "role": "owner"})

    assert response.status_code == 403
    assert not Membership.seats.exclude(status="active").exists()
    assert not Notification.objects.exists()


def test_invitations_per_person_and_day_are_capped(alice, org, settings):
    settings.INVITATIONS_PER_DAY = 2
    invite(by=alice)
    invite(by=alice)

    response = client_for(alice).post(MEMBERS, {"email": "third@example.net", "role": "owner"})

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert Notification.objects.count() == 2


def test_an_invited_owner_is_no_owner_yet(alice, org):
    invite(email="co-owner@example.net", role="owner", by=alice)
    own = Membership.objects.get(user=alice)

    response = client_for(alice).patch(f"{MEMBERS}{own.pk}/", {"role": "coordinator"})

    assert response.status_code == 409
    assert response.json()["code"] == "sole_owner"


def test_an_invitation_cannot_force_two_factor_on_the_invited(alice, org, bob):
    org.require_two_factor = True
    org.save()
    invite(email=bob.email, by=alice)
    client = Client()
    client.force_login(bob)

    assert client.get("/orgs/").status_code == 200  # no detour to set up an authenticator
    assert client.get("/api/v1/me/").status_code == 200


def test_an_invitation_as_owner_cannot_block_the_invited_from_erasing(alice, charlie,
                                                                      other_org, bob):
    invite(email=bob.email, role="owner", by=charlie, slug="elsewhere")

    response = client_for(bob).delete("/api/v1/me/", {"password": PASSWORD}, format="json")

    assert response.status_code == 204


# --- The email --------------------------------------------------------------------------


def test_the_email_carries_the_link_and_names_only_the_organization(alice, org, settings):
    settings.SITE_URL = "https://parley.example.org"
    body = invite(email="newcomer@example.net", role="coordinator", by=alice)

    dispatch.dispatch_outbox()

    [message] = mail.outbox
    assert message.to == ["newcomer@example.net"]
    assert "Bridges" in message.subject
    link = f"https://parley.example.org/invitations/{body['token']}/"
    assert link in message.body
    assert link in message.alternatives[0][0]
    assert "coordinator" in message.body
    assert "Alice" not in message.body + message.alternatives[0][0]
    assert Notification.objects.get().status == "sent"


def test_a_withdrawn_invitation_is_not_emailed(alice, org):
    body = invite(by=alice)
    client_for(alice).delete(f"{MEMBERS}{body['id']}/")

    dispatch.dispatch_outbox()

    assert mail.outbox == []
    assert Notification.objects.get().status == "cancelled"


# --- Reading the link -------------------------------------------------------------------


def test_anyone_holding_the_link_sees_only_the_organization_and_role(alice, org, anon):
    body = invite(role="coordinator", by=alice)

    response = anon.get(invitation_url(body["token"]))

    assert response.status_code == 200
    assert response.json() == {"organization": {"slug": "bridges", "name": "Bridges"},
                               "role": "coordinator", "expires_at": body["expires_at"],
                               "status": "invited"}


@pytest.mark.parametrize("action", ["", "accept", "decline"])
def test_an_unknown_token_is_404(alice, org, bob, action):
    invite(by=alice)
    client = client_for(bob)
    url = invitation_url("x" * 43, action)

    response = client.get(url) if not action else client.post(url)

    assert response.status_code == 404


# --- Accepting ------------------------------------------------------------------------------


def test_accepting_makes_the_caller_the_member_with_the_invitations_id(alice, org, bob):
    body = invite(email="another-address@example.net", role="coordinator", by=alice)

    response = client_for(bob).post(invitation_url(body["token"], "accept"))

    assert response.status_code == 200
    assert response.json() == {"id": body["id"], "user": bob.pk, "email": bob.email,
                               "display_name": "Bob", "role": "coordinator",
                               "status": "active"}
    assert member_of_bridges(bob)
    assert client_for(bob).get("/api/v1/organizations/bridges/").json()["role"] == (
        "coordinator")
    entry = ActivityLog.objects.get(verb="membership.accepted")
    assert (entry.actor, entry.target_id) == (bob, str(body["id"]))


def test_accepting_needs_a_signed_in_person(alice, org, anon):
    body = invite(by=alice)

    assert anon.post(invitation_url(body["token"], "accept")).status_code == 401
    assert anon.get(invitation_url(body["token"])).json()["status"] == "invited"


def test_an_invitation_works_once(alice, org, bob, dora):
    body = invite(by=alice)
    client_for(bob).post(invitation_url(body["token"], "accept"))

    response = client_for(dora).post(invitation_url(body["token"], "accept"))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert not member_of_bridges(dora)
    assert client_for(dora).get(invitation_url(body["token"])).json()["status"] == "accepted"


def test_an_expired_invitation_cannot_be_accepted_and_is_not_listed(alice, org, bob):
    body = invite(by=alice)
    Membership.seats.filter(pk=body["id"]).update(expires_at=timezone.now())

    response = client_for(bob).post(invitation_url(body["token"], "accept"))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert not member_of_bridges(bob)
    assert client_for(bob).get(invitation_url(body["token"])).json()["status"] == "expired"
    ids = [m["id"] for m in client_for(alice).get(MEMBERS).json()["results"]]
    assert body["id"] not in ids


def test_accepting_while_already_a_member_is_409_and_keeps_the_invitation(alice, org, fred):
    body = invite(role="owner", by=alice)

    response = client_for(fred).post(invitation_url(body["token"], "accept"))

    assert response.status_code == 409
    assert response.json()["code"] == "already_member"
    assert Membership.objects.get(user=fred).role == "facilitator"
    assert client_for(fred).get(invitation_url(body["token"])).json()["status"] == "invited"


# --- Declining and revoking ---------------------------------------------------------------


def test_declining_stops_the_link(alice, org, bob, anon):
    body = invite(email="declines@example.net", by=alice)

    response = anon.post(invitation_url(body["token"], "decline"))

    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    accept = client_for(bob).post(invitation_url(body["token"], "accept"))
    assert (accept.status_code, accept.json()["code"]) == (409, "invalid_transition")
    assert anon.post(invitation_url(body["token"], "decline")).status_code == 409
    assert Membership.seats.get(pk=body["id"]).email == ""  # the address is no longer kept
    assert ActivityLog.objects.filter(verb="membership.declined",
                                      target_id=str(body["id"])).exists()


def test_the_owner_revokes_an_invitation_by_its_id(alice, org, bob):
    body = invite(by=alice)

    response = client_for(alice).delete(f"{MEMBERS}{body['id']}/")

    assert response.status_code == 204
    accept = client_for(bob).post(invitation_url(body["token"], "accept"))
    assert (accept.status_code, accept.json()["code"]) == (409, "invalid_transition")
    assert client_for(bob).get(invitation_url(body["token"])).json()["status"] == "revoked"
    assert ActivityLog.objects.filter(verb="membership.revoked", actor=alice).exists()
    assert client_for(alice).delete(f"{MEMBERS}{body['id']}/").status_code == 404


@pytest.mark.parametrize("caller", ["carol", "fred"])
def test_only_owners_revoke(request, alice, org, caller):
    body = invite(by=alice)

    response = client_for(request.getfixturevalue(caller)).delete(f"{MEMBERS}{body['id']}/")

    assert response.status_code == 403
    assert Membership.seats.get(pk=body["id"]).status == "invited"


def test_another_organizations_invitation_is_404(alice, org, charlie, other_org):
    theirs = invite(by=charlie, slug="elsewhere")

    assert client_for(alice).delete(f"{MEMBERS}{theirs['id']}/").status_code == 404
    assert Membership.seats.get(pk=theirs["id"]).status == "invited"


def test_an_invitations_role_cannot_be_patched(alice, org):
    body = invite(by=alice)

    response = client_for(alice).patch(f"{MEMBERS}{body['id']}/", {"role": "owner"})

    assert response.status_code == 404


# --- The list -------------------------------------------------------------------------------


def test_owners_see_open_invitations_in_the_members_list(alice, org, carol):
    body = invite(email="pending@example.net", role="coordinator", by=alice)
    closed = invite(email="gone@example.net", by=alice)
    client_for(alice).delete(f"{MEMBERS}{closed['id']}/")

    results = client_for(alice).get(MEMBERS).json()["results"]

    assert [(m["id"], m["status"]) for m in results] == [
        (Membership.objects.get(user=alice).pk, "active"),
        (Membership.objects.get(user=carol).pk, "active"),
        (body["id"], "invited"),
    ]
    assert results[-1] == {"id": body["id"], "user": None, "email": "pending@example.net",
                           "display_name": None, "role": "coordinator", "status": "invited"}


@pytest.mark.parametrize("caller", ["carol", "fred"])
def test_other_members_see_members_only(request, alice, org, caller):
    invite(email="pending@example.net", by=alice)

    response = client_for(request.getfixturevalue(caller)).get(MEMBERS)

    assert {m["status"] for m in response.json()["results"]} == {"active"}
    assert "pending@example.net" not in response.content.decode()


# --- Concurrency (PostgreSQL row locks, a connection per thread) -----------------------------


def _all_at_once(calls) -> list[tuple[int, str | None]]:
    """Run (user, url) POSTs in parallel threads; their (status, code) answers."""
    barrier = threading.Barrier(len(calls))
    answers, lock = [], threading.Lock()

    def post(user, url):
        try:
            client = client_for(user)
            barrier.wait(timeout=30)
            response = client.post(url)
            with lock:
                answers.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_link_accepted_at_once_by_many_makes_one_member(alice, org):
    body = invite(by=alice)
    people = [UserFactory() for _ in range(8)]

    answers = _all_at_once([(p, invitation_url(body["token"], "accept")) for p in people])

    assert sorted(answers, key=str) == [(200, None)] + [(409, "invalid_transition")] * 7
    assert Membership.objects.filter(organization=org).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_links_accepted_at_once_by_one_person_make_one_membership(alice, org, bob):
    tokens = [invite(by=alice)["token"] for _ in range(2)]

    answers = _all_at_once([(bob, invitation_url(token, "accept")) for token in tokens])

    assert sorted(answers, key=str) == [(200, None), (409, "already_member")]
    assert Membership.objects.filter(organization=org, user=bob).count() == 1
