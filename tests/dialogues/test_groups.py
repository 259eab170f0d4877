"""Dialogue groups beyond the API: reminders and relevance for sessions of one group,
scheduling one session per group, and the staff and participant pages."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dialogues.groups import services as groups
from dialogues.models import GroupMember, GroupRound, Session
from dialogues.reminders import services as reminders
from exchanges import services as exchanges
from exchanges.models import ActivityLog
from participants.models import Notification
from participants.outbox import dispatch
from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    SessionFactory,
    UserFactory,
    accepted_participant,
    program_under_way,
    program_with_sides,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(org):
    # Sessions are scheduled days from now, inside the program's dates.
    program = program_under_way(org)
    reminders.default_schedule(sender=None, program=program)
    return program


@pytest.fixture
def people(program, alice):
    """Eight accepted through the service (so their reminders are planned), 4 per side."""
    north, south = program.sides.all()
    users = []
    for i in range(8):
        user = UserFactory(display_name=f"Member {i}", languages="en",
                           institution=f"School {i}")
        application = ApplicationFactory(program=program, side=north if i % 2 else south,
                                         applicant=user)
        exchanges.application_accept(application=application, actor=alice)
        users.append(user)
    return users


@pytest.fixture
def round_(program, people, alice):
    return groups.round_create(program=program, actor=alice, size=4)


def members_of(group) -> set:
    return set(group.members.values_list("participant_id", flat=True))


def session_reminder_recipients(session) -> set:
    return set(Notification.objects.filter(kind="session_reminder", context__session=session.pk,
                                           status="pending")
               .values_list("recipient_id", flat=True))


def new_session(program, alice, **fields):
    from dialogues import services as sessions

    start = timezone.now() + timedelta(days=7)
    return sessions.session_create(program=program, actor=alice, title="Circle",
                                   format="storytelling", starts_at=start,
                                   ends_at=start + timedelta(hours=2), timezone="UTC",
                                   **fields)


# --- Reminders of a group's session ---------------------------------------------------------


def test_a_group_session_is_planned_for_its_members_only(program, round_, alice):
    group = round_.groups.first()

    session = new_session(program, alice, group=group)

    assert session_reminder_recipients(session) == members_of(group)


def test_moving_someone_moves_their_reminders(program, round_, people, alice):
    first, second = round_.groups.order_by("number")
    session = new_session(program, alice, group=first)
    mover = next(p for p in people if p.pk in members_of(second))

    groups.member_move(group=first, participant=mover, actor=alice)

    assert session_reminder_recipients(session) == members_of(first)
    leaver = next(iter(members_of(first) - {mover.pk}))
    groups.member_move(group=second, participant=leaver, actor=alice)
    assert leaver not in session_reminder_recipients(session)
    cancelled = Notification.objects.filter(recipient_id=leaver, status="cancelled",
                                            context__session=session.pk)
    assert sorted(cancelled.values_list("kind", flat=True)) == [
        "session_followup", "session_reminder", "session_reminder"]


def test_changing_a_sessions_group_replans_it(program, round_, alice):
    from dialogues import services as sessions

    first, second = round_.groups.order_by("number")
    session = new_session(program, alice)
    assert len(session_reminder_recipients(session)) == 8

    sessions.session_update(session=session, actor=alice, group=second)

    assert session_reminder_recipients(session) == members_of(second)


def test_a_reminder_to_someone_no_longer_in_the_group_is_not_sent(program, round_, people,
                                                                  alice):
    first, second = round_.groups.order_by("number")
    session = new_session(program, alice, group=first)
    member = next(iter(members_of(first)))
    # Moved behind the planner's back (e.g. a row edited in the admin).
    GroupMember.objects.filter(participant_id=member).update(group=second)
    row = Notification.objects.get(kind="session_reminder", recipient_id=member,
                                   context__session=session.pk, context__offset=-60)
    Notification.objects.filter(pk=row.pk).update(due_at=timezone.now())

    dispatch.dispatch_outbox()

    row.refresh_from_db()
    assert (row.status, row.last_error) == ("cancelled",
                                            "the recipient is not in the session's group")


def test_a_newly_accepted_person_gets_only_their_groups_reminders(program, round_, alice):
    first, _second = round_.groups.order_by("number")
    session_of_group = new_session(program, alice, group=first)
    everyone = new_session(program, alice)
    newcomer = accepted_participant(program, languages="en")  # no reminders yet: factory
    application = newcomer.applications.get()
    exchanges.application_decline(application=application, actor=alice)
    second_try = ApplicationFactory(program=program, side=program.sides.last(),
                                    applicant=UserFactory(languages="en"))

    exchanges.application_accept(application=second_try, actor=alice)

    assert second_try.applicant_id in session_reminder_recipients(everyone)
    assert second_try.applicant_id not in session_reminder_recipients(session_of_group)


# --- One session per group -------------------------------------------------------------------


def test_one_session_per_group_in_one_action(program, round_, alice):
    start = timezone.now() + timedelta(days=10)

    made = groups.sessions_create_per_group(
        group_round=round_, actor=alice, title="Circle", format="storytelling",
        starts_at=start, ends_at=start + timedelta(hours=2), timezone="UTC")

    assert [(s.title, s.group.number) for s in made] == [("Circle · Group 1", 1),
                                                        ("Circle · Group 2", 2)]
    for session in made:
        assert session_reminder_recipients(session) == members_of(session.group)


def test_one_session_per_group_is_all_or_nothing(program, round_, alice):
    start = timezone.now() + timedelta(days=10)

    with pytest.raises(ValidationError):
        groups.sessions_create_per_group(
            group_round=round_, actor=alice, title="{group} circle", format="storytelling",
            starts_at=start, ends_at=start - timedelta(hours=1), timezone="UTC")

    assert not Session.objects.exists()


def test_round_creation_is_logged(program, round_, alice):
    entry = ActivityLog.objects.get(verb="groups.round_created")

    assert (entry.actor, entry.organization_id, entry.data["groups"]) == (
        alice, program.organization_id, 2)


# --- Pages ---------------------------------------------------------------------------------


def test_staff_page_shows_cards_with_side_counts_and_controls(client, alice, program, round_):
    client.force_login(alice)

    html = client.get(f"/programs/{program.pk}/groups/").content.decode()

    assert html.count('class="card group-card') == 2
    assert html.count("North: 2 · South: 2") == 2
    assert 'name="participant"' in html and 'name="group"' in html  # the keyboard move
    assert "js/groups.js" in html and "<script>" not in html  # no inline script
    assert "School 3" in html  # staff see institutions


def test_staff_page_lists_unmet_preferences(client, alice, program, round_, people):
    first, second = round_.groups.order_by("number")
    mover = next(p for p in people if p.pk in members_of(second))
    groups.member_move(group=first, participant=mover, actor=alice)
    client.force_login(alice)

    html = client.get(f"/programs/{program.pk}/groups/").content.decode()

    assert "5 members; every group of this round should have 4." in html
    assert "3 from" in html


def test_staff_make_a_round_by_form(client, alice, program, people):
    client.force_login(alice)

    response = client.post(f"/programs/{program.pk}/groups/new/",
                           {"size": "4", "languages": "on", "max_per_institution": "2"})

    assert response.status_code == 302
    assert GroupRound.objects.get().groups.count() == 2


def test_make_round_form_reshows_errors(client, alice, program, people):
    client.force_login(alice)

    response = client.post(f"/programs/{program.pk}/groups/new/", {"size": "99"})

    assert response.status_code == 400
    assert response.context["form"].errors["size"]
    assert not GroupRound.objects.exists()


def test_make_round_form_explains_too_few_people(client, alice, org):
    program = program_with_sides(organization=org)
    client.force_login(alice)

    response = client.post(f"/programs/{program.pk}/groups/new/", {"size": "4"})

    assert "Groups need at least two accepted participants." in response.content.decode()


def test_staff_move_and_lock_by_form(client, alice, program, round_, people):
    first, second = round_.groups.order_by("number")
    mover = next(p for p in people if p.pk in members_of(second))
    client.force_login(alice)

    client.post(f"/programs/{program.pk}/groups/1/move/",
                {"participant": mover.pk, "group": first.pk, "locked": "on"})

    member = GroupMember.objects.get(participant=mover)
    assert (member.group, member.locked) == (first, True)
    client.post(f"/programs/{program.pk}/groups/1/move/",
                {"participant": mover.pk, "group": first.pk})
    assert GroupMember.objects.get(participant=mover).locked is False


def test_staff_repair_by_form(client, alice, program, round_, people):
    exchanges.application_withdraw(application=people[0].applications.get(), actor=people[0])
    client.force_login(alice)

    response = client.post(f"/programs/{program.pk}/groups/1/repair/", follow=True)

    assert "Round 1 is repaired; 0 people moved." in response.content.decode()
    assert not GroupMember.objects.filter(participant=people[0]).exists()


def test_csv_export_is_safe_and_logged(client, alice, program, round_, people):
    people[0].display_name = "=HYPERLINK(1)"
    people[0].save()
    client.force_login(alice)

    response = client.get(f"/programs/{program.pk}/groups/1.csv")

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["round", "group", "display name", "side", "locked", "languages",
                       "institution"]
    assert len(rows) == 9
    [formula] = [row for row in rows[1:] if row[2].startswith("'")]
    assert (formula[0], formula[2]) == ("1", "'=HYPERLINK(1)")
    assert ActivityLog.objects.filter(verb="groups.exported", actor=alice).count() == 1


def test_participant_page_shows_group_mates_names_and_sides_only(client, program, round_,
                                                                people):
    me = people[0]
    mates = GroupMember.objects.get(participant=me).group.members.values_list(
        "participant__display_name", flat=True)
    others = [p for p in people if p.display_name not in set(mates)]
    client.force_login(me)

    html = client.get(f"/programs/{program.pk}/groups/").content.decode()

    assert all(name in html for name in mates)
    assert not any(p.display_name in html for p in others)
    assert "School" not in html  # institutions are not shown to other participants
    assert "Move a person" not in html


def test_the_groups_page_is_for_staff_and_accepted_participants(client, program, round_, bob,
                                                                org):
    facilitator = UserFactory()
    MembershipFactory(organization=org, user=facilitator, role="facilitator")
    for user in (bob, facilitator):
        client.force_login(user)
        assert client.get(f"/programs/{program.pk}/groups/").status_code == 403


def test_sessions_page_links_groups_and_shows_them_side_by_side(client, alice, program, round_,
                                                              people):
    first, second = round_.groups.order_by("number")
    start = timezone.now() + timedelta(days=3)
    SessionFactory(program=program, title="Plenary", starts_at=start)
    SessionFactory(program=program, title="First circle", group=first, starts_at=start)
    SessionFactory(program=program, title="Second circle", group=second, starts_at=start)
    client.force_login(alice)

    html = client.get(f"/programs/{program.pk}/sessions/").content.decode()

    assert f'href="/programs/{program.pk}/groups/"' in html
    assert html.count('class="group-column"') == 3
    assert html.index("Everyone") < html.index("Round 1 · Group 1") < html.index(
        "Round 1 · Group 2")
    client.force_login(people[0])
    assert "Your dialogue group" in client.get(f"/programs/{program.pk}/sessions/").content.decode()


def test_my_sessions_lists_only_my_groups_sessions(client, program, round_, people):
    first, second = round_.groups.order_by("number")
    SessionFactory(program=program, title="First circle", group=first)
    SessionFactory(program=program, title="Second circle", group=second)
    me = next(p for p in people if p.pk in members_of(first))
    client.force_login(me)

    html = client.get("/me/sessions/").content.decode()

    assert "First circle" in html and "Second circle" not in html


def test_session_page_tells_others_it_is_for_one_group(client, program, round_, people):
    first, second = round_.groups.order_by("number")
    session = SessionFactory(program=program, group=first)
    outsider = next(p for p in people if p.pk in members_of(second))
    client.force_login(outsider)

    html = client.get(f"/sessions/{session.pk}/").content.decode()

    assert "This session is for the members of Group 1 only." in html
    assert "Are you coming?" not in html


def test_schedule_per_group_page(client, alice, program, round_):
    client.force_login(alice)
    start = timezone.now() + timedelta(days=10)

    response = client.post(f"/programs/{program.pk}/groups/1/sessions/", {
        "title": "{group} meets", "format": "storytelling",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "timezone": "UTC", "confidentiality": "open"})

    assert response.status_code == 302
    assert sorted(Session.objects.values_list("title", flat=True)) == ["Group 1 meets",
                                                                      "Group 2 meets"]


def test_session_form_offers_the_programs_groups(client, alice, program, round_, org):
    other = program_with_sides(organization=org)
    client.force_login(alice)

    html = client.get(f"/programs/{program.pk}/sessions/new/").content.decode()
    other_html = client.get(f"/programs/{other.pk}/sessions/new/").content.decode()

    assert "Round 1 · Group 2" in html
    assert "Round 1 · Group" not in other_html


def test_staff_page_query_count_is_constant(client, alice, program, round_):
    client.force_login(alice)
    client.get(f"/programs/{program.pk}/groups/")  # the session, the language: once
    with CaptureQueriesContext(connection) as one:
        client.get(f"/programs/{program.pk}/groups/")
    for _ in range(2):
        groups.round_create(program=program, actor=alice, size=4, rotate=True)
    for i in range(8):
        accepted_participant(program, display_name=f"Late {i}")

    with CaptureQueriesContext(connection) as three:
        response = client.get(f"/programs/{program.pk}/groups/")

    assert response.content.decode().count('class="round"') == 3
    assert len(three) == len(one)


def test_the_export_names_the_persons_groups(program, round_, people):
    from participants.privacy import export_personal_data

    data = export_personal_data(user=people[0])

    [entry] = data["groups"]
    assert (entry["program"], entry["round"]) == (program.title, 1)
    assert entry["group"] == GroupMember.objects.get(participant=people[0]).group.name


def test_the_program_page_links_the_group_for_accepted_participants_and_staff(
        client, alice, program, round_, people, bob):
    url = f'href="/programs/{program.pk}/groups/"'
    pages = {}
    for user in (people[0], alice, bob):
        client.force_login(user)
        pages[user] = client.get(f"/programs/{program.pk}/").content.decode()

    assert (url in pages[people[0]], url in pages[alice], url in pages[bob]) == (
        True, True, False)
