"""The invitation services' rules at their own level: what an invitation stores, each
refusal's code and message, the log rows, and what closing an invitation clears."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from core.errors import Conflict
from exchanges import services
from exchanges.models import INVITATION_DAYS, ActivityLog, Membership
from participants.models import Notification
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# What inviting and accepting cost in queries (savepoints included): see the two tests.
INVITE_QUERIES = 11
ACCEPT_QUERIES = 9


def invite(org, alice, email="Newcomer@Example.NET ", role="facilitator"):
    return services.membership_invite(organization=org, actor=alice, email=email, role=role)


def notice_of(invitation) -> Notification:
    return Notification.objects.get(dedupe_key=f"membership_invitation:{invitation.pk}")


def test_an_invitation_stores_the_address_trimmed_and_lower_cased_and_mails_it(org, alice):
    before = timezone.now()
    invitation = invite(org, alice)
    stored = Membership.seats.get(pk=invitation.pk)
    assert (stored.email, stored.role, stored.status, stored.invited_by) == (
        "newcomer@example.net", "facilitator", "invited", alice)
    assert stored.organization == org
    assert before + timedelta(days=INVITATION_DAYS) <= stored.expires_at
    assert stored.expires_at <= timezone.now() + timedelta(days=INVITATION_DAYS)
    assert stored.token_hash == Membership.hash_token(invitation.token)
    notice = notice_of(invitation)
    assert (notice.recipient_id, notice.recipient_email, notice.kind) == (
        None, "newcomer@example.net", "membership_invitation")
    assert (notice.organization_id, notice.context) == (org.pk, {"invitation": invitation.pk})
    log = ActivityLog.objects.get(verb="membership.invited")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(invitation.pk), org.pk, {"role": "facilitator"})


def test_an_unknown_role_names_the_roles(org, alice):
    with pytest.raises(ValidationError) as err:
        invite(org, alice, role="king")
    assert err.value.message_dict == {"role": ["Choose owner, coordinator or facilitator."]}


def test_a_bad_address_is_refused_and_nothing_is_sent(org, alice):
    with pytest.raises(ValidationError) as err:
        invite(org, alice, email="not an address")
    assert list(err.value.message_dict) == ["email"]
    assert not Notification.objects.exists()


def test_the_daily_cap_counts_this_inviters_last_24_hours_only(org, alice, settings):
    settings.INVITATIONS_PER_DAY = 2
    old = invite(org, alice, email="old@example.org")
    Membership.seats.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    other_owner = UserFactory()
    MembershipFactory(organization=org, user=other_owner, role="owner")
    invite(org, other_owner, email="theirs@example.org")
    invite(org, alice, email="one@example.org")
    invite(org, alice, email="two@example.org")
    with pytest.raises(ValidationError) as err:
        invite(org, alice, email="three@example.org")
    assert err.value.message_dict == {"email": [
        "You have sent 2 invitations in the last 24 hours, the most allowed. "
        "Try again tomorrow."]}


def test_accepting_makes_the_person_a_member_and_logs_it(org, alice, bob):
    invitation = invite(org, alice)
    member = services.invitation_accept(token=invitation.token, user=bob)
    stored = Membership.objects.get(pk=invitation.pk)
    assert (stored.user, stored.status, stored.email) == (bob, "active", "")
    assert member.pk == invitation.pk
    log = ActivityLog.objects.get(verb="membership.accepted")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        bob, str(invitation.pk), org.pk, {"role": "facilitator", "user": bob.pk})


def test_a_member_is_told_they_already_are(org, alice):
    invitation = invite(org, alice)
    with pytest.raises(Conflict) as err:
        services.invitation_accept(token=invitation.token, user=alice)
    assert (err.value.code, err.value.message) == (
        "already_member", "You are already a member of Bridges.")
    assert Membership.seats.get(pk=invitation.pk).status == "invited"


def test_an_unknown_token_does_not_exist(org, alice, bob):
    with pytest.raises(Membership.DoesNotExist):
        services.invitation_accept(token="no-such-token", user=bob)
    with pytest.raises(Membership.DoesNotExist):
        services.invitation_decline(token="no-such-token")


@pytest.mark.parametrize(("close", "label"), [
    ("accept", "already used"), ("decline", "declined"), ("revoke", "withdrawn"),
    ("expire", "expired"),
])
def test_a_closed_invitation_says_why_it_no_longer_works(org, alice, bob, close, label):
    invitation = invite(org, alice)
    if close == "accept":
        services.invitation_accept(token=invitation.token, user=bob)
    elif close == "decline":
        services.invitation_decline(token=invitation.token)
    elif close == "revoke":
        services.invitation_revoke(invitation=invitation, actor=alice)
    else:
        Membership.seats.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict) as err:
        services.invitation_accept(token=invitation.token, user=UserFactory())
    assert (err.value.code, err.value.message) == (
        "invalid_transition",
        f"This invitation is {label}; it no longer works. Ask the organization for a new one.")


@pytest.mark.parametrize("how", ["decline", "revoke"])
def test_closing_clears_the_address_cancels_the_email_and_logs_the_role(org, alice, how):
    invitation = invite(org, alice)
    other = invite(org, alice, email="other@example.org")
    if how == "decline":
        services.invitation_decline(token=invitation.token)
        status, verb, actor = "declined", "membership.declined", None
    else:
        services.invitation_revoke(invitation=invitation, actor=alice)
        status, verb, actor = "revoked", "membership.revoked", alice
    stored = Membership.seats.get(pk=invitation.pk)
    assert (stored.status, stored.email) == (status, "")
    notice = notice_of(invitation)
    assert (notice.status, notice.last_error) == ("cancelled", f"invitation {status}")
    assert notice_of(other).status == "pending"
    log = ActivityLog.objects.get(verb=verb)
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        actor, str(invitation.pk), org.pk, {"role": "facilitator"})


def test_the_links_nonce_has_32_random_bytes(org, alice):
    invitation = invite(org, alice)
    assert len(Membership.seats.get(pk=invitation.pk).token_nonce) == 43  # base64 of 32 bytes


def test_inviting_does_not_look_up_the_inviter_or_the_organization_again(org, alice):
    invite(org, alice, email="warm-up@example.org")  # the content types are cached
    with CaptureQueriesContext(connection) as queries:
        invite(org, alice)
    assert len(queries) == INVITE_QUERIES, "\n".join(q["sql"] for q in queries)


def test_the_daily_cap_forgets_an_invitation_sent_25_hours_ago(org, alice, settings):
    settings.INVITATIONS_PER_DAY = 1
    old = invite(org, alice, email="old@example.org")
    Membership.seats.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert invite(org, alice, email="new@example.org").status == "invited"


def test_accepting_reads_the_invitation_and_its_organization_at_once(org, alice, bob):
    invitation = invite(org, alice)
    with CaptureQueriesContext(connection) as queries:
        services.invitation_accept(token=invitation.token, user=bob)
    assert len(queries) == ACCEPT_QUERIES, "\n".join(q["sql"] for q in queries)


@pytest.mark.parametrize(("close", "label"), [("decline", "refusée"), ("expire", "expirée")])
def test_a_closed_invitation_says_why_in_the_persons_language(org, alice, close, label):
    invitation = invite(org, alice)
    if close == "decline":
        services.invitation_decline(token=invitation.token)
    else:
        Membership.seats.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1))
    with translation.override("fr"), pytest.raises(Conflict) as err:
        services.invitation_accept(token=invitation.token, user=UserFactory())
    assert err.value.message.startswith(f"Cette invitation est {label}")


def test_a_member_of_another_organization_may_accept(org, other_org, alice, charlie):
    invitation = invite(org, alice)
    services.invitation_accept(token=invitation.token, user=charlie)
    assert Membership.objects.get(organization=org, user=charlie).pk == invitation.pk


def test_a_membership_made_meanwhile_is_told_as_already_a_member(org, alice, monkeypatch):
    # Two links accepted at once by one person: the check saw no membership yet, the
    # unique constraint refuses the second.
    invitation = invite(org, alice)
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    with pytest.raises(Conflict) as err:
        services.invitation_accept(token=invitation.token, user=alice)
    assert (err.value.code, err.value.message) == (
        "already_member", "You are already a member of Bridges.")
    stored = Membership.seats.get(pk=invitation.pk)
    assert (stored.status, stored.user) == ("invited", None)


def test_a_signed_in_person_declining_is_logged_as_the_actor(org, alice, bob):
    invitation = invite(org, alice)
    services.invitation_decline(token=invitation.token, actor=bob)
    assert ActivityLog.objects.get(verb="membership.declined").actor == bob
