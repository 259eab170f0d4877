"""Issue 12's rules: what facilitators see, erased people, the program's timezone, the
team hearing about its sessions, seats that parity cannot fill, pages on a phone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dialogues import services as sessions
from dialogues.models import RSVP
from dialogues.reminders.services import FACILITATOR_REMINDER
from dialogues.selectors import yes_count
from exchanges import selectors
from exchanges.models import Program, Side
from exchanges.services import SideSpec, program_create, program_update
from participants.models import Notification, NotificationStatus
from participants.privacy import erase_personal_data
from tests.factories import (
    MembershipFactory,
    RSVPFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(org):
    user = UserFactory(display_name="Fatma")
    MembershipFactory(organization=org, user=user, role="facilitator")
    return user


def with_default_reminders(program, actor):
    from dialogues.models import DEFAULT_REMINDER_SCHEDULE
    from dialogues.reminders.services import reminder_schedule_set

    reminder_schedule_set(program=program, actor=actor, rules=DEFAULT_REMINDER_SCHEDULE)
    return program


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def session_fields(program, **overrides):
    start = timezone.now() + dt.timedelta(days=10)
    return {"title": "Listening circle", "format": "storytelling", "starts_at": start,
            "ends_at": start + dt.timedelta(hours=2), "timezone": "Asia/Nicosia",
            "confidentiality": "open"} | overrides


# --- Facilitators: public programs and their own sessions, never drafts ----------------


def test_facilitator_lists_no_draft_without_a_session_of_theirs(org, facilitator, alice):
    draft = program_with_sides(organization=org, status="draft", title="Quiet draft")
    assigned = program_with_sides(organization=org, status="draft", title="Their draft")
    SessionFactory(program=assigned).facilitators.add(facilitator)
    public = program_with_sides(organization=org, title="Open to all")

    visible = set(selectors.programs_visible_to(facilitator))
    assert visible == {assigned, public}
    assert draft in set(selectors.programs_visible_to(alice))  # the owner still sees it

    titles = {p["title"] for p in api(facilitator).get("/api/v1/programs/").json()["results"]}
    assert titles == {"Their draft", "Open to all"}
    assert api(facilitator).get(f"/api/v1/programs/{draft.pk}/").status_code == 404


def test_facilitator_sees_only_their_own_session_of_a_draft(org, facilitator, client):
    draft = program_with_sides(organization=org, status="draft")
    mine = SessionFactory(program=draft, title="Mine")
    mine.facilitators.add(facilitator)
    other = SessionFactory(program=draft, title="Someone else's")

    titles = [s["title"] for s in
              api(facilitator).get(f"/api/v1/programs/{draft.pk}/sessions/").json()["results"]]
    assert titles == ["Mine"]
    assert api(facilitator).get(f"/api/v1/sessions/{other.pk}/").status_code == 404
    client.force_login(facilitator)
    page = client.get(reverse("program-sessions", args=[draft.pk])).content.decode()
    assert "Mine" in page and "Someone else" not in page


def test_a_removed_facilitator_no_longer_sees_the_draft(org, facilitator):
    draft = program_with_sides(organization=org, status="draft")
    SessionFactory(program=draft).facilitators.add(facilitator)
    facilitator.memberships.all().delete()
    assert draft not in set(selectors.programs_visible_to(facilitator))


def test_facilitator_dashboard_has_no_drafts_counts_or_activity(org, facilitator, alice,
                                                               client,
                                                               django_assert_max_num_queries):
    program_with_sides(organization=org, status="draft", title="Secret plans")
    program_create(organization=org, actor=alice, sides=[SideSpec("A"), SideSpec("B")],
                   title="Logged program", kind="dialogue", starts_on=timezone.localdate(),
                   ends_on=timezone.localdate() + dt.timedelta(days=9), capacity=4)
    client.force_login(facilitator)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("exchanges:org-dashboard", args=[org.slug])).content.decode()
    assert "Secret plans" not in page and "Logged program" not in page  # both drafts
    assert "Recent activity" not in page and "waiting for a decision" not in page
    assert reverse("my-sessions") in page
    client.force_login(alice)
    page = client.get(reverse("exchanges:org-dashboard", args=[org.slug])).content.decode()
    assert "Secret plans" in page and "Recent activity" in page


def test_members_page_says_what_facilitators_see(org, alice, client):
    client.force_login(alice)
    page = client.get(reverse("exchanges:org-members", args=[org.slug])).content.decode()
    assert "no drafts, applications or activity log" in page


# --- An erased participant neither counts as coming nor can be marked ----------------


def test_erased_participant_is_not_coming_and_cannot_be_marked(org, alice):
    program = program_with_sides(organization=org)
    person = accepted_participant(program)
    upcoming = SessionFactory(program=program)
    RSVPFactory(session=upcoming, participant=person)
    past = SessionFactory(program=program, starts_at=timezone.now() - dt.timedelta(days=2),
                          ends_at=timezone.now() - dt.timedelta(days=2) + dt.timedelta(hours=2))
    RSVPFactory(session=past, participant=person)
    assert yes_count(upcoming) == 1

    erase_personal_data(user=person)

    assert yes_count(upcoming) == 0
    assert not RSVP.objects.filter(session=upcoming).exists()
    assert yes_count(past) == 0  # the answer stays for anonymous counts, not as "yes"
    with pytest.raises(sessions.ItemErrors) as refused:
        sessions.attendance_mark(session=past, actor=alice,
                                 marks=[{"participant": person.pk, "attended": True}])
    assert "erased" in str(refused.value.items[0]["participant"][0])
    assert RSVP.objects.get(session=past).attended is None


def test_session_page_offers_no_attendance_buttons_for_an_erased_person(org, alice, client):
    program = program_with_sides(organization=org)
    person = accepted_participant(program, display_name="Gone")
    start = timezone.now() - dt.timedelta(days=1)
    past = SessionFactory(program=program, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    RSVPFactory(session=past, participant=person)
    erase_personal_data(user=person)
    client.force_login(alice)
    page = client.get(reverse("session-detail", args=[past.pk])).content.decode()
    assert "account erased: can no longer be marked" in page
    assert f'name="participant" value="{person.pk}"' not in page


# --- The program's timezone ------------------------------------------------------------


def test_program_timezone_defaults_to_the_creators_and_is_strict(org, alice):
    alice.timezone = "Asia/Nicosia"
    alice.save()
    body = {"organization": org.slug, "title": "T", "kind": "dialogue",
            "starts_on": "2030-01-01", "ends_on": "2030-01-31", "capacity": 4,
            "sides": [{"name": "A"}, {"name": "B"}]}
    created = api(alice).post("/api/v1/programs/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["timezone"] == "Asia/Nicosia"

    refused = api(alice).post("/api/v1/programs/", body | {"timezone": "Europe/Nicosia"},
                              format="json")
    assert refused.status_code == 400 and "timezone" in refused.json()  # an old alias
    for bad in ("Mars/Olympus", 7, ""):
        response = api(alice).patch(f"/api/v1/programs/{created.json()['id']}/",
                                    {"timezone": bad}, format="json")
        assert response.status_code == 400, bad
    moved = api(alice).patch(f"/api/v1/programs/{created.json()['id']}/",
                             {"timezone": "Asia/Jerusalem"}, format="json")
    assert moved.json()["timezone"] == "Asia/Jerusalem"


def test_session_form_starts_in_the_programs_zone_with_a_searchable_list(org, alice, client):
    program = program_with_sides(organization=org, timezone="Asia/Nicosia")
    client.force_login(alice)  # alice's own zone is UTC
    page = client.get(reverse("session-new", args=[program.pk])).content.decode()
    assert 'name="timezone" value="Asia/Nicosia"' in page
    assert 'list="id_timezone-zones"' in page and '<datalist id="id_timezone-zones">' in page
    assert '<option value="Europe/Nicosia">' not in page  # old aliases are not offered
    assert '<option value="America/New_York">' in page


def test_program_form_saves_the_zone_and_reads_an_alias_as_its_zone(org, alice, client):
    program = program_with_sides(organization=org)
    client.force_login(alice)
    sides = list(program.sides.all())
    response = client.post(reverse("exchanges:program-edit", args=[program.pk]), {
        "title": program.title, "kind": "dialogue", "starts_on": program.starts_on,
        "ends_on": program.ends_on, "capacity": 10, "balance": "parity",
        "timezone": "Asia/Nicosia", "side_id": [s.pk for s in sides],
        "side_name": [s.name for s in sides]})
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.timezone == "Asia/Nicosia"


# --- The team hears about its sessions ---------------------------------------------------


def test_an_assigned_facilitator_is_told_and_reminded_in_step(org, alice, facilitator):
    program = with_default_reminders(program_with_sides(organization=org), alice)
    session = sessions.session_create(program=program, actor=alice,
                                      facilitators=[facilitator.pk],
                                      **session_fields(program))
    assert Notification.objects.filter(recipient=facilitator, kind="facilitator_assigned",
                                       context__session=session.pk).count() == 1
    reminders = Notification.objects.filter(recipient=facilitator, kind=FACILITATOR_REMINDER,
                                            status=NotificationStatus.PENDING)
    assert sorted(r.due_at for r in reminders) == [
        session.starts_at - dt.timedelta(days=1), session.starts_at - dt.timedelta(hours=1)]

    later = session.starts_at + dt.timedelta(days=1)
    sessions.session_update(session=session, actor=alice, starts_at=later,
                            ends_at=later + dt.timedelta(hours=2))
    assert sorted(r.due_at for r in reminders.all()) == [later - dt.timedelta(days=1),
                                                          later - dt.timedelta(hours=1)]

    colleague = UserFactory()
    MembershipFactory(organization=org, user=colleague, role="facilitator")
    sessions.session_update(session=session, actor=alice, facilitators=[colleague.pk])
    assert not reminders.filter(recipient=facilitator).exists()
    assert Notification.objects.filter(recipient=colleague, kind=FACILITATOR_REMINDER,
                                       status=NotificationStatus.PENDING).count() == 2
    assert Notification.objects.filter(recipient=colleague, kind="facilitator_assigned").exists()

    sessions.session_cancel(session=session, actor=alice)
    assert not Notification.objects.filter(kind=FACILITATOR_REMINDER,
                                           status=NotificationStatus.PENDING).exists()


def test_facilitator_messages_are_sent_with_the_session_named(org, alice, facilitator, mailoutbox):
    from participants.outbox.dispatch import dispatch_outbox

    program = program_with_sides(organization=org, title="Listening")
    sessions.session_create(program=program, actor=alice, facilitators=[facilitator.pk],
                            **session_fields(program, title="Opening circle"))
    dispatch_outbox()
    mail = [m for m in mailoutbox if m.to == [facilitator.email]]
    assert len(mail) == 1
    assert "Opening circle" in mail[0].subject and "Listening" in mail[0].body
    assert "/sessions/" in mail[0].body


def test_a_facilitator_removed_from_the_organization_gets_no_reminder(org, alice, facilitator):
    from participants.outbox.kinds import NotRelevant, kind

    program = with_default_reminders(program_with_sides(organization=org), alice)
    sessions.session_create(program=program, actor=alice, facilitators=[facilitator.pk],
                            **session_fields(program))
    reminder = Notification.objects.filter(recipient=facilitator,
                                           kind=FACILITATOR_REMINDER).first()
    facilitator.memberships.all().delete()
    with pytest.raises(NotRelevant):
        kind(FACILITATOR_REMINDER).build(reminder)


def test_a_schedule_without_a_reminder_offset_cancels_the_facilitators_one(org, alice,
                                                                          facilitator):
    from dialogues.reminders.services import reminder_schedule_set

    program = with_default_reminders(program_with_sides(organization=org), alice)
    sessions.session_create(program=program, actor=alice, facilitators=[facilitator.pk],
                            **session_fields(program))
    reminder_schedule_set(program=program, actor=alice, rules=[("session_reminder", -60)])
    pending = Notification.objects.filter(recipient=facilitator, kind=FACILITATOR_REMINDER,
                                          status=NotificationStatus.PENDING)
    assert [r.context["offset"] for r in pending] == [-60]


# --- Seats under parity ------------------------------------------------------------------


def test_catalogue_and_sides_agree_after_a_third_side(org, alice, client):
    program = program_with_sides("A", "B", organization=org, capacity=10)
    a, b = program.sides.all()
    for side in (a, b):
        for _ in range(3):
            accepted_participant(program, side=side)
    program_update(program=program, actor=alice,
                   sides=[SideSpec("A", a.pk), SideSpec("B", b.pk), SideSpec("C")])
    listed = selectors.catalogue_programs().get(pk=program.pk)
    total, per_side = selectors.seats_left(listed)
    # Each side's share is now 3: A and B are full, C has 3; the program's 4 free seats
    # cannot all be filled, so the catalogue says 3, as the sides do.
    assert [s.seats_left for s in per_side] == [0, 0, 3]
    assert total == sum(s.seats_left for s in per_side) == 3
    page = client.get(reverse("exchanges:program-list")).content.decode()
    assert "(3 seats left)" in page and "<dd>3</dd>" in page


def test_capacity_that_parity_cannot_fill_is_pointed_out(org, alice, client):
    program = program_with_sides("A", "B", organization=org, capacity=7)
    client.force_login(alice)
    for url in (reverse("exchanges:program-detail", args=[program.pk]),
                reverse("exchanges:program-edit", args=[program.pk])):
        assert "leaves 1 seat that can never be filled" in client.get(url).content.decode()
    Program.objects.filter(pk=program.pk).update(capacity=8)
    page = client.get(reverse("exchanges:program-detail", args=[program.pk])).content.decode()
    assert "can never be filled" not in page
    Side.objects.create(program=program, name="C", position=2)
    page = client.get(reverse("exchanges:program-detail", args=[program.pk])).content.decode()
    assert "leaves 2 seats that can never be filled" in page


# --- Pages ----------------------------------------------------------------------------------


def test_members_become_cards_on_a_phone(org, alice, client):
    client.force_login(alice)
    page = client.get(reverse("exchanges:org-members", args=[org.slug])).content.decode()
    assert 'class="table--stack"' in page and 'data-label="Role"' in page


def test_applications_page_has_no_second_groups_button(org, alice, client):
    program = program_with_sides(organization=org)
    client.force_login(alice)
    page = client.get(reverse("exchanges:program-applications", args=[program.pk]))
    assert page.content.decode().count(reverse("program-groups", args=[program.pk])) == 1


def test_profile_links_two_factor_set_up(alice, client):
    client.force_login(alice)
    page = client.get(reverse("participants:profile")).content.decode()
    assert reverse("two_factor_setup") in page


def test_demo_data_reads_naturally():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    programs = Program.objects.prefetch_related("sessions")
    for program in programs:
        assert not program.summary.startswith("A "), program.summary
        if program.applications_close_at:
            assert program.applications_close_at.date() < program.starts_on
        for session in program.sessions.all():
            assert session.timezone == program.timezone
    hours = {s.starts_at.astimezone(ZoneInfo(s.timezone)).hour
             for p in programs for s in p.sessions.all()}
    assert len(hours) >= 3


# --- Query counts of the pages touched -----------------------------------------------------


@pytest.mark.parametrize("rows", [1, 6])
def test_touched_pages_query_counts_stay_flat(org, alice, facilitator, client, rows,
                                              django_assert_max_num_queries):
    draft = program_with_sides(organization=org, status="draft")
    program = program_with_sides(organization=org)
    session = SessionFactory(program=program)
    for _ in range(rows):
        SessionFactory(program=draft).facilitators.add(facilitator)
        RSVPFactory(session=session, participant=accepted_participant(program))
    erase_personal_data(user=RSVP.objects.filter(session=session).first().participant)
    RSVPFactory(session=session, participant=accepted_participant(program), response="no")

    client.force_login(facilitator)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("program-sessions", args=[draft.pk])).status_code == 200
    client.force_login(alice)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("session-detail", args=[session.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("exchanges:program-detail",
                                  args=[program.pk])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("exchanges:org-activity", args=[org.slug])).status_code == 200
