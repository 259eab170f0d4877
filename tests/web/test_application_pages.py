import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from exchanges.models import ActivityLog, Application
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    return program_with_sides("North", "South", organization=org, capacity=4,
                              title="Youth dialogue")


def sides(program):
    return list(program.sides.all())


# --- Applying ---------------------------------------------------------------------------


def test_apply_creates_pending_application_and_shows_status(client, bob, program):
    north, _ = sides(program)
    client.force_login(bob)
    response = client.post(f"/programs/{program.pk}/apply/",
                           {"side": north.pk, "motivation": "I want to listen."})
    assert response["Location"] == "/me/programs/"
    application = Application.objects.get()
    assert (application.applicant, application.side, application.status,
            application.motivation) == (bob, north, "pending", "I want to listen.")
    html = client.get(f"/programs/{program.pk}/").content.decode()
    assert "You applied for the side “<bdi>North</bdi>”." in html
    assert 'class="badge badge--pending"' in html


def test_apply_requires_sign_in(client, program):
    response = client.post(f"/programs/{program.pk}/apply/", {"side": 1})
    assert response["Location"] == f"/accounts/login/?next=/programs/{program.pk}/apply/"


def test_apply_twice_shows_error(client, bob, program):
    north, south = sides(program)
    ApplicationFactory(side=north, applicant=bob, status="withdrawn")
    client.force_login(bob)
    response = client.post(f"/programs/{program.pk}/apply/", {"side": south.pk})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "You have already applied to this program."]
    assert Application.objects.count() == 1


def test_apply_to_closed_program_shows_error(client, bob, program):
    program.status = "closed"
    program.save()
    client.force_login(bob)
    response = client.post(f"/programs/{program.pk}/apply/", {"side": sides(program)[0].pk})
    assert response.context["form"].non_field_errors() == [
        "This program is not open for applications."]
    assert "This program is not open for applications." in response.content.decode()
    assert Application.objects.count() == 0


def test_apply_after_deadline_shows_error(client, bob, program):
    program.applications_close_at = timezone.now() - timedelta(minutes=1)
    program.save()
    client.force_login(bob)
    html = client.get(f"/programs/{program.pk}/").content.decode()
    assert "Applications for this program have closed." in html
    response = client.post(f"/programs/{program.pk}/apply/", {"side": sides(program)[0].pk})
    assert response.context["form"].non_field_errors() == [
        "This program is not open for applications."]
    assert Application.objects.count() == 0


def test_apply_to_draft_is_404_for_participants_and_refused_for_staff(client, alice, bob, org):
    draft = program_with_sides(organization=org, status="draft")
    client.force_login(bob)
    assert client.post(f"/programs/{draft.pk}/apply/",
                       {"side": sides(draft)[0].pk}).status_code == 404
    client.force_login(alice)
    response = client.post(f"/programs/{draft.pk}/apply/", {"side": sides(draft)[0].pk})
    assert response.context["form"].non_field_errors() == [
        "This program is not open for applications."]


def test_apply_with_side_of_another_program_shows_field_error(client, bob, program, org):
    other = program_with_sides("East", "West", organization=org)
    client.force_login(bob)
    response = client.post(f"/programs/{program.pk}/apply/", {"side": sides(other)[0].pk})
    assert response.context["form"].errors["side"] == [
        "Select a valid choice. That choice is not one of the available choices."]
    assert Application.objects.count() == 0


def test_apply_without_side_shows_field_error(client, bob, program):
    client.force_login(bob)
    response = client.post(f"/programs/{program.pk}/apply/", {"motivation": "hi"})
    assert response.context["form"].errors["side"] == ["This field is required."]


# --- My programs --------------------------------------------------------------------------


def test_my_programs_requires_sign_in(client):
    assert client.get("/me/programs/")["Location"] == "/accounts/login/?next=/me/programs/"


def test_my_programs_lists_own_applications_with_withdraw(client, bob, program):
    mine = ApplicationFactory(side=sides(program)[0], applicant=bob, status="accepted")
    ApplicationFactory(side=sides(program)[1])
    client.force_login(bob)
    response = client.get("/me/programs/")
    assert list(response.context["applications"]) == [mine]
    html = response.content.decode()
    assert 'class="badge badge--accepted"' in html
    assert f'action="/applications/{mine.pk}/withdraw/"' in html
    assert "data-confirm=" in html


def test_my_programs_empty_state(client, bob):
    client.force_login(bob)
    assert "You have not applied to any program yet." in client.get(
        "/me/programs/").content.decode()


