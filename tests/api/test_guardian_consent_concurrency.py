"""A guardian's link works once, even when answered several times at once (PostgreSQL,
a connection per thread); and consent given at the same moment staff accept never
lets an application through without it."""

import datetime
import threading

import pytest
from django.db import connection

from exchanges import services
from exchanges.models import Application
from participants.models import Notification
from tests.api.conftest import client_for
from tests.factories import UserFactory, program_with_sides

THREADS = 10


def _all_at_once(requests) -> list:
    barrier = threading.Barrier(len(requests))
    answers, lock = [], threading.Lock()

    def run(request):
        try:
            barrier.wait(timeout=30)
            response = request()
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def _minor_application(org) -> Application:
    program = program_with_sides("North", "South", organization=org,
                                 starts_on=datetime.date(2031, 6, 1),
                                 ends_on=datetime.date(2031, 6, 9), guardian_consent_under=16)
    minor = UserFactory(birth_date=datetime.date(2017, 1, 1))
    return services.application_submit(program=program, side=program.sides.first(),
                                       applicant=minor, guardian_email="parent@example.net")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_use_the_link_once(org):
    application = _minor_application(org)
    url = f"/api/v1/guardian-consent/{application.guardian_token}/"

    def answer(decision, n):
        return lambda: client_for().post(url, {"decision": decision,
                                               "guardian_name": f"Guardian {n}"},
                                         format="json")

    answers = _all_at_once([answer("given" if n % 2 else "refused", n)
                            for n in range(THREADS)])

    statuses = sorted(status for status, _body in answers)
    assert statuses == [200] + [409] * (THREADS - 1)
    assert {body["code"] for status, body in answers if status == 409} == {"invalid_transition"}
    application.refresh_from_db()
    [(_status, winner)] = [(s, b) for s, b in answers if s == 200]
    assert (application.guardian_consent, application.guardian_name) == (
        winner["status"], winner["guardian_name"])
    refusals = Notification.objects.filter(kind="guardian_consent_refused").count()
    assert refusals == (1 if winner["status"] == "refused" else 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accepting_while_the_guardian_refuses_never_accepts_without_consent(alice, org):
    application = _minor_application(org)
    url = f"/api/v1/guardian-consent/{application.guardian_token}/"

    answers = _all_at_once([
        lambda: client_for().post(url, {"decision": "refused", "guardian_name": "G"},
                                  format="json"),
        lambda: client_for(alice).post(f"/api/v1/applications/{application.pk}/accept/"),
    ])

    application.refresh_from_db()
    assert application.status == "pending"
    assert application.guardian_consent == "refused"
    assert sorted(status for status, _body in answers) == [200, 409]
