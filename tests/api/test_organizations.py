import pytest

from exchanges.models import ActivityLog, Membership, Organization
from tests.api.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

ORGS = "/api/v1/organizations/"

pytestmark = pytest.mark.django_db


def members_url(slug="bridges"):
    return f"{ORGS}{slug}/members/"


# --- list and create ----------------------------------------------------------------------


def test_organizations_list_shows_only_callers_with_role(alice, org, other_org, carol):
    OrganizationFactory(name="Unrelated")

    response = client_for(carol).get(ORGS)

    assert response.status_code == 200
    assert response.json() == {"count": 1, "next": None, "previous": None, "results": [
        {"slug": "bridges", "name": "Bridges", "description": "", "website": "",
         "require_two_factor": False, "identity_protection": False,
         "role": "coordinator"},
    ]}


def test_organizations_list_anonymous_is_401(anon):
    assert anon.get(ORGS).status_code == 401


def test_organizations_create_makes_caller_owner(bob):
    response = client_for(bob).post(ORGS, {"name": "Peace Camp", "description": "We meet.",
                                           "website": "https://peace.example.org"})

    assert response.status_code == 201
    assert response.json() == {"slug": "peace-camp", "name": "Peace Camp",
                               "description": "We meet.",
                               "website": "https://peace.example.org",
                               "require_two_factor": False, "identity_protection": False,
                               "role": "owner"}
    organization = Organization.objects.get(slug="peace-camp")
    assert list(organization.memberships.values_list("user", "role")) == [(bob.pk, "owner")]
    assert ActivityLog.objects.filter(verb="organization.created").count() == 1


def test_organizations_create_with_taken_slug_is_400(bob, org):
    response = client_for(bob).post(ORGS, {"name": "Other", "slug": "bridges"})

    assert response.status_code == 400
    assert list(response.json()) == ["slug"]


def test_organizations_create_without_name_is_400(bob):
    response = client_for(bob).post(ORGS, {"slug": "x"})

    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_organizations_create_anonymous_is_401(anon):
    assert anon.post(ORGS, {"name": "X"}).status_code == 401
    assert Organization.objects.count() == 0


# --- detail and patch -----------------------------------------------------------------------


def test_organization_detail_for_member(fred):
    response = client_for(fred).get(f"{ORGS}bridges/")

    assert response.status_code == 200
    assert response.json()["role"] == "facilitator"


def test_organization_detail_for_non_member_is_404(bob, org):
    assert client_for(bob).get(f"{ORGS}bridges/").status_code == 404


def test_organization_patch_by_owner(alice, org):
    response = client_for(alice).patch(f"{ORGS}bridges/", {"description": "New words",
                                                            "slug": "ignored"})

    org.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["description"] == "New words"
    assert (org.slug, org.description) == ("bridges", "New words")


def test_organization_patch_by_coordinator_is_403(carol, org):
    response = client_for(carol).patch(f"{ORGS}bridges/", {"name": "Taken over"})

    org.refresh_from_db()
    assert response.status_code == 403
    assert org.name == "Bridges"


def test_organization_patch_bad_website_is_400(alice, org):
    response = client_for(alice).patch(f"{ORGS}bridges/", {"website": "not a url"})

    assert response.status_code == 400
    assert list(response.json()) == ["website"]


# --- members --------------------------------------------------------------------------------


def test_members_list_for_any_member(alice, org, fred):
    response = client_for(fred).get(members_url())

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(m["user"], m["email"], m["display_name"], m["role"], m["status"])
            for m in results] == [
        (alice.pk, "alice@example.org", "Alice", "owner", "active"),
        (fred.pk, "fred@example.org", "Fred", "facilitator", "active"),
    ]
    assert results[0]["id"] == Membership.objects.get(user=alice).pk


def test_members_list_for_non_member_is_404(charlie, org):
    assert client_for(charlie).get(members_url()).status_code == 404


# Adding a member invites (API.md v1.1): the v1 tests of immediate membership (added
# at once, 400 for an address without an account or an existing member) were replaced
# by tests/api/test_invitations.py.


def test_members_add_unknown_role_is_400(alice, org, bob):
    response = client_for(alice).post(members_url(), {"email": bob.email, "role": "king"})

    assert response.status_code == 400
    assert list(response.json()) == ["role"]


def test_members_add_by_coordinator_is_403(carol, org, bob):
    response = client_for(carol).post(members_url(), {"email": bob.email, "role": "owner"})

    assert response.status_code == 403
    assert not Membership.seats.exclude(status="active").exists()


def test_member_role_change_by_owner(alice, org, carol):
    membership = Membership.objects.get(user=carol)

    response = client_for(alice).patch(f"{members_url()}{membership.pk}/", {"role": "owner"})

    membership.refresh_from_db()
    assert response.status_code == 200
    assert response.json()["role"] == "owner"
    assert membership.role == "owner"


def test_member_demote_sole_owner_is_409(alice, org):
    membership = Membership.objects.get(user=alice)

    response = client_for(alice).patch(f"{members_url()}{membership.pk}/",
                                       {"role": "coordinator"})

    membership.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["code"] == "sole_owner"
    assert membership.role == "owner"


def test_member_remove_by_owner(alice, org, fred):
    membership = Membership.objects.get(user=fred)

    response = client_for(alice).delete(f"{members_url()}{membership.pk}/")

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_member_remove_sole_owner_is_409(alice, org):
    membership = Membership.objects.get(user=alice)

    response = client_for(alice).delete(f"{members_url()}{membership.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "sole_owner"
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_member_of_another_organization_is_404(alice, org, other_org):
    foreign = MembershipFactory(organization=other_org, role="facilitator")

    response = client_for(alice).delete(f"{members_url()}{foreign.pk}/")

    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


# --- query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 3])
def test_members_list_query_count_is_constant(alice, org, extra, django_assert_max_num_queries):
    for _ in range(extra):
        MembershipFactory(organization=org, user=UserFactory(), role="facilitator")
    client = client_for(alice)

    with django_assert_max_num_queries(4):
        response = client.get(members_url())

    assert response.json()["count"] == 1 + extra


@pytest.mark.parametrize("extra", [0, 3])
def test_organizations_list_query_count_is_constant(alice, org, extra,
                                                    django_assert_max_num_queries):
    for _ in range(extra):
        MembershipFactory(organization=OrganizationFactory(), user=alice, role="owner")
    client = client_for(alice)

    with django_assert_max_num_queries(2):
        response = client.get(ORGS)

    assert response.json()["count"] == 1 + extra
