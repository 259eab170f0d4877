import pytest

from exchanges.models import ActivityLog, Membership
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/orgs/", "/orgs/bridges/", "/orgs/bridges/members/"])
def test_org_pages_redirect_anonymous_to_sign_in(client, org, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_org_list_shows_my_organizations_with_role(client, alice, org):
    MembershipFactory(organization=OrganizationFactory(name="Second"), user=alice,
                      role="facilitator")
    client.force_login(alice)
    html = client.get("/orgs/").content.decode()
    assert 'href="/orgs/bridges/"' in html
    assert "Your role: owner" in html
    assert "Your role: facilitator" in html


def test_org_list_empty_state_says_what_to_do(client, bob):
    client.force_login(bob)
    html = client.get("/orgs/").content.decode()
    assert "You are not a member of any organization." in html


def test_org_create_makes_me_owner_and_redirects_to_dashboard(client, bob):
    client.force_login(bob)
    response = client.post("/orgs/", {"name": "Peace Now Youth"})
    assert response.status_code == 302
    assert response["Location"] == "/orgs/peace-now-youth/"
    membership = Membership.objects.get(user=bob)
    assert (membership.organization.name, membership.role) == ("Peace Now Youth", "owner")


def test_org_create_bad_input_reshows_form(client, bob):
    client.force_login(bob)
    response = client.post("/orgs/", {"name": "", "website": "not a url"})
    assert response.context["form"].errors == {
        "name": ["This field is required."], "website": ["Enter a valid URL."]}


def test_org_list_query_count_is_constant(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    MembershipFactory(user=alice, role="owner")
    with django_assert_max_num_queries(5):
        assert client.get("/orgs/").status_code == 200
    for _ in range(3):
        MembershipFactory(user=alice, role="coordinator")
    with django_assert_max_num_queries(5):
        assert client.get("/orgs/").status_code == 200


def test_dashboard_404_for_non_members(client, charlie, org):
    client.force_login(charlie)
    assert client.get("/orgs/bridges/").status_code == 404
    assert client.get("/orgs/no-such-org/").status_code == 404


def test_dashboard_shows_programs_by_status_pending_count_and_activity(client, alice, org):
    draft = program_with_sides(organization=org, status="draft", title="Draft one")
    published = program_with_sides(organization=org, title="Open one")
    ApplicationFactory.create_batch(2, side=published.sides.first())
    ActivityLog.objects.create(actor=alice, organization=org, verb="program.published",
                               target_repr="Open one")
    ActivityLog.objects.create(actor=alice, verb="program.published", target_repr="Elsewhere")
    client.force_login(alice)
    response = client.get("/orgs/bridges/")
    html = response.content.decode()
    assert f'href="/programs/{draft.pk}/"' in html
    assert f'href="/programs/{published.pk}/"' in html
    assert "2 applications are waiting for a decision." in html
    assert [entry.target_repr for entry in response.context["activity"]] == ["Open one"]


def test_dashboard_activity_is_limited_to_ten(client, alice, org):
    for n in range(12):
        ActivityLog.objects.create(actor=alice, organization=org, verb="x", target_repr=str(n))
    client.force_login(alice)
    assert len(client.get("/orgs/bridges/").context["activity"]) == 10


def test_dashboard_empty_state_offers_new_program(client, alice, org):
    client.force_login(alice)
    html = client.get("/orgs/bridges/").content.decode()
    assert "No programs yet — create the first one" in html
    assert 'href="/orgs/bridges/programs/new/"' in html


def test_members_page_404_for_non_members(client, charlie, org):
    client.force_login(charlie)
    assert client.get("/orgs/bridges/members/").status_code == 404
    assert client.post("/orgs/bridges/members/", {"email": "x@example.org",
                                                   "role": "owner"}).status_code == 404


# Adding a member invites (API.md v1.1): the v1 tests of the page adding an existing
# account at once (and refusing an address without one) were replaced by
# tests/web/test_invitation_pages.py.


def test_members_page_coordinator_sees_list_but_cannot_invite(client, bob, org):
    MembershipFactory(organization=org, user=bob, role="coordinator")
    client.force_login(bob)
    html = client.get("/orgs/bridges/members/").content.decode()
    assert "alice@example.org" in html
    assert "Invite someone" not in html
    assert client.post("/orgs/bridges/members/",
                       {"email": "x@example.org", "role": "owner"}).status_code == 403


def test_members_page_change_role(client, alice, bob, org):
    membership = MembershipFactory(organization=org, user=bob, role="coordinator")
    client.force_login(alice)
    client.post(f"/orgs/bridges/members/{membership.pk}/role/", {"role": "facilitator"})
    membership.refresh_from_db()
    assert membership.role == "facilitator"


def test_members_page_sole_owner_demotion_shows_error(client, alice, org):
    membership = Membership.objects.get(organization=org, user=alice)
    client.force_login(alice)
    response = client.post(f"/orgs/bridges/members/{membership.pk}/role/",
                           {"role": "coordinator"}, follow=True)
    assert "An organization needs at least one owner." in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_members_page_sole_owner_cannot_be_removed(client, alice, org):
    membership = Membership.objects.get(organization=org, user=alice)
    client.force_login(alice)
    response = client.post(f"/orgs/bridges/members/{membership.pk}/remove/", follow=True)
    assert "An organization needs at least one owner." in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_members_page_remove_member(client, alice, bob, org):
    membership = MembershipFactory(organization=org, user=bob)
    client.force_login(alice)
    response = client.post(f"/orgs/bridges/members/{membership.pk}/remove/", follow=True)
    assert "Bob was removed from the organization." in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_members_page_cannot_touch_other_orgs_members(client, alice, org, other_org, charlie):
    theirs = Membership.objects.get(organization=other_org, user=charlie)
    client.force_login(alice)
    assert client.post(f"/orgs/bridges/members/{theirs.pk}/remove/").status_code == 404
    assert client.post(f"/orgs/elsewhere/members/{theirs.pk}/remove/").status_code == 404


def test_members_page_query_count_is_constant(client, alice, org,
                                              django_assert_max_num_queries):
    client.force_login(alice)
    with django_assert_max_num_queries(6):
        assert client.get("/orgs/bridges/members/").status_code == 200
    for _ in range(3):
        MembershipFactory(organization=org, user=UserFactory())
    with django_assert_max_num_queries(6):
        assert client.get("/orgs/bridges/members/").status_code == 200
