"""API fixtures: clients signed in as each role around the `org` fixture's organization.

alice owns `org`; carol coordinates it; fred facilitates; bob is a participant
with no relation to it; charlie owns `other_org`.
"""

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    ApplicationFactory,
    MembershipFactory,
    UserFactory,
    program_with_sides,
)


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def carol(org):
    user = UserFactory(display_name="Carol", email="carol@example.org")
    MembershipFactory(organization=org, user=user, role="coordinator")
    return user


@pytest.fixture
def fred(org):
    user = UserFactory(display_name="Fred", email="fred@example.org")
    MembershipFactory(organization=org, user=user, role="facilitator")
    return user


@pytest.fixture
def draft(org):
    return program_with_sides("North", "South", organization=org, status="draft",
                              title="Draft exchange")


@pytest.fixture
def published(org):
    return program_with_sides("North", "South", organization=org, title="Open exchange")


@pytest.fixture
def dora():
    """An applicant to `published`."""
    return UserFactory(display_name="Dora", email="dora@example.org", legal_name="Dora Legal")


@pytest.fixture
def application(published, dora):
    return ApplicationFactory(program=published, side=published.sides.first(), applicant=dora,
                              motivation="I want to listen.")
