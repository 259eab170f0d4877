from datetime import date

import pytest

from tests.factories import MembershipFactory, UserFactory, accepted_participant, program_with_sides


@pytest.fixture
def program(org):
    return program_with_sides("Greek Cypriot", "Turkish Cypriot", organization=org)


@pytest.fixture
def program_2031(org):
    """A program through 2031, for tests that need particular days (DST changes)."""
    return program_with_sides("North", "South", organization=org, starts_on=date(2031, 1, 1),
                              ends_on=date(2031, 12, 31))


@pytest.fixture
def facilitator(org):
    user = UserFactory(display_name="Fatma")
    MembershipFactory(organization=org, user=user, role="facilitator")
    return user


@pytest.fixture
def participant(program):
    return accepted_participant(program, display_name="Petros")
