"""Rules that hold under concurrent requests: PostgreSQL, a connection per thread.

Capacity under concurrent accepts (row locks); one slug per organization under
concurrent creation (a unique constraint, retried in a savepoint).
"""

import threading

import pytest
from django.db import connection

from exchanges.models import Application, Membership, Organization
from participants.models import Notification
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, UserFactory, program_with_sides

THREADS = 20


def _accept_all_at_once(actor, applications) -> list[tuple[int, str | None]]:
    barrier = threading.Barrier(len(applications))
    answers: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def accept(application):
        try:
            client = client_for(actor)
            barrier.wait(timeout=30)
            response = client.post(f"/api/v1/applications/{application.pk}/accept/")
            with lock:
                answers.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_accepts_fill_exactly_the_free_seats(alice, org):
    program = program_with_sides("North", "South", organization=org, capacity=10)
    north, south = program.sides.all()
    for _ in range(2):
        ApplicationFactory(program=program, side=north, status="accepted")
    for _ in range(5):
        ApplicationFactory(program=program, side=south, status="accepted")
    pending = [ApplicationFactory(program=program, side=north) for _ in range(THREADS)]

    answers = _accept_all_at_once(alice, pending)

    statuses = sorted(status for status, _code in answers)
    assert statuses == [200] * 3 + [409] * 17
    assert {code for status, code in answers if status == 409} <= {"side_full", "capacity_full"}
    assert Application.objects.filter(program=program, status="accepted").count() == 10
    assert Application.objects.filter(program=program, side=north,
                                       status="accepted").count() == 5
    assert Application.objects.filter(pk__in=[a.pk for a in pending],
                                       status="pending").count() == 17
    assert Application.objects.filter(pk__in=[a.pk for a in pending],
                                      decided_at__isnull=False).count() == 3
    assert Notification.objects.filter(kind="application_accepted").count() == 3


def _all_at_once(requests) -> list:
    """Run each `request()` in its own thread (its own connection), released together."""
    barrier = threading.Barrier(len(requests))
    answers = []
    lock = threading.Lock()

    def run(request):
        try:
            barrier.wait(timeout=30)
            response = request()
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


CREATORS = 10


def _create_organizations(body) -> list:
    creators = [UserFactory() for _ in range(CREATORS)]
    clients = [client_for(user) for user in creators]
    return _all_at_once([lambda c=c: c.post("/api/v1/organizations/", body) for c in clients])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_organizations_with_one_name_each_get_a_free_slug():
    answers = _create_organizations({"name": "Peace Camp"})

    assert sorted(status for status, _body in answers) == [201] * CREATORS
    slugs = sorted(body["slug"] for _status, body in answers)
    assert slugs == sorted(["peace-camp", *(f"peace-camp-{n}" for n in range(2, CREATORS + 1))])
    assert Organization.objects.count() == CREATORS
    assert Membership.objects.filter(role="owner").count() == CREATORS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_organizations_with_one_chosen_slug_one_wins_the_rest_400():
    answers = _create_organizations({"name": "Peace Camp", "slug": "camp"})

    statuses = sorted(status for status, _body in answers)
    assert statuses == [201] + [400] * (CREATORS - 1)
    assert all(list(body) == ["slug"] for status, body in answers if status == 400)
    assert Organization.objects.get().slug == "camp"
    assert Membership.objects.count() == 1
