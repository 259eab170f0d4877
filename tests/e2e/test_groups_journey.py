import pytest
from playwright.sync_api import expect

from dialogues.models import GroupMember, GroupRound
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    accepted_participant,
    program_with_sides,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_make_groups_move_by_keyboard_and_by_drag_and_a_participant_sees_theirs(
        page, phone):
    organization = OrganizationFactory(name="Bridges")
    staff = UserFactory(email="staff@example.org", display_name="Stella")
    MembershipFactory(organization=organization, user=staff, role="owner")
    program = program_with_sides("Greek Cypriot", "Turkish Cypriot",
                                 organization=organization, title="Nicosia dialogue",
                                 capacity=20)
    north, south = program.sides.all()
    people = [accepted_participant(program, side=north if i % 2 else south,
                                   display_name=f"Person {i}", languages="en",
                                   email=f"p{i}@example.org", institution=f"School {i}")
              for i in range(8)]

    # Staff make a round of two groups of four.
    sign_in(page, "staff@example.org", PASSWORD)
    page.goto(f"/programs/{program.pk}/sessions/")
    page.get_by_role("navigation", name="Program pages").get_by_role(
        "link", name="Groups", exact=True).click()
    page.get_by_label("Group size").fill("4")
    page.get_by_role("button", name="Make groups").click()
    expect(page.get_by_text("Round 1 is made.")).to_be_visible()
    first, second = GroupRound.objects.get().groups.order_by("number")
    screenshot(page, "groups-round")

    # Move one person with the keyboard-usable form, locked.
    mover = GroupMember.objects.filter(group=second).first().participant
    page.get_by_label("Person", exact=True).select_option(str(mover.pk))
    page.get_by_label("Into").select_option(str(first.pk))
    page.get_by_label("Lock them there").check()
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text(f"{mover.display_name} is in Group 1, locked.")).to_be_visible()
    expect(page.locator(f"#group-{first.pk}")).to_contain_text("5 members; every group")

    # Drag someone else from group 1 to group 2: the balance is back.
    other = (GroupMember.objects.filter(group=first, participant__applications__side=mover
                                        .applications.get().side)
             .exclude(participant=mover).first().participant)
    page.locator(f'[data-participant="{other.pk}"]').drag_to(page.locator(f"#group-{second.pk}"))
    expect(page.get_by_text(f"{other.display_name} is in Group 2.")).to_be_visible()
    assert GroupMember.objects.get(participant=other).group == second
    expect(page.locator(".group-issue")).to_have_count(0)
    screenshot(page, "groups-after-moves")

    # A participant sees their group-mates' names and sides, on a phone.
    me = people[0]
    sign_in(phone, me.email, PASSWORD)
    phone.goto(f"/programs/{program.pk}/sessions/")
    phone.get_by_role("link", name="Your dialogue group").click()
    mates = GroupMember.objects.get(participant=me).group.members.values_list(
        "participant__display_name", flat=True)
    for name in mates:
        expect(phone.locator("#main").get_by_text(name, exact=True)).to_be_visible()
    expect(phone.get_by_text("School")).to_have_count(0)
    screenshot(phone, "groups-participant")
