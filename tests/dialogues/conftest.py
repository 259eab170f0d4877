import pytest

from tests.factories import MembershipFactory, UserFactory, accepted_participant, program_with_sides


@pytest.fixture
def program(org):
    return program_with_sides("Greek Cypriot", "Turkish Cypriot", organization=org)


@pytest.fixture
def facilitator(org):
    user = UserFactory(display_name="Fatma")
    MembershipFactory(organization=org, user=user, role="facilitator")
    return user


@pytest.fixture
def participant(program):
    return accepted_participant(program, display_name="Petros")
