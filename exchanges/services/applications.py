"""Applications and seats: apply, decide, withdraw, and the waitlist promotion.

Every seat decision is made under one lock on the program row.
"""

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from exchanges.activity import log_activity
from exchanges.models import (
    Application,
    ApplicationStatus,
    Balance,
    GuardianConsent,
    Program,
    ProgramStatus,
    Side,
)
from exchanges.selectors import require_staff
from exchanges.services import guardians
from exchanges.signals import application_status_changed
from participants.models import User
from participants.outbox.services import enqueue


def _lock_program(program: Program) -> Program:
    """The one lock a transaction takes: every seat decision counts under it."""
    return Program.objects.select_for_update().get(pk=program.pk)


TRANSITIONS = {
    ApplicationStatus.PENDING: {ApplicationStatus.ACCEPTED, ApplicationStatus.WAITLISTED,
                                ApplicationStatus.DECLINED},
    ApplicationStatus.WAITLISTED: {ApplicationStatus.ACCEPTED, ApplicationStatus.DECLINED},
    ApplicationStatus.ACCEPTED: {ApplicationStatus.DECLINED},
    ApplicationStatus.DECLINED: set(),
    ApplicationStatus.WITHDRAWN: set(),
}

NOTICE_KIND = {
    ApplicationStatus.PENDING: "application_received",
    ApplicationStatus.ACCEPTED: "application_accepted",
    ApplicationStatus.WAITLISTED: "application_waitlisted",
    ApplicationStatus.DECLINED: "application_declined",
    ApplicationStatus.WITHDRAWN: "application_withdrawn",
}


def application_submit(
    *, program: Program, side: Side, applicant: User, motivation: str = "",
    guardian_email: str = "",
) -> Application:
    """Apply; an applicant younger than the program's `guardian_consent_under` names a
    guardian, who is sent the consent link in the same transaction."""
    if side.program_id != program.pk:
        raise ValidationError({"side": _("Choose one of this program's sides.")})
    with transaction.atomic():
        program = _lock_program(program)
        if Application.objects.filter(program=program, applicant=applicant).exists():
            raise Conflict("already_applied", _("You have already applied to this program."))
        if not program.is_open_for_applications:
            raise Conflict("not_open", _("This program is not open for applications."))
        guardian_email = guardians.clean_guardian_email(
            program=program, applicant=applicant, guardian_email=guardian_email)
        application = Application(program=program, side=side, applicant=applicant,
                                  motivation=motivation.strip())
        application.full_clean(exclude=["program", "side", "applicant"],
                               validate_constraints=False)
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError as exc:
            raise Conflict("already_applied",
                           _("You have already applied to this program.")) from exc
        _notify(application, ApplicationStatus.PENDING)
        log_activity(actor=applicant, verb="application.submitted", target=application,
                     organization_id=program.organization_id, data={"side": side.pk})
        if guardian_email:
            guardians.request_consent(application, guardian_email)
    return application


def application_accept(*, application: Application, actor: User) -> Application:
    return _decide(application, actor, ApplicationStatus.ACCEPTED)


def application_waitlist(*, application: Application, actor: User) -> Application:
    return _decide(application, actor, ApplicationStatus.WAITLISTED)


def application_decline(*, application: Application, actor: User) -> Application:
    return _decide(application, actor, ApplicationStatus.DECLINED)


def application_withdraw(*, application: Application, actor: User) -> Application:
    if actor.pk != application.applicant_id:
        raise PermissionDenied(_("Only the applicant can withdraw an application."))
    with transaction.atomic():
        program = _lock_program(application.program)
        application = Application.objects.select_related("applicant").get(pk=application.pk)
        if application.status == ApplicationStatus.WITHDRAWN:
            raise Conflict("invalid_transition", _("This application is already withdrawn."))
        previous = _set_status(application, ApplicationStatus.WITHDRAWN, actor)
        if previous == ApplicationStatus.ACCEPTED:
            _fill_free_seats(program, actor, freed_side_id=application.side_id)
    return application


def _decide(application: Application, actor: User, to: str) -> Application:
    require_staff(actor, application.program.organization_id)
    with transaction.atomic():
        program = _lock_program(application.program)
        application = Application.objects.select_related("applicant", "side").get(
            pk=application.pk)
        if program.status == ProgramStatus.ARCHIVED or to not in TRANSITIONS[application.status]:
            raise Conflict("invalid_transition", _(
                "A %(status)s application cannot become %(to)s."
            ) % {"status": application.get_status_display(),
                 "to": ApplicationStatus(to).label})
        if to == ApplicationStatus.ACCEPTED:
            guardians.ensure_consent_allows_accepting(application)
            _ensure_seat(program, application.side_id)
        previous = _set_status(application, to, actor)
        if previous == ApplicationStatus.ACCEPTED:
            _fill_free_seats(program, actor, freed_side_id=application.side_id)
    return application


