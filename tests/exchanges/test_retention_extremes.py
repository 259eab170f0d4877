"""Finding 7: one program with extreme dates stopped the daily retention job for all.

The input is now refused (tests/test_validity.py); rows stored before that, or any
other bad row, must still never stop the job nor overflow its date arithmetic.
"""

import logging
from datetime import date, timedelta

import pytest

from exchanges.retention import erase_expired_participants, erasure_date, people_due_for_erasure
from participants import privacy
from tests.factories import ApplicationFactory, program_with_sides

pytestmark = pytest.mark.django_db

TODAY = date(2027, 6, 1)


def person_in(program):
    return ApplicationFactory(program=program, side=program.sides.first()).applicant


@pytest.fixture
def expired_person():
    program = program_with_sides(starts_on=date(2027, 1, 1), ends_on=date(2027, 1, 31),
                                 retention_days=30)
    return person_in(program)


@pytest.mark.parametrize("ends_on, retention_days", [
    (date(9999, 12, 31), 36500),  # stored before the 1900–2200 rule existed
    (date(9999, 12, 31), 1),
    (date(2027, 1, 31), 2**31 - 1),  # a retention longer than the calendar
])
def test_a_program_past_the_calendar_never_stops_the_job(expired_person, ends_on,
                                                          retention_days):
    far = program_with_sides(starts_on=date(2027, 1, 1), ends_on=ends_on,
                             retention_days=retention_days)
    kept = person_in(far)
    assert erasure_date(far) == date.max  # never, rather than an overflow
    assert people_due_for_erasure(TODAY) == [expired_person]
    assert erase_expired_participants(today=TODAY) == 1
    expired_person.refresh_from_db()
    kept.refresh_from_db()
    assert expired_person.erased_at is not None
    assert kept.erased_at is None


def test_the_job_runs_on_the_last_representable_day(expired_person):
    assert erase_expired_participants(today=date.max) == 1


def test_one_person_whose_erasure_fails_does_not_stop_the_others(monkeypatch, caplog):
    program = program_with_sides(starts_on=date(2027, 1, 1), ends_on=date(2027, 1, 31),
                                 retention_days=30)
    first, second = person_in(program), person_in(program)

    def broken_for_first(user):
        if user.pk == first.pk:
            raise RuntimeError("a row the eraser cannot handle")

    monkeypatch.setattr(privacy, "ERASERS", [broken_for_first, *privacy.ERASERS])
    with caplog.at_level(logging.ERROR, logger="exchanges.retention"):
        assert erase_expired_participants(today=TODAY) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.erased_at is None and second.erased_at is not None
    assert f"user {first.pk}" in caplog.text


def test_the_erasure_day_still_counts_from_the_end(expired_person):
    program = expired_person.applications.get().program
    assert erasure_date(program) == program.ends_on + timedelta(days=30)
    assert people_due_for_erasure(erasure_date(program) - timedelta(days=1)) == []