def test_withdraw_promotes_the_waitlist(client, bob, program):
    north, _ = sides(program)
    mine = ApplicationFactory(side=north, applicant=bob, status="accepted")
    ApplicationFactory(side=north, status="accepted")
    waiting = ApplicationFactory(side=north, status="waitlisted")
    client.force_login(bob)
    response = client.post(f"/applications/{mine.pk}/withdraw/", follow=True)
    assert "You withdrew your application to “Youth dialogue”." in response.content.decode()
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, waiting.status) == ("withdrawn", "accepted")


def test_withdraw_someone_elses_application_is_404(client, bob, program):
    theirs = ApplicationFactory(side=sides(program)[0])
    client.force_login(bob)
    assert client.post(f"/applications/{theirs.pk}/withdraw/").status_code == 404


def test_my_programs_query_count_is_constant(client, bob, org, django_assert_max_num_queries):
    client.force_login(bob)
    ApplicationFactory(side=sides(program_with_sides(organization=org))[0], applicant=bob)
    with django_assert_max_num_queries(5):
        assert client.get("/me/programs/").status_code == 200
    for _ in range(3):
        ApplicationFactory(side=sides(program_with_sides(organization=org))[0], applicant=bob)
    with django_assert_max_num_queries(5):
        assert client.get("/me/programs/").status_code == 200


# --- Privacy ------------------------------------------------------------------------------


def test_other_participants_never_see_email_or_legal_name(client, bob, program):
    north, _ = sides(program)
    other = UserFactory(display_name="Dana", email="dana@example.org", legal_name="Dana Legal")
    ApplicationFactory(side=north, applicant=other, status="accepted", motivation="secret")
    ApplicationFactory(side=north, applicant=bob)
    client.force_login(bob)
    for url in ("/programs/", f"/programs/{program.pk}/", "/me/programs/"):
        html = client.get(url).content.decode()
        assert "dana@example.org" not in html
        assert "Dana Legal" not in html
        assert "secret" not in html
    assert client.get(f"/programs/{program.pk}/applications/").status_code == 404


# --- Staff: applications page ---------------------------------------------------------


def test_applications_page_404_for_outsiders_participants_and_facilitators(
        client, bob, charlie, org, program):
    ApplicationFactory(side=sides(program)[0], applicant=bob)
    facilitator = UserFactory()
    MembershipFactory(organization=org, user=facilitator, role="facilitator")
    for person in (bob, charlie, facilitator):
        client.force_login(person)
        assert client.get(f"/programs/{program.pk}/applications/").status_code == 404
        assert client.get(f"/programs/{program.pk}/applications.csv").status_code == 404


def test_applications_page_anonymous_redirected(client, program):
    response = client.get(f"/programs/{program.pk}/applications/")
    assert response["Location"] == f"/accounts/login/?next=/programs/{program.pk}/applications/"


def test_applications_page_shows_staff_only_personal_data_and_meter(client, alice, program):
    north, _ = sides(program)
    dana = UserFactory(display_name="Dana", email="dana@example.org", legal_name="Dana Legal")
    ApplicationFactory(side=north, applicant=dana, motivation="To listen")
    client.force_login(alice)
    html = client.get(f"/programs/{program.pk}/applications/").content.decode()
    assert "dana@example.org" in html
    assert "Dana Legal" in html
    assert "To listen" in html
    assert "0 of 2 seats taken" in html
    assert 'id="balance-meter"' in html


def test_applications_page_filters_by_side_and_status(client, alice, program):
    north, south = sides(program)
    a = ApplicationFactory(side=north)
    b = ApplicationFactory(side=south, status="waitlisted")
    c = ApplicationFactory(side=south)
    client.force_login(alice)
    url = f"/programs/{program.pk}/applications/"
    assert list(client.get(f"{url}?side={south.pk}").context["page"]) == [b, c]
    assert list(client.get(f"{url}?status=pending").context["page"]) == [a, c]
    assert list(client.get(f"{url}?side={south.pk}&status=pending").context["page"]) == [c]


def test_applications_page_full_side_offers_waitlist_not_accept(client, alice, program):
    north, south = sides(program)
    ApplicationFactory.create_batch(2, side=north, status="accepted")
    waiting = ApplicationFactory(side=north)
    open_side = ApplicationFactory(side=south)
    client.force_login(alice)
    html = client.get(f"/programs/{program.pk}/applications/").content.decode()
    assert f'action="/applications/{waiting.pk}/accept/"' not in html
    assert f'action="/applications/{waiting.pk}/waitlist/"' in html
    assert f'action="/applications/{open_side.pk}/accept/"' in html
    assert html.count("Side full") == 1


