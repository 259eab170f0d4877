"""Every state change of organizations, programs and applications.

Each function takes keyword arguments, runs in one transaction and writes the
activity log. Field errors raise Django's ValidationError (a dict naming the
field); state conflicts raise config.errors.Conflict with the API's code.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from config.errors import Conflict
from exchanges.activity import log_activity
from exchanges.models import (
    Application,
    ApplicationStatus,
    Balance,
    Membership,
    Organization,
    Program,
    ProgramStatus,
    Role,
    Side,
)
from exchanges.signals import application_status_changed, program_changed, program_created
from participants.models import User
from participants.outbox import enqueue

# --- Organizations and members ---------------------------------------------------------


def organization_create(
    *, actor: User, name: str, slug: str = "", description: str = "", website: str = ""
) -> Organization:
    slug = slug or _unique_slug(name)
    organization = Organization(name=name, slug=slug, description=description, website=website)
    organization.full_clean()
    with transaction.atomic():
        organization.save()
        Membership.objects.create(organization=organization, user=actor, role=Role.OWNER)
        log_activity(actor=actor, verb="organization.created", target=organization,
                     organization_id=organization.pk)
    return organization


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "organization"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def organization_update(*, organization: Organization, actor: User, **fields: Any) -> Organization:
    for name in ("name", "description", "website", "require_two_factor"):
        if name in fields:
            setattr(organization, name, fields[name])
    organization.full_clean()
    with transaction.atomic():
        organization.save()
        log_activity(actor=actor, verb="organization.updated", target=organization,
                     organization_id=organization.pk, data={"fields": sorted(fields)})
    return organization


def membership_add(
    *, organization: Organization, actor: User, email: str, role: str
) -> Membership:
    _check_role(role)
    user = User.objects.filter(email__iexact=email.strip(), erased_at__isnull=True).first()
    if user is None:
        raise ValidationError(
            {"email": _("No one has signed up with this email yet. Ask them to sign up first.")}
        )
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": role}
        )
        if not created:
            raise ValidationError({"email": _("This person is already a member.")})
        log_activity(actor=actor, verb="membership.added", target=membership,
                     organization_id=organization.pk, data={"role": role, "user": user.pk})
    return membership


def membership_change_role(*, membership: Membership, actor: User, role: str) -> Membership:
    _check_role(role)
    with transaction.atomic():
        membership = _lock_memberships(membership)
        if membership.role == Role.OWNER and role != Role.OWNER:
            _ensure_another_owner(membership)
        previous, membership.role = membership.role, role
        membership.save(update_fields=["role"])
        log_activity(actor=actor, verb="membership.role_changed", target=membership,
                     organization_id=membership.organization_id,
                     data={"from": previous, "to": role, "user": membership.user_id})
    return membership


def membership_remove(*, membership: Membership, actor: User) -> None:
    with transaction.atomic():
        membership = _lock_memberships(membership)
        if membership.role == Role.OWNER:
            _ensure_another_owner(membership)
        log_activity(actor=actor, verb="membership.removed", target=membership,
                     organization_id=membership.organization_id,
                     data={"user": membership.user_id, "role": membership.role})
        membership.delete()


def _lock_memberships(membership: Membership) -> Membership:
    # Lock the organization so two owners cannot demote each other at once.
    Organization.objects.select_for_update().get(pk=membership.organization_id)
    return Membership.objects.select_related("user", "organization").get(pk=membership.pk)


def _ensure_another_owner(membership: Membership) -> None:
    owners = Membership.objects.filter(organization_id=membership.organization_id,
                                       role=Role.OWNER).exclude(pk=membership.pk)
    if not owners.exists():
        raise Conflict("sole_owner", _("An organization needs at least one owner."))


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Choose owner, coordinator or facilitator.")})


# --- Programs ------------------------------------------------------------------------

PROGRAM_FIELDS = (
    "title", "kind", "summary", "description", "location", "is_online", "starts_on",
    "ends_on", "applications_close_at", "capacity", "balance", "retention_days",
)


@dataclass(frozen=True)
class SideSpec:
    """A side as written by staff: an id renames that side, no id adds one."""

    name: str
    id: int | None = None


def program_create(
    *, organization: Organization, actor: User, sides: list[SideSpec], **fields: Any
) -> Program:
    program = Program(organization=organization, status=ProgramStatus.DRAFT)
    _assign(program, fields)
    _validate_sides(sides)
    _validate_program(program, side_count=len(sides))
    with transaction.atomic():
        program.save()
        Side.objects.bulk_create(
            Side(program=program, name=spec.name.strip(), position=i)
            for i, spec in enumerate(sides)
        )
        program_created.send(sender=Program, program=program)
        log_activity(actor=actor, verb="program.created", target=program,
                     organization_id=organization.pk)
    return program


def program_update(
    *, program: Program, actor: User, sides: list[SideSpec] | None = None, **fields: Any
) -> Program:
    with transaction.atomic():
        program = _lock_program(program)
        if program.status == ProgramStatus.ARCHIVED:
            raise Conflict("invalid_transition", _("An archived program is read-only."))
        old_capacity = program.capacity
        _assign(program, fields)
        if sides is not None:
            _validate_sides(sides)
            _apply_sides(program, sides)
        _validate_program(program, side_count=program.sides.count())
        program.save()
        if program.capacity > old_capacity or sides is not None:
            _fill_free_seats(program, actor)
        program_changed.send(sender=Program, program=program, fields=sorted(fields))
        log_activity(actor=actor, verb="program.updated", target=program,
                     organization_id=program.organization_id,
                     data={"fields": sorted(fields) + (["sides"] if sides is not None else [])})
    return program


def _assign(program: Program, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(PROGRAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown program fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(program, name, value)


def _validate_sides(sides: list[SideSpec]) -> None:
    names = [spec.name.strip() for spec in sides]
    if len(names) < 2:
        raise ValidationError({"sides": _("A program needs at least two sides.")})
    if any(not name for name in names):
        raise ValidationError({"sides": _("Every side needs a name.")})
    if len({name.casefold() for name in names}) != len(names):
        raise ValidationError({"sides": _("Side names must be unique within a program.")})
    if any(len(name) > 80 for name in names):
        raise ValidationError({"sides": _("A side name has at most 80 characters.")})


def _apply_sides(program: Program, sides: list[SideSpec]) -> None:
    existing = {side.pk: side for side in program.sides.all()}
    kept = {spec.id for spec in sides if spec.id is not None}
    if kept - set(existing):
        raise ValidationError({"sides": _("A side belongs to another program.")})
    removed = set(existing) - kept
    if Application.objects.filter(side_id__in=removed).exists():
        raise Conflict("side_has_applications",
                       _("A side that has applications cannot be removed."))
    Side.objects.filter(pk__in=removed).delete()
    # Two passes so that swapping two names never trips the unique constraint.
    for side in existing.values():
        if side.pk in kept:
            side.name = f"\u2060renaming {side.pk}"  # PostgreSQL refuses NUL in text
            side.save(update_fields=["name"])
    for position, spec in enumerate(sides):
        if spec.id is None:
            Side.objects.create(program=program, name=spec.name.strip(), position=position)
        else:
            Side.objects.filter(pk=spec.id).update(name=spec.name.strip(), position=position)


def _validate_program(program: Program, *, side_count: int) -> None:
    """Rules across fields and rows; the caller holds the program lock on updates."""
    program.full_clean(exclude=["organization"], validate_unique=False,
                       validate_constraints=False)
    if program.ends_on < program.starts_on:
        raise ValidationError({"ends_on": _("The end date cannot be before the start date.")})
    if program.capacity < 1:
        raise ValidationError({"capacity": _("The capacity must be at least 1.")})
    if program.balance == Balance.PARITY and program.capacity < side_count:
        raise ValidationError({"capacity": _(
            "Under parity the capacity must be at least the number of sides (%(n)d)."
        ) % {"n": side_count}})
    if program.pk:
        _validate_capacity_against_accepted(program, side_count)


def _validate_capacity_against_accepted(program: Program, side_count: int) -> None:
    accepted = _accepted_by_side(program)
    if not accepted:
        return
    if program.balance == Balance.PARITY:
        seats = program.capacity // side_count
        if any(count > seats for count in accepted.values()):
            raise ValidationError({"capacity": _(
                "This would leave a side with fewer seats (%(seats)d) than it has "
                "accepted participants (%(accepted)d)."
            ) % {"seats": seats, "accepted": max(accepted.values())}})
    elif program.capacity < sum(accepted.values()):
        raise ValidationError({"capacity": _(
            "The capacity cannot be below the number already accepted (%(n)d)."
        ) % {"n": sum(accepted.values())}})


def program_publish(*, program: Program, actor: User) -> Program:
    return _program_transition(program, actor, "published",
                               allowed_from=(ProgramStatus.DRAFT, ProgramStatus.CLOSED))


def program_close(*, program: Program, actor: User) -> Program:
    return _program_transition(program, actor, "closed", allowed_from=(ProgramStatus.PUBLISHED,))


def program_archive(*, program: Program, actor: User) -> Program:
    return _program_transition(program, actor, "archived", allowed_from=(ProgramStatus.CLOSED,))


def _program_transition(program, actor, to, *, allowed_from) -> Program:
    with transaction.atomic():
        program = _lock_program(program)
        if program.status not in allowed_from:
            raise Conflict("invalid_transition", _(
                "A %(status)s program cannot become %(to)s."
            ) % {"status": program.get_status_display(), "to": ProgramStatus(to).label})
        if to == ProgramStatus.PUBLISHED and program.sides.count() < 2:
            raise ValidationError({"sides": _("A program needs at least two sides.")})
        previous, program.status = program.status, to
        program.save(update_fields=["status", "updated_at"])
        log_activity(actor=actor, verb=f"program.{to}", target=program,
                     organization_id=program.organization_id, data={"from": previous})
    return program


def program_delete(*, program: Program, actor: User) -> None:
    with transaction.atomic():
        program = _lock_program(program)
        if program.status != ProgramStatus.DRAFT:
            raise Conflict("invalid_transition", _("Only a draft program can be deleted."))
        log_activity(actor=actor, verb="program.deleted", target=program,
                     organization_id=program.organization_id)
        Application.objects.filter(program=program).delete()
        program.delete()


def _lock_program(program: Program) -> Program:
    """The one lock a transaction takes: every seat decision counts under it."""
    return Program.objects.select_for_update().get(pk=program.pk)


# --- Applications ----------------------------------------------------------------------

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
    *, program: Program, side: Side, applicant: User, motivation: str = ""
) -> Application:
    if side.program_id != program.pk:
        raise ValidationError({"side": _("Choose one of this program's sides.")})
    with transaction.atomic():
        program = _lock_program(program)
        if Application.objects.filter(program=program, applicant=applicant).exists():
            raise Conflict("already_applied", _("You have already applied to this program."))
        if not program.is_open_for_applications:
            raise Conflict("not_open", _("This program is not open for applications."))
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
    return application


def application_accept(*, application: Application, actor: User) -> Application:
    return _decide(application, actor, ApplicationStatus.ACCEPTED)


def application_waitlist(*, application: Application, actor: User) -> Application:
    return _decide(application, actor, ApplicationStatus.WAITLISTED)


def application_decline(*, application: Application, actor: User) -> Application:
    return _decide(application, actor, ApplicationStatus.DECLINED)


def application_withdraw(*, application: Application, actor: User) -> Application:
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

    A seat freed on one side goes to that side under parity, to any side under
    none; after a capacity or sides change every side is considered. The caller
    holds the program lock.
    """
    accepted = _accepted_by_side(program)
    side_count = program.sides.count()
    waitlist = (
        Application.objects.filter(program=program, status=ApplicationStatus.WAITLISTED)
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
