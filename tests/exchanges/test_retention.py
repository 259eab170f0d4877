from datetime import date, timedelta

import pytest

from exchanges.models import Membership
from exchanges.retention import erase_expired_participants, erasure_date, people_due_for_erasure
from tests.factories import ApplicationFactory, UserFactory, program_with_sides

pytestmark = pytest.mark.django_db

ENDED = date(2027, 1, 31)


def ended_program(retention_days, ends_on=ENDED, **kwargs):
    return program_with_sides(starts_on=ends_on - timedelta(days=30), ends_on=ends_on,
                              retention_days=retention_days, **kwargs)


def test_erasure_date_is_end_plus_retention():
    assert erasure_date(ended_program(30)) == date(2027, 3, 2)
    assert erasure_date(ended_program(None)) is None


def test_people_are_erased_once_every_program_of_theirs_is_past_retention():
    program = ended_program(30)
    person = ApplicationFactory(program=program, side=program.sides.first()).applicant
    assert people_due_for_erasure(date(2027, 3, 1)) == []
    assert people_due_for_erasure(date(2027, 3, 2)) == [person]
    assert erase_expired_participants(today=date(2027, 3, 2)) == 1
    person.refresh_from_db()
    assert person.erased_at is not None
    assert erase_expired_participants(today=date(2027, 3, 3)) == 0


def test_another_active_program_keeps_the_person():
    expired, active = ended_program(30), ended_program(30, ends_on=date(2027, 12, 31))
    person = UserFactory()
    ApplicationFactory(program=expired, side=expired.sides.first(), applicant=person)
    ApplicationFactory(program=active, side=active.sides.first(), applicant=person)
    assert people_due_for_erasure(date(2027, 6, 1)) == []


def test_a_program_without_retention_keeps_its_people():
    expired, forever = ended_program(30), ended_program(None)
    person = UserFactory()
    ApplicationFactory(program=expired, side=expired.sides.first(), applicant=person)
    ApplicationFactory(program=forever, side=forever.sides.first(), applicant=person)
    assert people_due_for_erasure(date(2030, 1, 1)) == []


def test_staff_are_not_erased_by_retention():
    program = ended_program(1)
    person = ApplicationFactory(program=program, side=program.sides.first()).applicant
    Membership.objects.create(organization=program.organization, user=person, role="facilitator")
    assert people_due_for_erasure(date(2030, 1, 1)) == []
