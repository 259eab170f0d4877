"""API.md "Groups": rounds of balanced groups, moves, repair, and sessions of one group."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dialogues.groups import services as group_services
from dialogues.models import RSVP, GroupMember, GroupRound
from exchanges import services as exchange_services
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, SessionFactory, UserFactory, accepted_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(published):
    """Six accepted on each side of `published`, all speaking English."""
    north, south = published.sides.all()
    return [accepted_participant(published, side=north if i % 2 == 0 else south,
                                 display_name=f"Member {i}", languages="en, el",
                                 institution=f"School {i % 6}")
            for i in range(12)]


def groups_url(program):
    return f"/api/v1/programs/{program.pk}/groups/"


def make(client, program, **body):
    return client.post(groups_url(program), {"size": 6, **body}, format="json")


def side_counts(group) -> list[int]:
    return sorted(Counter(m["side"] for m in group["members"]).values())


# --- Making a round ---------------------------------------------------------------------


def test_staff_make_a_round_balanced_by_side(alice, published, people):
    response = make(client_for(alice), published)

    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"round", "created_at", "groups", "stats"}
    assert data["round"] == 1
    assert [side_counts(g) for g in data["groups"]] == [[3, 3], [3, 3]]
    assert sorted(m["participant"]["id"] for g in data["groups"] for m in g["members"]) == (
        sorted(p.pk for p in people))
    assert [g["name"] for g in data["groups"]] == ["Group 1", "Group 2"]
    member = data["groups"][0]["members"][0]
    assert set(member) == {"participant", "side", "locked"}
    assert set(member["participant"]) == {"id", "display_name"}
    assert data["stats"] == {"groups": 2, "participants": 12, "new_cross_side_pairs": 18,
                             "repeated_pairs": 0, "violations": [], "moved": None}
    group_round = GroupRound.objects.get()
    assert (group_round.size, group_round.languages, group_round.max_per_institution,
            group_round.rotate) == (6, True, 2, False)


def test_a_round_needs_two_accepted_participants(alice, published):
    accepted_participant(published)

    response = make(client_for(alice), published)

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert not GroupRound.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("size", 2), ("size", 51), ("size", "ten"),
                                              ("max_per_institution", 0),
                                              ("languages", "maybe")])
def test_bad_settings_answer_400_naming_the_field(alice, published, people, field, value):
    response = make(client_for(alice), published, **{field: value})

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not GroupRound.objects.exists()


def test_unmet_preferences_are_reported_per_group(alice, published):
    north, south = published.sides.all()
    for i in range(6):  # no language in common across the sides, one institution
        accepted_participant(published, side=north if i % 2 else south,
                             languages="el" if i % 2 else "tr", institution="Lycée")

    data = make(client_for(alice), published, max_per_institution=2).json()

    [group] = data["groups"]
    rules = sorted((v["group"], v["rule"]) for v in data["stats"]["violations"])
    assert rules == [(group["id"], "institution"), (group["id"], "language")]
    details = {v["rule"]: v["detail"] for v in data["stats"]["violations"]}
    assert details["institution"] == "6 members from Lycée; at most 2."


def test_rotation_counts_new_and_repeated_pairs_against_earlier_rounds(alice, published,
                                                                     people):
    client = client_for(alice)
    first = make(client, published).json()

    second = make(client, published, rotate=True).json()

    assert second["round"] == 2
    assert second["stats"]["new_cross_side_pairs"] + second["stats"]["repeated_pairs"] > 0
    assert second["stats"]["repeated_pairs"] < 30  # the same groups again repeat all 30
    assert first["stats"]["repeated_pairs"] == 0
    listing = client.get(groups_url(published)).json()
    assert [r["round"] for r in listing["rounds"]] == [1, 2]


# --- Who sees what ---------------------------------------------------------------------


def test_participant_sees_only_their_own_group_and_no_stats(alice, published, people):
    make(client_for(alice), published)
    me = people[0]

    data = client_for(me).get(groups_url(published)).json()

    [round_] = data["rounds"]
    [group] = round_["groups"]
    assert me.pk in [m["participant"]["id"] for m in group["members"]]
    assert len(group["members"]) == 6
    assert round_["stats"] is None
    names = {m["participant"]["display_name"] for m in group["members"]}
    mine = set(GroupMember.objects.get(participant=me).group.members
               .values_list("participant__display_name", flat=True))
    assert names == mine


def test_participant_without_a_group_in_a_round_sees_no_round(alice, published, people):
    make(client_for(alice), published)
    newcomer = accepted_participant(published)

    assert client_for(newcomer).get(groups_url(published)).json() == {"rounds": []}


@pytest.mark.parametrize("who", ["bob", "applicant", "fred", "charlie"])
def test_others_who_can_see_the_program_get_403(alice, published, people, bob, fred,
                                               charlie, other_org, who):
    applicant = ApplicationFactory(program=published, side=published.sides.first()).applicant
    caller = {"bob": bob, "applicant": applicant, "fred": fred, "charlie": charlie}[who]

    assert client_for(caller).get(groups_url(published)).status_code == 403
    assert make(client_for(caller), published).status_code == 403


def test_another_organizations_draft_and_groups_are_404(alice, draft, published, people,
                                                       charlie, other_org):
    make(client_for(alice), published)
    group = GroupRound.objects.get().groups.first()
    client = client_for(charlie)

    assert client.get(groups_url(draft)).status_code == 404
    assert client.post(f"/api/v1/programs/{draft.pk}/groups/1/repair/").status_code == 404
    # A published program's group is visible (so 403), a draft's would not be.
    published.status = "draft"
    published.save()
    response = client.post(f"/api/v1/groups/{group.pk}/members/",
                           {"participant": people[0].pk}, format="json")
    assert response.status_code == 404


def test_listing_groups_takes_the_same_queries_for_one_round_or_three(alice, published,
                                                                      people):
    client = client_for(alice)
    make(client, published)
    with CaptureQueriesContext(connection) as one:
        assert client.get(groups_url(published)).status_code == 200
    for _ in range(2):
        make(client, published, rotate=True)
    accepted_participant(published)  # more people, too

    with CaptureQueriesContext(connection) as three:
        response = client.get(groups_url(published))

    assert len(response.json()["rounds"]) == 3
    assert len(three) == len(one)


def test_participant_listing_query_count_is_constant(alice, published, people):
    client = client_for(alice)
    make(client, published)
    with CaptureQueriesContext(connection) as one:
        client_for(people[0]).get(groups_url(published))
    make(client, published, rotate=True)
    make(client, published, rotate=True)

    with CaptureQueriesContext(connection) as three:
        response = client_for(people[0]).get(groups_url(published))

    assert len(response.json()["rounds"]) == 3
    assert len(three) == len(one)


# --- Moving and locking ------------------------------------------------------------------


def _group_of(user):
    return GroupMember.objects.get(participant=user).group


def test_staff_move_may_break_the_rule_and_the_round_says_so(alice, published, people):
    make(client_for(alice), published)
    mover = people[0]
    other = next(g for g in GroupRound.objects.get().groups.all() if g != _group_of(mover))

    response = client_for(alice).post(f"/api/v1/groups/{other.pk}/members/",
                                      {"participant": mover.pk, "locked": True},
                                      format="json")

    assert response.status_code == 200
    member = GroupMember.objects.get(participant=mover)
    assert (member.group, member.locked) == (other, True)
    rules = Counter(v["rule"] for v in response.json()["stats"]["violations"])
    assert rules == {"size": 2, "side": 2}  # 7 and 5 members; 4 and 2 of one side


def test_moving_into_the_own_group_only_locks(alice, published, people):
    make(client_for(alice), published)
    group = _group_of(people[3])

    response = client_for(alice).post(f"/api/v1/groups/{group.pk}/members/",
                                      {"participant": people[3].pk, "locked": True},
                                      format="json")

    assert response.json()["stats"]["violations"] == []
    assert GroupMember.objects.get(participant=people[3]).locked is True


def test_only_accepted_participants_can_be_moved(alice, published, people, bob):
    make(client_for(alice), published)
    group = GroupRound.objects.get().groups.first()

    response = client_for(alice).post(f"/api/v1/groups/{group.pk}/members/",
                                      {"participant": bob.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["participant"]
    assert not GroupMember.objects.filter(participant=bob).exists()


def test_coordinator_moves_and_facilitator_may_not(carol, fred, alice, published, people):
    make(client_for(alice), published)
    group = GroupRound.objects.get().groups.first()
    body = {"participant": people[1].pk}

    assert client_for(fred).post(f"/api/v1/groups/{group.pk}/members/", body,
                                 format="json").status_code == 403
    assert client_for(carol).post(f"/api/v1/groups/{group.pk}/members/", body,
                                  format="json").status_code == 200


# --- Repair ---------------------------------------------------------------------------


def repair(client, program, number=1):
    return client.post(f"/api/v1/programs/{program.pk}/groups/{number}/repair/")


def test_repair_drops_the_withdrawn_and_places_the_newly_accepted(alice, published, people):
    make(client_for(alice), published)
    leaving = people[0]
    application = leaving.applications.get()
    exchange_services.application_withdraw(application=application, actor=leaving)
    newcomer = accepted_participant(published, side=application.side, languages="en")

    response = repair(client_for(alice), published)

    assert response.status_code == 200
    data = response.json()
    ids = [m["participant"]["id"] for g in data["groups"] for m in g["members"]]
    assert leaving.pk not in ids and newcomer.pk in ids
    assert data["stats"]["moved"] == 0
    assert data["stats"]["violations"] == []


def test_repair_after_a_withdrawal_moves_at_most_the_people_needed(alice, published, people):
    make(client_for(alice), published)
    leaving = people[0]
    exchange_services.application_withdraw(application=leaving.applications.get(),
                                           actor=leaving)
    before = dict(GroupMember.objects.values_list("participant_id", "group_id"))

    data = repair(client_for(alice), published).json()

    after = dict(GroupMember.objects.values_list("participant_id", "group_id"))
    moved = [pk for pk, group in after.items() if before[pk] != group]
    assert data["stats"]["moved"] == len(moved) == 0  # 11 people: 6 and 5 is balanced
    assert [side_counts(g) for g in data["groups"]] in ([[2, 3], [3, 3]], [[3, 3], [2, 3]])


def test_repair_undoes_a_manual_move_with_one_move_and_keeps_locks(alice, published, people):
    client = client_for(alice)
    make(client, published)
    mover = people[0]
    home = _group_of(mover)
    other = next(g for g in GroupRound.objects.get().groups.all() if g != home)
    client.post(f"/api/v1/groups/{other.pk}/members/", {"participant": mover.pk,
                                                         "locked": True}, format="json")

    data = repair(client, published).json()

    assert _group_of(mover) == other  # locked: stays
    assert data["stats"]["moved"] == 1  # one of the same side goes the other way
    assert data["stats"]["violations"] == []


def test_repair_of_an_unknown_round_is_404(alice, published, people):
    make(client_for(alice), published)

    assert repair(client_for(alice), published, number=2).status_code == 404


def test_archived_programs_are_read_only(alice, published, people):
    make(client_for(alice), published)
    published.status = "archived"
    published.save()

    assert make(client_for(alice), published).status_code == 409
    assert repair(client_for(alice), published).status_code == 409


# --- Sessions of one group ---------------------------------------------------------------


@pytest.fixture
def grouped(alice, published, people):
    make(client_for(alice), published)
    group = GroupRound.objects.get().groups.order_by("number").first()
    inside = [m.participant for m in group.members.select_related("participant")]
    outside = [p for p in people if p not in inside]
    return group, inside, outside


def session_body(**overrides):
    start = timezone.now() + timedelta(days=40)
    return {"title": "Circle", "format": "storytelling", "timezone": "UTC",
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
            **overrides}


def test_a_session_may_belong_to_a_group_of_its_program(alice, published, grouped):
    group, _inside, _outside = grouped

    response = client_for(alice).post(f"/api/v1/programs/{published.pk}/sessions/",
                                      session_body(group=group.pk), format="json")

    assert response.status_code == 201
    assert response.json()["group"] == group.pk
    patched = client_for(alice).patch(f"/api/v1/sessions/{response.json()['id']}/",
                                      {"group": None}, format="json")
    assert patched.json()["group"] is None


def test_a_group_of_another_program_is_refused(alice, published, draft, grouped):
    group, _inside, _outside = grouped

    response = client_for(alice).post(f"/api/v1/programs/{draft.pk}/sessions/",
                                      session_body(group=group.pk), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["group"]


def test_only_the_group_answers_and_appears_on_the_attendee_list(alice, published, grouped):
    group, inside, outside = grouped
    session = SessionFactory(program=published, group=group)
    url = f"/api/v1/sessions/{session.pk}/rsvp/"

    refused = client_for(outside[0]).post(url, {"response": "yes"}, format="json")
    accepted = client_for(inside[0]).post(url, {"response": "yes"}, format="json")
    RSVP.objects.create(session=session, participant=outside[1], response="yes")  # old answer

    assert (refused.status_code, refused.json()["code"]) == (409, "not_in_group")
    assert accepted.status_code == 200
    attendees = client_for(alice).get(f"/api/v1/sessions/{session.pk}/attendees/").json()
    assert [a["participant"]["id"] for a in attendees] == [inside[0].pk]


def test_a_non_member_who_is_not_accepted_hears_not_accepted_first(published, grouped):
    group, _inside, _outside = grouped
    session = SessionFactory(program=published, group=group)
    stranger = UserFactory()

    response = client_for(stranger).post(f"/api/v1/sessions/{session.pk}/rsvp/",
                                         {"response": "yes"}, format="json")

    assert response.json()["code"] == "not_accepted"


def test_make_round_service_refuses_non_staff(published, people, fred):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        group_services.round_create(program=published, actor=fred, size=6)