def _set_status(application: Application, to: str, actor: User, *, promoted=False) -> str:
    previous = application.status
    application.status = to
    application.decided_at = timezone.now()
    application.save(update_fields=["status", "decided_at"])
    _notify(application, to, promoted=promoted)
    log_activity(
        actor=actor, verb="application.promoted" if promoted else f"application.{to}",
        target=application, organization_id=application.program.organization_id,
        data={"from": previous, "side": application.side_id},
    )
    application_status_changed.send(sender=Application, application=application,
                                    previous_status=previous)
    return previous


def _notify(application: Application, status: str, *, promoted: bool = False) -> None:
    if status == ApplicationStatus.WITHDRAWN:
        return  # the applicant did it themselves
    kind = "application_promoted" if promoted else NOTICE_KIND[status]
    enqueue(
        recipient_id=application.applicant_id,
        kind=kind,
        dedupe_key=f"{kind}:{application.pk}",
        organization_id=application.program.organization_id,
        context={"application": application.pk, "program": application.program_id},
    )


# --- Seats ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SideSeats:
    side: Side
    seats: int
    accepted: int
    waitlisted: int
    pending: int

    @property
    def is_full(self) -> bool:
        return self.accepted >= self.seats


def seats_per_side(program: Program, side_count: int) -> int:
    if program.balance == Balance.PARITY:
        return program.capacity // side_count
    return program.capacity


def unfillable_seats(program: Program, side_count: int) -> int:
    """Seats that parity leaves empty for ever: capacity 7 with 2 sides fills only 6."""
    if program.balance != Balance.PARITY or side_count < 1:
        return 0
    return program.capacity % side_count


def side_seats(program: Program, sides: list[Side] | None = None) -> list[SideSeats]:
    """Seats and counts per side, for the balance meter and the API."""
    sides = list(program.sides.all()) if sides is None else sides
    counts = Counter(
        Application.objects.filter(program=program).values_list("side_id", "status")
    )
    seats = seats_per_side(program, len(sides) or 1)
    return [
        SideSeats(side=side, seats=seats,
                  accepted=counts[(side.pk, ApplicationStatus.ACCEPTED)],
                  waitlisted=counts[(side.pk, ApplicationStatus.WAITLISTED)],
                  pending=counts[(side.pk, ApplicationStatus.PENDING)])
        for side in sides
    ]


def _accepted_by_side(program: Program) -> Counter:
    return Counter(
        Application.objects.filter(program=program, status=ApplicationStatus.ACCEPTED)
        .values_list("side_id", flat=True)
    )


def _seat_problem(program: Program, side_id: int, accepted: Counter, side_count: int):
    if sum(accepted.values()) >= program.capacity:
        return Conflict("capacity_full", _("The program is full."))
    if program.balance == Balance.PARITY and accepted[side_id] >= seats_per_side(
        program, side_count
    ):
        return Conflict("side_full", _("This side is full. Waitlist the application instead."))
    return None


def _ensure_seat(program: Program, side_id: int) -> None:
    problem = _seat_problem(program, side_id, _accepted_by_side(program), program.sides.count())
    if problem is not None:
        raise problem


def _fill_free_seats(program: Program, actor: User, freed_side_id: int | None = None) -> None:
    """Give free seats to the oldest waitlisted applications that fit.

    One freed seat goes to one application: of its side under parity, of any side
    under none. After a capacity, balance or sides change every free seat is
    filled. The caller holds the program lock.
    """
    accepted = _accepted_by_side(program)
    side_count = program.sides.count()
    # A minor whose guardian has not consented is never promoted: that would accept them.
    waitlist = (
        Application.objects.filter(program=program, status=ApplicationStatus.WAITLISTED)
        .filter(Q(guardian_consent__isnull=True) | Q(guardian_consent=GuardianConsent.GIVEN))
        .select_related("applicant", "program")
        .order_by("created_at", "id")
    )
    if freed_side_id is not None and program.balance == Balance.PARITY:
        waitlist = waitlist.filter(side_id=freed_side_id)
    for application in waitlist:
        if sum(accepted.values()) >= program.capacity:
            return
        if _seat_problem(program, application.side_id, accepted, side_count) is None:
            _set_status(application, ApplicationStatus.ACCEPTED, actor, promoted=True)
            accepted[application.side_id] += 1
            if freed_side_id is not None:
                return
