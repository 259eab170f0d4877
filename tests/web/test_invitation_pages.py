"""Invitations on the pages: the owner invites and withdraws from the members page; the
emailed link shows the organization and the role, and lets a signed-in person accept or
decline, or a new person sign up straight into the role.

alice owns `org` (Bridges); bob has an account and no relation to it.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from exchanges import services
from exchanges.models import ActivityLog, Membership
from participants.models import Notification, User
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/orgs/bridges/members/"


def invite(org, alice, email="newcomer@example.net", role="coordinator"):
    return services.membership_invite(organization=org, actor=alice, email=email, role=role)


def page(token, action=""):
    return f"/invitations/{token}/{action + '/' if action else ''}"


def signup_data(**overrides):
    return {"email": "newcomer@example.net", "display_name": "Nour", "password1": PASSWORD,
            "password2": PASSWORD, "accept_terms": "on", **overrides}


# --- The members page ------------------------------------------------------------------------


def test_owner_invites_from_the_members_page_and_no_one_is_added(client, alice, org):
    client.force_login(alice)

    response = client.post(MEMBERS, {"email": "newcomer@example.net", "role": "coordinator"},
                           follow=True)

    html = response.content.decode()
    assert "An invitation to join as coordinator was emailed to newcomer@example.net." in html
    assert "Open invitations" in html and "newcomer@example.net" in html
    invitation = Membership.seats.get(status="invited")
    assert (invitation.email, invitation.role, invitation.user) == (
        "newcomer@example.net", "coordinator", None)
    assert Notification.objects.get().recipient_email == "newcomer@example.net"
    assert list(Membership.objects.filter(organization=org).values_list("user", flat=True)) == [
        alice.pk]


def test_the_page_answers_the_same_with_or_without_an_account(client, alice, bob, org):
    client.force_login(alice)

    answers = []
    for email in (bob.email, "no-account@example.net"):
        response = client.post(MEMBERS, {"email": email, "role": "facilitator"}, follow=True)
        answers.append((response.status_code, response.redirect_chain,
                        [str(m) for m in response.context["messages"]]))

    assert answers[0][:2] == answers[1][:2]
    assert [m.replace(bob.email, "X") for m in answers[0][2]] == [
        m.replace("no-account@example.net", "X") for m in answers[1][2]]
    assert not Membership.objects.filter(user=bob).exists()


def test_a_bad_address_shows_the_form_again_with_the_message(client, alice, org):
    client.force_login(alice)

    response = client.post(MEMBERS, {"email": "not an address", "role": "coordinator"})

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not Membership.seats.filter(status="invited").exists()


def test_the_form_says_what_an_invitation_does(client, alice, org):
    client.force_login(alice)

    html = client.get(MEMBERS).content.decode()

    assert "They become a member only when they accept it" in html
    assert '<label for="id_email"' in html and '<label for="id_role"' in html


def test_only_owners_see_open_invitations(client, alice, bob, org):
    invite(org, alice, email="pending@example.net")
    MembershipFactory(organization=org, user=bob, role="coordinator")
    client.force_login(bob)

    html = client.get(MEMBERS).content.decode()

    assert "pending@example.net" not in html
    assert "Open invitations" not in html


def test_owner_withdraws_an_invitation_from_the_members_page(client, alice, org):
    invitation = invite(org, alice, email="pending@example.net")
    client.force_login(alice)

    response = client.post(f"{MEMBERS}{invitation.pk}/remove/", follow=True)

    assert "The invitation to pending@example.net was withdrawn" in response.content.decode()
    assert Membership.seats.get(pk=invitation.pk).status == "revoked"
    assert ActivityLog.objects.filter(verb="membership.revoked").exists()
    assert "pending@example.net" not in client.get(MEMBERS).content.decode()


def test_a_coordinator_cannot_withdraw_an_invitation(client, alice, bob, org):
    invitation = invite(org, alice)
    MembershipFactory(organization=org, user=bob, role="coordinator")
    client.force_login(bob)

    assert client.post(f"{MEMBERS}{invitation.pk}/remove/").status_code == 403
    assert Membership.seats.get(pk=invitation.pk).status == "invited"


# --- The link's page -------------------------------------------------------------------------


def test_the_link_shows_only_the_organization_and_the_role(client, alice, org):
    invitation = invite(org, alice, email="secret-address@example.net", role="coordinator")

    html = client.get(page(invitation.token)).content.decode()

    assert "Invitation to join Bridges" in html
    assert "as <strong>coordinator</strong>" in html
    assert "secret-address@example.net" not in html
    assert "Alice" not in html and alice.email not in html
    assert f'href="/accounts/login/?next=/invitations/{invitation.token}/"' in html
    assert f'action="/invitations/{invitation.token}/signup/"' in html
    assert f'action="/invitations/{invitation.token}/decline/"' in html
    assert html.count('method="post"') == html.count("csrfmiddlewaretoken")


def test_an_unknown_link_is_404(client, alice, org):
    invite(org, alice)

    assert client.get(page("y" * 43)).status_code == 404
    assert client.post(page("y" * 43, "decline")).status_code == 404


def test_a_signed_in_person_accepts_and_lands_in_the_organization(client, alice, bob, org):
    invitation = invite(org, alice, role="facilitator")
    client.force_login(bob)
    assert "Accept the invitation" in client.get(page(invitation.token)).content.decode()

    response = client.post(page(invitation.token, "accept"))

    assert response.status_code == 302
    assert response["Location"] == "/orgs/bridges/"
    assert Membership.objects.get(organization=org, user=bob).role == "facilitator"


def test_accepting_needs_a_signed_in_person(client, alice, org):
    invitation = invite(org, alice)

    response = client.post(page(invitation.token, "accept"))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/invitations/{invitation.token}/"
    assert Membership.seats.get(pk=invitation.pk).status == "invited"


def test_accepting_is_csrf_protected(alice, bob, org):
    invitation = invite(org, alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)

    assert client.post(page(invitation.token, "accept")).status_code == 403
    assert not Membership.objects.filter(user=bob).exists()


def test_declining_from_the_page(client, alice, org):
    invitation = invite(org, alice)

    response = client.post(page(invitation.token, "decline"), follow=True)

    html = response.content.decode()
    assert "You declined the invitation." in html
    assert "This invitation was declined." in html
    assert Membership.seats.get(pk=invitation.pk).status == "declined"


def test_an_expired_link_says_so_and_cannot_be_accepted(client, alice, bob, org):
    invitation = invite(org, alice)
    Membership.seats.filter(pk=invitation.pk).update(expires_at=timezone.now()
                                                     - timedelta(minutes=1))
    client.force_login(bob)

    assert "This invitation has expired." in client.get(page(invitation.token)).content.decode()
    response = client.post(page(invitation.token, "accept"), follow=True)

    assert "expired" in response.content.decode()
    assert not Membership.objects.filter(user=bob).exists()


def test_a_member_is_told_they_already_are(client, alice, org):
    invitation = invite(org, alice)
    client.force_login(alice)

    html = client.get(page(invitation.token)).content.decode()

    assert "You are already a member of Bridges." in html
    assert "Accept the invitation" not in html


# --- Sign up from the link ---------------------------------------------------------------------


def test_a_new_person_signs_up_straight_into_the_role(client, alice, org):
    invitation = invite(org, alice, email="newcomer@example.net", role="coordinator")

    response = client.post(page(invitation.token, "signup"), signup_data(), follow=True)

    user = User.objects.get(email="newcomer@example.net")
    assert response.redirect_chain[-1][0] == "/orgs/bridges/"
    assert Membership.objects.get(organization=org, user=user).role == "coordinator"
    assert "you are now its coordinator" in response.content.decode()
    assert response.context["user"] == user


def test_a_sign_up_with_errors_shows_the_form_again_and_creates_nothing(client, alice, org):
    invitation = invite(org, alice)

    response = client.post(page(invitation.token, "signup"),
                           signup_data(password2="something else"))

    assert response.status_code == 400
    assert "password2" in response.context["signup_form"].errors
    assert not User.objects.filter(email="newcomer@example.net").exists()
    assert Membership.seats.get(pk=invitation.pk).status == "invited"


def test_no_sign_up_on_a_closed_invitation(client, alice, org):
    invitation = invite(org, alice)
    services.invitation_decline(token=invitation.token)

    response = client.post(page(invitation.token, "signup"), signup_data())

    assert response.status_code == 302
    assert not User.objects.filter(email="newcomer@example.net").exists()
