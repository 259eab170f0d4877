import pytest

from exchanges import services
from exchanges.models import ActivityLog
from tests.factories import MembershipFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db


def test_owner_sees_the_organizations_log_filtered_by_verb_and_actor(client, org, alice):
    program = program_with_sides(organization=org, status="draft")
    services.program_publish(program=program, actor=alice)
    services.program_close(program=program, actor=alice)
    client.force_login(alice)
    published = ">Published a program</td>"
    closed = ">Closed a program to new applications</td>"
    html = client.get("/orgs/bridges/activity/").content.decode()
    assert published in html and closed in html
    assert '<option value="program.closed">Closed a program to new applications</option>' in html
    html = client.get("/orgs/bridges/activity/", {"verb": "program.closed"}).content.decode()
    assert closed in html
    assert published not in html
    html = client.get("/orgs/bridges/activity/", {"actor": alice.pk}).content.decode()
    assert closed in html


def test_the_log_shows_only_this_organizations_entries(client, org, other_org, alice, charlie):
    services.program_publish(program=program_with_sides(organization=other_org, status="draft",
                                                        title="Secret summit"), actor=charlie)
    client.force_login(alice)
    assert "Secret summit" not in client.get("/orgs/bridges/activity/").content.decode()


@pytest.mark.parametrize("role,status", [("coordinator", 403), ("facilitator", 403)])
def test_only_owners_open_the_log_and_settings(client, org, role, status):
    member = MembershipFactory(organization=org, role=role).user
    client.force_login(member)
    assert client.get("/orgs/bridges/activity/").status_code == status
    assert client.get("/orgs/bridges/settings/").status_code == status


def test_outsiders_get_404(client, org, charlie, other_org):
    client.force_login(charlie)
    assert client.get("/orgs/bridges/activity/").status_code == 404
    assert client.get("/orgs/bridges/settings/").status_code == 404


def test_activity_page_queries_stay_constant(client, org, alice, django_assert_max_num_queries):
    client.force_login(alice)
    for n in (1, 30):
        for i in range(n):
            ActivityLog.objects.create(organization=org, actor=UserFactory(), verb=f"v.{i % 3}")
        with django_assert_max_num_queries(12):
            assert client.get("/orgs/bridges/activity/").status_code == 200


def test_owner_turns_on_two_factor_in_settings(client, org, alice):
    client.force_login(alice)
    response = client.post("/orgs/bridges/settings/", {
        "name": "Bridges", "description": "", "website": "", "require_two_factor": "on"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.require_two_factor is True
    assert ActivityLog.objects.filter(verb="organization.updated").exists()
