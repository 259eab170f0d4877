"""The program services' rules at their own level: each refusal's message, the sides'
order and names, when free seats are filled, and the log rows."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import content
from core.errors import Conflict
from dialogues.models import ReminderRule, Session
from exchanges import services
from exchanges.models import ActivityLog, Application, Program, Side
from exchanges.services import SideSpec
from exchanges.signals import program_changed, program_languages_changed
from tests.factories import ApplicationFactory, SessionFactory, program_with_sides

pytestmark = pytest.mark.django_db

UPDATE_QUERIES = 8  # a title changed, savepoints included


def sides(*names):
    return [SideSpec(name=n) for n in names]


def program_fields(**overrides):
    return {"title": "Listening circles", "kind": "dialogue", "starts_on": date(2027, 3, 1),
            "ends_on": date(2027, 6, 1), "capacity": 10, "balance": "parity"} | overrides


def create(org, alice, names=("North", "South"), **overrides):
    return services.program_create(organization=org, actor=alice, sides=sides(*names),
                                   **program_fields(**overrides))


def test_a_new_program_keeps_its_sides_trimmed_in_order_and_is_logged(org, alice):
    program = create(org, alice, names=(" North ", "South", "East"))
    assert list(Side.objects.filter(program=program).order_by("position")
                .values_list("name", "position")) == [("North", 0), ("South", 1), ("East", 2)]
    log = ActivityLog.objects.get(verb="program.created")
    assert (log.actor, log.target_id, log.organization_id) == (alice, str(program.pk), org.pk)


@pytest.mark.parametrize(("names", "message"), [
    (("Only",), "A program needs at least two sides."),
    (("North", " "), "Every side needs a name."),
    (("North", "NORTH"), "Side names must be unique within a program."),
    (("North", "s" * 81), "A side name has at most 80 characters."),
])
def test_each_problem_with_the_sides_is_named(org, alice, names, message):
    with pytest.raises(ValidationError) as err:
        create(org, alice, names=names)
    assert err.value.message_dict == {"sides": [message]}


def test_a_side_name_of_80_characters_is_enough(org, alice):
    program = create(org, alice, names=("North", "s" * 80))
    assert program.sides.count() == 2


def test_an_unknown_program_field_is_a_programming_error(org, alice):
    with pytest.raises(TypeError, match=r"^unknown program fields: \['colour'\]$"):
        create(org, alice, colour="blue")


def test_parity_needs_a_seat_per_side_and_says_how_many(org, alice):
    with pytest.raises(ValidationError) as err:
        create(org, alice, names=("A", "B", "C"), capacity=2)
    assert err.value.message_dict == {"capacity": [
        "Under parity the capacity must be at least the number of sides (3)."]}
    assert create(org, alice, names=("A", "B", "C"), capacity=3).capacity == 3


def test_a_side_cannot_keep_fewer_seats_than_it_has_accepted_and_the_fullest_is_named(
        org, alice):
    program = program_with_sides(organization=org, capacity=8)
    north, south = program.sides.all()
    ApplicationFactory(program=program, side=south, status="accepted")
    for _ in range(3):
        ApplicationFactory(program=program, side=north, status="accepted")
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice, capacity=4)
    assert err.value.message_dict == {"capacity": [
        "This would leave a side with fewer seats (2) than it has accepted participants (3)."]}
    services.program_update(program=program, actor=alice, capacity=6)  # 3 seats a side


def test_without_parity_the_capacity_keeps_those_accepted(org, alice):
    program = program_with_sides(organization=org, capacity=8, balance="none")
    north, south = program.sides.all()
    ApplicationFactory(program=program, side=north, status="accepted")
    ApplicationFactory(program=program, side=south, status="accepted")
    ApplicationFactory(program=program, side=south, status="accepted")
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice, capacity=2)
    assert err.value.message_dict == {"capacity": [
        "The capacity cannot be below the number already accepted (3)."]}
    services.program_update(program=program, actor=alice, capacity=3)


def test_more_capacity_fills_the_free_seats_from_the_waitlist(org, alice):
    program = program_with_sides(organization=org, capacity=2, balance="none")
    north = program.sides.first()
    ApplicationFactory(program=program, side=north, status="accepted")
    ApplicationFactory(program=program, side=north, status="accepted")
    waiting = ApplicationFactory(program=program, side=north, status="waitlisted")
    services.program_update(program=program, actor=alice, title="Same seats")
    assert Application.objects.get(pk=waiting.pk).status == "waitlisted"
    services.program_update(program=program, actor=alice, capacity=3)
    assert Application.objects.get(pk=waiting.pk).status == "accepted"


def test_a_new_balance_fills_the_free_seats_it_opens(org, alice):
    program = program_with_sides(organization=org, capacity=4)
    north = program.sides.first()
    ApplicationFactory(program=program, side=north, status="accepted")
    ApplicationFactory(program=program, side=north, status="accepted")
    waiting = ApplicationFactory(program=program, side=north, status="waitlisted")
    services.program_update(program=program, actor=alice, balance="none")
    assert Application.objects.get(pk=waiting.pk).status == "accepted"


def test_an_update_is_logged_with_its_fields_and_sides(org, alice):
    program = program_with_sides("North", "South", organization=org)
    north, south = program.sides.all()
    services.program_update(program=program, actor=alice, title="New", summary="Short")
    services.program_update(program=program, actor=alice, sides=[
        SideSpec(id=north.pk, name="North"), SideSpec(id=south.pk, name="South")])
    logs = ActivityLog.objects.filter(verb="program.updated").order_by("pk")
    assert [log.data for log in logs] == [{"fields": ["summary", "title"]},
                                          {"fields": ["sides"]}]
    assert (logs[0].actor, logs[0].target_id, logs[0].organization_id) == (
        alice, str(program.pk), org.pk)


def test_sides_are_kept_in_the_order_given(org, alice):
    program = program_with_sides("North", "South", organization=org)
    north, south = program.sides.all()
    services.program_update(program=program, actor=alice, sides=[
        SideSpec(name=" East "), SideSpec(id=south.pk, name=" South "),
        SideSpec(id=north.pk, name="North")])
    assert list(Side.objects.filter(program=program).order_by("position")
                .values_list("name", "position")) == [("East", 0), ("South", 1), ("North", 2)]


def test_a_side_of_another_program_is_refused_by_name(org, alice):
    program = program_with_sides(organization=org)
    foreign = program_with_sides().sides.first()
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice, sides=[
            SideSpec(id=foreign.pk, name="Mine"), SideSpec(name="Other")])
    assert err.value.message_dict == {"sides": ["A side belongs to another program."]}


def test_a_side_with_applications_says_why_it_stays(org, alice):
    program = program_with_sides("North", "South", "East", organization=org)
    north, south, east = program.sides.all()
    ApplicationFactory(program=program, side=east)
    with pytest.raises(Conflict) as err:
        services.program_update(program=program, actor=alice, sides=[
            SideSpec(id=north.pk, name="North"), SideSpec(id=south.pk, name="South")])
    assert err.value.message == "A side that has applications cannot be removed."


def test_an_archived_program_is_read_only(org, alice):
    program = program_with_sides(organization=org, status="archived")
    with pytest.raises(Conflict) as err:
        services.program_update(program=program, actor=alice, title="Again")
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "An archived program is read-only.")


def test_new_dates_are_checked_against_the_sessions_only_when_they_change(org, alice):
    program = program_with_sides(organization=org, starts_on=date(2031, 3, 1),
                                 ends_on=date(2031, 3, 31))
    SessionFactory(program=program, starts_at=datetime(2031, 3, 10, 9, 0, tzinfo=UTC),
                   ends_at=datetime(2031, 3, 10, 11, 0, tzinfo=UTC))
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice, starts_on=date(2031, 3, 11))
    assert err.value.message_dict == {"starts_on": [
        "1 session takes place before this date: move or cancel it first."]}
    # A session stored outside the dates (before the rule) does not block other edits.
    Program.objects.filter(pk=program.pk).update(starts_on=date(2031, 3, 11))
    program.refresh_from_db()
    services.program_update(program=program, actor=alice, title="Renamed")


def test_a_refused_move_names_both_states(org, alice):
    program = program_with_sides(organization=org, status="draft")
    with pytest.raises(Conflict) as err:
        services.program_archive(program=program, actor=alice)
    assert err.value.message == "A draft program cannot become archived."


def test_a_program_with_one_side_cannot_be_published(org, alice):
    program = program_with_sides("Only", organization=org, status="draft")
    with pytest.raises(ValidationError) as err:
        services.program_publish(program=program, actor=alice)
    assert err.value.message_dict == {"sides": ["A program needs at least two sides."]}
    program.refresh_from_db()
    assert program.status == "draft"


def test_each_move_is_logged_with_where_it_came_from(org, alice):
    program = program_with_sides(organization=org, status="draft")
    services.program_publish(program=program, actor=alice)
    log = ActivityLog.objects.get(verb="program.published")
    assert (log.actor, log.target_id, log.organization_id, log.data) == (
        alice, str(program.pk), org.pk, {"from": "draft"})


def test_deleting_a_draft_removes_its_applications_and_is_logged(org, alice):
    program = program_with_sides(organization=org, status="draft")
    ApplicationFactory(program=program, side=program.sides.first())
    services.program_delete(program=program, actor=alice)
    assert not Program.objects.filter(pk=program.pk).exists()
    assert not Application.objects.exists()
    log = ActivityLog.objects.get(verb="program.deleted")
    assert (log.actor, log.target_id, log.organization_id) == (alice, str(program.pk), org.pk)


def test_only_a_draft_can_be_deleted_and_it_says_so(org, alice):
    program = program_with_sides(organization=org, status="closed")
    with pytest.raises(Conflict) as err:
        services.program_delete(program=program, actor=alice)
    assert (err.value.code, err.value.message) == (
        "invalid_transition", "Only a draft program can be deleted.")


# --- Languages: the program's texts, its sides' and its sessions' ---------------------------


def written_in_greek_and_turkish(org, alice, languages=("el", "tr")):
    return services.program_create(
        organization=org, actor=alice, languages=list(languages),
        translations={"title": {"tr": "Köprü"}},
        sides=[SideSpec(name="Vorreia", translations={"name": {"tr": "Kuzey"}}),
               SideSpec(name="Notia")],
        **program_fields(title="Gefyra"))


def texts(obj, languages):
    obj.refresh_from_db()
    return content.translations(obj, languages)


def test_a_new_program_keeps_the_texts_of_each_of_its_languages(org, alice):
    program = written_in_greek_and_turkish(org, alice)
    north, south = program.sides.order_by("position")
    assert texts(program, ["el", "tr"])["title"] == {"el": "Gefyra", "tr": "Köprü"}
    assert texts(north, ["el", "tr"]) == {"name": {"el": "Vorreia", "tr": "Kuzey"}}
    assert texts(south, ["el", "tr"]) == {"name": {"el": "Notia"}}


def test_a_new_program_gets_the_default_reminder_schedule(org, alice):
    program = create(org, alice)
    assert ReminderRule.objects.filter(program=program).exists()


def test_texts_in_a_language_the_program_lacks_are_refused_all_together(org, alice):
    with pytest.raises(ValidationError) as err:
        services.program_create(
            organization=org, actor=alice, languages=["el", "tr"],
            translations={"title": {"fr": "Pont"}},
            sides=[SideSpec(name="Vorreia", translations={"name": {"ru": "Sever"}}),
                   SideSpec(name="Notia")],
            **program_fields())
    assert err.value.message_dict == {"translations": [
        "fr is not one of this program's languages (el, tr).",
        "ru is not one of this program's languages (el, tr)."]}
    assert not Program.objects.exists()


def test_a_new_program_takes_its_creators_time_zone_unless_one_is_given(org, alice):
    alice.timezone = "Asia/Nicosia"
    assert create(org, alice).timezone == "Asia/Nicosia"
    assert create(org, alice, timezone=None).timezone == "Asia/Nicosia"
    assert create(org, alice, timezone="Europe/Athens").timezone == "Europe/Athens"
    alice.timezone = ""
    assert create(org, alice).timezone == "UTC"


def test_a_new_first_language_moves_every_text_and_a_dropped_one_loses_them(org, alice):
    program = written_in_greek_and_turkish(org, alice, languages=("el", "tr", "en"))
    services.program_update(program=program, actor=alice,
                            translations={"title": {"en": "Crossing"}})
    session = SessionFactory(program=program, title="Kyklos")
    content.write(session, {"title": {"tr": "Çember"}}, main="el")
    session.save()
    heard = []
    program_languages_changed.connect(
        lambda sender, program, old_languages, **kw: heard.append(old_languages),
        weak=False, dispatch_uid="test-languages")
    try:
        services.program_update(program=program, actor=alice, languages=["tr", "el"])
    finally:
        program_languages_changed.disconnect(dispatch_uid="test-languages")
    assert heard == [["el", "tr", "en"]]
    assert content.main_text(Program.objects.get(pk=program.pk), "title") == "Köprü"
    assert texts(program, ["tr", "el", "en"])["title"] == {"tr": "Köprü", "el": "Gefyra"}
    north = program.sides.order_by("position").first()
    assert texts(north, ["tr", "el"]) == {"name": {"tr": "Kuzey", "el": "Vorreia"}}
    assert content.main_text(Session.objects.get(pk=session.pk), "title") == "Çember"
    log = ActivityLog.objects.filter(verb="program.updated").order_by("pk").last()
    assert log.data == {"fields": ["languages"]}


def test_sides_written_with_new_languages_are_kept_as_written(org, alice):
    program = written_in_greek_and_turkish(org, alice)
    north, south = program.sides.order_by("position")
    services.program_update(program=program, actor=alice, languages=["tr", "el"], sides=[
        SideSpec(id=north.pk, name="Kuzey", translations={"name": {"el": "Vorreia"}}),
        SideSpec(id=south.pk, name="Güney")])
    assert texts(north, ["tr", "el"]) == {"name": {"tr": "Kuzey", "el": "Vorreia"}}
    assert texts(south, ["tr", "el"]) == {"name": {"tr": "Güney"}}


def test_translations_are_written_and_logged_by_field(org, alice):
    program = written_in_greek_and_turkish(org, alice)
    heard = []
    program_changed.connect(lambda sender, program, fields, **kw: heard.append(
        (program.pk, fields)), weak=False, dispatch_uid="test-changed")
    try:
        services.program_update(program=program, actor=alice,
                                translations={"title": {"tr": "Yeni köprü"}})
    finally:
        program_changed.disconnect(dispatch_uid="test-changed")
    assert texts(program, ["el", "tr"])["title"] == {"el": "Gefyra", "tr": "Yeni köprü"}
    assert heard == [(program.pk, ["translations"])]
    log = ActivityLog.objects.filter(verb="program.updated").get()
    assert log.data == {"fields": ["translations"]}


# --- Seats, sides and states: the edges --------------------------------------------------


def test_a_capacity_refused_by_its_field_gets_no_second_message(org, alice):
    with pytest.raises(ValidationError) as err:
        create(org, alice, capacity=0)
    assert len(err.value.message_dict["capacity"]) == 1
    assert "Under parity" not in err.value.message_dict["capacity"][0]


def test_parity_counts_the_sides_kept_when_an_edit_leaves_them(org, alice):
    program = program_with_sides("A", "B", "C", organization=org, capacity=3)
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice, capacity=2)
    assert err.value.message_dict == {"capacity": [
        "Under parity the capacity must be at least the number of sides (3)."]}


def test_an_edit_that_opens_no_seat_decides_no_application(org, alice):
    program = program_with_sides(organization=org, capacity=3, balance="none")
    north = program.sides.first()
    ApplicationFactory(program=program, side=north, status="accepted")
    waiting = ApplicationFactory(program=program, side=north, status="waitlisted")
    services.program_update(program=program, actor=alice, capacity=3, title="Same seats")
    assert Application.objects.get(pk=waiting.pk).status == "waitlisted"


def test_only_publishing_needs_two_sides(org, alice):
    program = program_with_sides("Only", organization=org, status="published")
    assert services.program_close(program=program, actor=alice).status == "closed"


@pytest.mark.parametrize("how", ["create", "update"])
def test_an_empty_language_list_is_refused_by_name(org, alice, how):
    with pytest.raises(ValidationError) as err:
        if how == "create":
            create(org, alice, languages=[])
        else:
            services.program_update(program=program_with_sides(organization=org),
                                    actor=alice, languages=[])
    assert err.value.message_dict == {"languages": ["Choose at least one language."]}


def dated_with_a_session(org):
    program = program_with_sides(organization=org, starts_on=date(2031, 3, 1),
                                 ends_on=date(2031, 3, 31))
    SessionFactory(program=program, starts_at=datetime(2031, 3, 10, 9, 0, tzinfo=UTC),
                   ends_at=datetime(2031, 3, 10, 11, 0, tzinfo=UTC))
    return program


@pytest.mark.parametrize(("dates", "field"), [
    ({"starts_on": date(2031, 3, 20), "ends_on": date(2031, 3, 15)}, "ends_on"),
    ({"starts_on": date(1899, 12, 31), "ends_on": date(2031, 3, 5)}, "starts_on"),
])
def test_dates_wrong_in_themselves_are_not_checked_against_the_sessions(org, alice, dates,
                                                                       field):
    with pytest.raises(ValidationError) as err:
        services.program_update(program=dated_with_a_session(org), actor=alice, **dates)
    assert list(err.value.message_dict) == [field]
    assert len(err.value.message_dict[field]) == 1
    assert "session" not in err.value.message_dict[field][0]


def test_a_seat_filled_by_an_edit_is_logged_in_the_editors_name(org, alice):
    program = program_with_sides(organization=org, capacity=2, balance="none")
    north = program.sides.first()
    ApplicationFactory(program=program, side=north, status="accepted")
    ApplicationFactory(program=program, side=north, status="accepted")
    waiting = ApplicationFactory(program=program, side=north, status="waitlisted")
    services.program_update(program=program, actor=alice, capacity=3)
    log = ActivityLog.objects.filter(target_id=str(waiting.pk)).exclude(
        verb="program.updated").get()
    assert log.actor == alice


def test_an_edit_validates_the_program_without_reading_its_organization(org, alice):
    program = program_with_sides(organization=org)
    services.program_update(program=program, actor=alice, title="Warm-up")
    with CaptureQueriesContext(connection) as queries:  # the content types are cached
        services.program_update(program=program, actor=alice, title="Renamed")
    assert len(queries) == UPDATE_QUERIES, "\n".join(q["sql"] for q in queries)


def test_an_edit_checks_the_sides_given(org, alice):
    program = program_with_sides("North", "South", organization=org)
    north = program.sides.first()
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice,
                                sides=[SideSpec(id=north.pk, name="North")])
    assert err.value.message_dict == {"sides": ["A program needs at least two sides."]}
    assert program.sides.count() == 2


def test_an_edit_refuses_side_texts_in_a_language_the_program_lacks(org, alice):
    program = written_in_greek_and_turkish(org, alice)
    north, south = program.sides.order_by("position")
    with pytest.raises(ValidationError) as err:
        services.program_update(program=program, actor=alice, sides=[
            SideSpec(id=north.pk, name="Vorreia", translations={"name": {"ru": "Sever"}}),
            SideSpec(id=south.pk, name="Notia")])
    assert err.value.message_dict == {"translations": [
        "ru is not one of this program's languages (el, tr)."]}


def test_a_text_given_in_the_main_language_is_the_main_text(org, alice):
    program = written_in_greek_and_turkish(org, alice)
    north, south = program.sides.order_by("position")
    services.program_update(program=program, actor=alice,
                            translations={"title": {"el": "Nea gefyra"}}, sides=[
                                SideSpec(id=north.pk, name="Vorreia",
                                         translations={"name": {"el": "Voras"}}),
                                SideSpec(id=south.pk, name="Notia")])
    assert content.main_text(Program.objects.get(pk=program.pk), "title") == "Nea gefyra"
    assert texts(north, ["el", "tr"]) == {"name": {"el": "Voras", "tr": "Kuzey"}}
