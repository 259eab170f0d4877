"""A participant answering the same survey from several tabs at once: one answer is kept,
the others get 409 `already_answered` (the database's unique constraint decides)."""

import threading

import pytest
from django.db import connection

from dialogues.models import Respondent, SurveyResponse
from tests.api.conftest import client_for
from tests.factories import accepted_participant
from tests.surveys import evaluate, upcoming_program

THREADS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_answers_keep_exactly_one(alice, org):
    program = upcoming_program("North", "South", organization=org)
    person = accepted_participant(program)
    evaluate(program, alice)
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def answer(value):
        try:
            client = client_for(person)
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/programs/{program.pk}/evaluation/waves/pre/responses/",
                {"consent": True, "answers": {"thermometer.1": value}}, format="json")
            with lock:
                answers.append((response.status_code, response.json().get("code")))
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(50 + n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(answers, key=lambda a: a[0]) == [(201, None)] + [
        (409, "already_answered")] * (THREADS - 1)
    assert SurveyResponse.objects.count() == 1
    assert Respondent.objects.count() == 1
