"""Property-based tests of the application state machine (API.md "Applications").

Hypothesis drives random sequences of apply / accept / waitlist / decline / withdraw /
capacity change / balance change through exchanges.services against the test database,
next to a reference model in plain Python that implements API.md's rules. After every
step: no side holds more than its seats, the total accepted stays within the capacity,
the waitlist keeps its order (by application time) except for removals, and every
application's status in the database equals the model's. Refused steps must be refused
by both, with the same error.
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from core.errors import Conflict
from exchanges import services
from exchanges.models import Application, Program
from exchanges.services import SideSpec
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

PENDING, ACCEPTED, WAITLISTED, DECLINED, WITHDRAWN = (
    "pending", "accepted", "waitlisted", "declined", "withdrawn")

# API.md: pending → accepted | waitlisted | declined; waitlisted → accepted | declined;
# accepted → declined; any → withdrawn (by the applicant); anything else is 409.
TRANSITIONS = {
    PENDING: {ACCEPTED, WAITLISTED, DECLINED},
    WAITLISTED: {ACCEPTED, DECLINED},
    ACCEPTED: {DECLINED},
    DECLINED: set(),
    WITHDRAWN: set(),
}

# Accepting is drawn most often, so that seats run out and the waitlist moves.
STEPS = ("apply", "apply", "accept", "accept", "accept", "waitlist", "waitlist", "decline",
         "withdraw", "apply again", "capacity", "balance")

DECISIONS = {
    "accept": (ACCEPTED, services.application_accept),
    "waitlist": (WAITLISTED, services.application_waitlist),
    "decline": (DECLINED, services.application_decline),
}

REFUSED = "refused"  # a ValidationError: the request is refused as a whole, nothing changes


# --- The reference model -----------------------------------------------------------------


@dataclass
class Model:
    """One program: its seats and its applications, in the order they were made."""

    sides: int
    capacity: int
    balance: str
    status: list[str] = field(default_factory=list)  # index = application order
    side: list[int] = field(default_factory=list)

    def seats(self) -> int:
        return self.capacity // self.sides if self.balance == "parity" else self.capacity

    def accepted(self, side: int | None = None) -> int:
        return sum(1 for i, s in enumerate(self.status)
                   if s == ACCEPTED and (side is None or self.side[i] == side))

    def waitlist(self) -> list[int]:
        return [i for i, s in enumerate(self.status) if s == WAITLISTED]

    def seat_problem(self, side: int) -> str | None:
        if self.accepted() >= self.capacity:
            return "capacity_full"
        if self.balance == "parity" and self.accepted(side) >= self.seats():
            return "side_full"
        return None

    def fill(self, freed_side: int | None = None) -> None:
        """A freed seat goes to the oldest waitlisted application that fits: of the freed
        seat's side under parity, of any side under none. After a capacity or balance
        change every free seat is filled that way."""
        for i in self.waitlist():
            if freed_side is not None and self.balance == "parity" and self.side[i] != freed_side:
                continue
            if self.seat_problem(self.side[i]) is None:
                self.status[i] = ACCEPTED
                if freed_side is not None:
                    return

    # Each step returns None when it succeeds, else the error it must be refused with
    # (a 409 code, or REFUSED for a ValidationError); a refused step changes nothing.

    def apply(self, side: int) -> None:
        self.status.append(PENDING)
        self.side.append(side)

    def decide(self, i: int, to: str) -> str | None:
        previous = self.status[i]
        if to not in TRANSITIONS[previous]:
            return "invalid_transition"
        if to == ACCEPTED and (problem := self.seat_problem(self.side[i])):
            return problem
        self.status[i] = to
        if previous == ACCEPTED:
            self.fill(freed_side=self.side[i])
        return None

    def withdraw(self, i: int) -> str | None:
        previous = self.status[i]
        if previous == WITHDRAWN:
            return "invalid_transition"
        self.status[i] = WITHDRAWN
        if previous == ACCEPTED:
            self.fill(freed_side=self.side[i])
        return None

    def fits(self, capacity: int, balance: str) -> bool:
        if capacity < 1:
            return False
        if balance == "parity":
            return capacity >= self.sides and all(
                self.accepted(side) <= capacity // self.sides for side in range(self.sides))
        return capacity >= self.accepted()

    def set_capacity(self, capacity: int) -> str | None:
        if not self.fits(capacity, self.balance):
            return REFUSED
        grew, self.capacity = capacity > self.capacity, capacity
        if grew:
            self.fill()
        return None

    def set_balance(self, balance: str) -> str | None:
        # Leaving parity can give a side more seats: they are filled like a capacity rise.
        if not self.fits(self.capacity, balance):
            return REFUSED
        self.balance = balance
        self.fill()
        return None


# --- The machine ---------------------------------------------------------------------------


def _run(expected: str | None, step) -> None:
    """Run a service call; it must succeed, or fail exactly as the model predicts."""
    if expected is None:
        step()
    elif expected == REFUSED:
        with pytest.raises(ValidationError):
            step()
    else:
        with pytest.raises(Conflict) as refused:
            step()
        assert refused.value.code == expected


class ApplicationMachine(RuleBasedStateMachine):
    applications = Bundle("applications")  # indexes into self.ids and the model

    def __init__(self):
        super().__init__()
        # Each example runs in its own transaction, rolled back in teardown().
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.ids: list[int] = []
        self.previous_waitlist: list[int] = []

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize(target=applications, sides=st.integers(2, 3), capacity=st.integers(3, 7),
                balance=st.sampled_from(["parity", "none"]),
                first_applicants=st.lists(st.integers(0, 2), min_size=2, max_size=8))
    def open_program(self, sides, capacity, balance, first_applicants):
        self.owner = UserFactory()
        organization = OrganizationFactory()
        MembershipFactory(organization=organization, user=self.owner, role="owner")
        program = services.program_create(
            organization=organization, actor=self.owner,
            sides=[SideSpec(name=f"Side {n}") for n in range(sides)],
            title="Exchange", kind="dialogue", starts_on=date(2031, 3, 1),
            ends_on=date(2031, 6, 1), capacity=capacity, balance=balance)
        self.program = services.program_publish(program=program, actor=self.owner)
        self.sides = list(self.program.sides.all())
        self.model = Model(sides=sides, capacity=capacity, balance=balance)
        return multiple(*(self.apply(side % sides) for side in first_applicants))

    # One rule draws the step, so the mix is ours: with a rule per step Hypothesis's
    # choice (and its swarm testing) left seats almost never running out.
    @rule(target=applications, step=st.sampled_from(STEPS), i=applications,
          side=st.integers(0, 2), capacity=st.integers(1, 9),
          balance=st.sampled_from(["parity", "none"]))
    def step(self, step, i, side, capacity, balance):
        if step == "apply":
            return multiple(self.apply(side % self.model.sides))
        if step == "capacity":
            _run(self.model.set_capacity(capacity), lambda: services.program_update(
                program=Program.objects.get(pk=self.program.pk), actor=self.owner,
                capacity=capacity))
        elif step == "balance":
            _run(self.model.set_balance(balance), lambda: services.program_update(
                program=Program.objects.get(pk=self.program.pk), actor=self.owner,
                balance=balance))
        else:
            self.act(i, step)
        return multiple()

    def apply(self, side: int) -> int:
        application = services.application_submit(
            program=self.program, side=self.sides[side], applicant=UserFactory())
        self.ids.append(application.pk)
        self.model.apply(side)
        return len(self.ids) - 1

    def act(self, i: int, step: str) -> None:
        application = Application.objects.select_related("program").get(pk=self.ids[i])
        if step == "apply again":
            _run("already_applied", lambda: services.application_submit(
                program=self.program, side=application.side, applicant=application.applicant))
        elif step == "withdraw":
            _run(self.model.withdraw(i), lambda: services.application_withdraw(
                application=application, actor=application.applicant))
        else:
            to, service = DECISIONS[step]
            _run(self.model.decide(i, to),
                 lambda: service(application=application, actor=self.owner))

    # --- Invariants ---

    def _stored(self) -> list[tuple[int, str, int]]:
        """(id, status, side id) of every application, oldest first."""
        return list(Application.objects.filter(program=self.program)
                    .order_by("created_at", "id").values_list("id", "status", "side_id"))

    @invariant()
    def database_matches_the_model(self):
        stored = self._stored()
        assert [row[0] for row in stored] == self.ids  # application time = order of making
        assert [row[1] for row in stored] == self.model.status
        program = Program.objects.get(pk=self.program.pk)
        assert (program.capacity, program.balance) == (self.model.capacity, self.model.balance)

    @invariant()
    def no_side_above_its_seats(self):
        program = Program.objects.get(pk=self.program.pk)
        counts = services.side_seats(program)
        assert all(count.accepted <= count.seats for count in counts)
        assert sum(count.accepted for count in counts) <= program.capacity
        assert [(c.seats, c.accepted, c.waitlisted, c.pending) for c in counts] == [
            (self.model.seats(), self.model.accepted(side),
             sum(1 for i in self.model.waitlist() if self.model.side[i] == side),
             sum(1 for i, s in enumerate(self.model.status)
                 if s == PENDING and self.model.side[i] == side))
            for side in range(self.model.sides)]

    @invariant()
    def waitlist_order_changes_only_by_removal(self):
        waitlist = [row[0] for row in self._stored() if row[1] == WAITLISTED]
        kept = [pk for pk in self.previous_waitlist if pk in waitlist]
        assert [pk for pk in waitlist if pk in self.previous_waitlist] == kept
        self.previous_waitlist = waitlist


@pytest.mark.django_db
def test_application_state_machine_matches_the_reference_model():
    run_state_machine_as_test(
        ApplicationMachine,
        settings=settings(max_examples=100, stateful_step_count=30, deadline=None,
                          derandomize=True, database=None),
    )


def test_model_promotes_the_oldest_waitlisted_of_the_freed_side_under_parity():
    model = Model(sides=2, capacity=2, balance="parity")
    for side in (0, 1, 0, 0):
        model.apply(side)
    assert model.decide(0, ACCEPTED) is None
    assert model.decide(1, WAITLISTED) is None
    assert model.decide(2, WAITLISTED) is None
    assert model.decide(3, ACCEPTED) == "side_full"

    assert model.withdraw(0) is None

    assert model.status == [WITHDRAWN, WAITLISTED, ACCEPTED, PENDING]