def test_accept_plain_post_redirects_with_flash(client, alice, program):
    application = ApplicationFactory(side=sides(program)[0],
                                     applicant=UserFactory(display_name="Dana"))
    client.force_login(alice)
    url = f"/programs/{program.pk}/applications/?status=pending"
    response = client.post(f"/applications/{application.pk}/accept/", {"next": url})
    assert response["Location"] == url
    application.refresh_from_db()
    assert application.status == "accepted"
    assert "Dana was accepted." in client.get(url).content.decode()


def test_accept_ignores_offsite_next(client, alice, program):
    application = ApplicationFactory(side=sides(program)[0])
    client.force_login(alice)
    response = client.post(f"/applications/{application.pk}/accept/",
                           {"next": "https://evil.example/"})
    assert response["Location"] == f"/programs/{program.pk}/applications/"


def test_accept_with_htmx_returns_row_and_oob_meter(client, alice, program):
    north, _ = sides(program)
    application = ApplicationFactory(side=north, applicant=UserFactory(display_name="Dana"))
    other = ApplicationFactory(side=north)
    client.force_login(alice)
    response = client.post(f"/applications/{application.pk}/accept/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="application-{application.pk}">')
    assert '<div id="balance-meter" hx-swap-oob="true">' in html
    assert "1 of 2 seats taken" in html
    assert f'<tr id="application-{other.pk}" hx-swap-oob="true">' in html
    assert "Dana was accepted." in html
    assert "<html" not in html


def test_accept_on_full_side_shows_conflict(client, alice, program):
    north, _ = sides(program)
    ApplicationFactory.create_batch(2, side=north, status="accepted")
    application = ApplicationFactory(side=north)
    client.force_login(alice)
    response = client.post(f"/applications/{application.pk}/accept/", HTTP_HX_REQUEST="true")
    assert "This side is full. Waitlist the application instead." in response.content.decode()
    response = client.post(f"/applications/{application.pk}/accept/", follow=True)
    assert "This side is full. Waitlist the application instead." in response.content.decode()
    application.refresh_from_db()
    assert application.status == "pending"


def test_waitlist_and_decline(client, alice, program):
    north, _ = sides(program)
    first, second = ApplicationFactory.create_batch(2, side=north)
    client.force_login(alice)
    client.post(f"/applications/{first.pk}/waitlist/")
    client.post(f"/applications/{second.pk}/decline/")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("waitlisted", "declined")


def test_decide_on_other_orgs_application_is_404(client, charlie, program):
    application = ApplicationFactory(side=sides(program)[0])
    client.force_login(charlie)
    assert client.post(f"/applications/{application.pk}/accept/").status_code == 404
    application.refresh_from_db()
    assert application.status == "pending"


def test_csv_export_has_rows_and_is_logged(client, alice, program):
    dana = UserFactory(display_name="Dana", email="dana@example.org", legal_name="=cmd()")
    ApplicationFactory(side=sides(program)[0], applicant=dana, motivation="Hi")
    client.force_login(alice)
    response = client.get(f"/programs/{program.pk}/applications.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["side", "display name", "email", "legal name", "institution",
                       "date of birth", "status", "applied at", "decided at", "motivation",
                       "guardian's email", "guardian's consent", "guardian's name",
                       "guardian answered at"]
    assert rows[1][:7] == ["North", "Dana", "dana@example.org", "'=cmd()", "", "", "pending"]
    log = ActivityLog.objects.get(verb="applications.exported")
    assert (log.actor, log.organization_id, log.data) == (alice, program.organization_id,
                                                          {"rows": 1})


def test_applications_page_paginates_at_fifty(client, alice, program):
    north, _ = sides(program)
    ApplicationFactory.create_batch(51, side=north)
    client.force_login(alice)
    assert len(client.get(f"/programs/{program.pk}/applications/").context["page"]) == 50


def test_applications_page_query_count_is_constant(client, alice, program,
                                                   django_assert_max_num_queries):
    north, south = sides(program)
    ApplicationFactory(side=north)
    client.force_login(alice)
    url = f"/programs/{program.pk}/applications/"
    # 11: the personal-data rule, the personal_data.viewed entry it logs, and the viewer's
    # role for the Incidents tab (shown to custodians and owners only).
    with django_assert_max_num_queries(11):
        assert client.get(url).status_code == 200
    ApplicationFactory(side=south, status="accepted")
    ApplicationFactory(side=south, status="waitlisted")
    ApplicationFactory(side=north, status="declined")
    with django_assert_max_num_queries(11):
        assert len(client.get(url).context["page"]) == 4
