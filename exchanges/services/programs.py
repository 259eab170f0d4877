"""Programs: create and edit (sides inline), status transitions, delete drafts."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import content
from core.errors import Conflict
from core.validity import canonical_timezone
from exchanges.activity import log_activity
from exchanges.models import (
    Application,
    Balance,
    Organization,
    Program,
    ProgramStatus,
    Side,
)
from exchanges.selectors import require_staff
from exchanges.services.applications import (
    _accepted_by_side,
    _fill_free_seats,
    _lock_program,
)
from exchanges.signals import (
    program_changed,
    program_created,
    program_dates_changing,
    program_languages_changed,
)
from participants.models import User

PROGRAM_FIELDS = (
    "title", "kind", "summary", "description", "location", "is_online", "starts_on",
    "ends_on", "applications_close_at", "capacity", "balance", "retention_days", "timezone",
    "venue_disclosure_hours", "guardian_consent_under", "languages",
)


@dataclass(frozen=True)
class SideSpec:
    """A side as written by staff: an id renames that side, no id adds one."""

    name: str
    id: int | None = None
    # {"name": {language: text}}: the name in the program's other languages
    translations: dict = field(default_factory=dict)


def program_create(
    *, organization: Organization, actor: User, sides: list[SideSpec],
    translations: dict | None = None, **fields: Any
) -> Program:
    """`title`, `summary`, `description` and each side's `name` are the texts in the main
    language (the first of `languages`); `translations` adds the others."""
    require_staff(actor, organization.pk)
    program = Program(organization=organization, status=ProgramStatus.DRAFT,
                      timezone=canonical_timezone(actor.timezone or "UTC"))
    if fields.get("timezone") is None:
        fields.pop("timezone", None)  # not given: the creator's own zone
    _assign(program, fields)
    _write_texts(program, translations, sides)
    _validate_program(program, sides=sides)
    with transaction.atomic():
        program.save()
        Side.objects.bulk_create(
            _side_with_texts(Side(program=program, name=spec.name.strip(), position=i),
                             spec, program.languages)
            for i, spec in enumerate(sides)
        )
        program_created.send(sender=Program, program=program)
        log_activity(actor=actor, verb="program.created", target=program,
                     organization_id=organization.pk)
    return program


def program_update(
    *, program: Program, actor: User, sides: list[SideSpec] | None = None,
    translations: dict | None = None, **fields: Any
) -> Program:
    """`title` and the others write the main language (after a change of `languages`,
    the new first one); `translations` writes any of the program's languages."""
    require_staff(actor, program.organization_id)
    with transaction.atomic():
        program = _lock_program(program)
        if program.status == ProgramStatus.ARCHIVED:
            raise Conflict("invalid_transition", _("An archived program is read-only."))
        old_capacity, old_dates = program.capacity, (program.starts_on, program.ends_on)
        old_languages = list(program.languages)
        if "languages" in fields:
            _change_languages(program, fields.pop("languages"))
        _assign(program, fields)
        _write_texts(program, translations, sides)
        _validate_program(program, sides=sides,
                          dates_changed=(program.starts_on, program.ends_on) != old_dates)
        if sides is not None:
            _apply_sides(program, sides)
        program.save()
        if program.languages != old_languages:
            if sides is None:  # sides written now are already in the new languages
                _realign_sides(program, old_languages)
            program_languages_changed.send(sender=Program, program=program,
                                           old_languages=old_languages)
            fields["languages"] = program.languages
        if translations:
            fields["translations"] = sorted(translations)
        if program.capacity > old_capacity or sides is not None or "balance" in fields:
            _fill_free_seats(program, actor)
        program_changed.send(sender=Program, program=program, fields=sorted(fields))
        log_activity(actor=actor, verb="program.updated", target=program,
                     organization_id=program.organization_id,
                     data={"fields": sorted(fields) + (["sides"] if sides is not None else [])})
    return program


def _change_languages(program: Program, languages: Any) -> None:
    """A new first language takes the base columns where it has texts (core.content)."""
    old_main = program.main_language
    program.languages = languages
    content.validate_language_list(languages)
    if languages[0] != old_main:
        content.change_main_language(program, old_main, languages[0])


def _write_texts(program: Program, translations: dict | None,
                 sides: list[SideSpec] | None) -> None:
    """Check that every text is in one of the program's languages, then write them."""
    languages = program.languages
    content.validate_language_list(languages)
    problems = content.foreign_languages(translations, languages)
    for spec in sides or ():
        problems.extend(content.foreign_languages(spec.translations, languages))
    if problems:
        raise ValidationError({"translations": problems})
    content.write(program, translations, main=program.main_language)
    content.align_columns(program, languages)


def _side_with_texts(side: Side, spec: SideSpec, languages: list[str]) -> Side:
    content.write(side, spec.translations, main=languages[0])
    content.align_columns(side, languages)
    return side


def _realign_sides(program: Program, old_languages: list[str]) -> None:
    """Sides follow the program's languages: a new first language, dropped languages."""
    for side in program.sides.all():
        content.realign(side, old_languages, program.languages)
        side.save(update_fields=content.columns_of(side))


def _assign(program: Program, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(PROGRAM_FIELDS)
    if unknown:
        raise TypeError(f"unknown program fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(program, name, value)


def _sides_problem(sides: list[SideSpec]) -> str | None:
    names = [spec.name.strip() for spec in sides]
    if len(names) < 2:
        return _("A program needs at least two sides.")
    if any(not name for name in names):
        return _("Every side needs a name.")
    if len({name.casefold() for name in names}) != len(names):
        return _("Side names must be unique within a program.")
    if any(len(name) > 80 for name in names):
        return _("A side name has at most 80 characters.")
    return None


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
        side = existing.get(spec.id) or Side(program=program)
        side.name, side.position = spec.name.strip(), position
        _side_with_texts(side, spec, program.languages).save()


def _validate_program(
    program: Program, *, sides: list[SideSpec] | None, dates_changed: bool = False
) -> None:
    """Every rule across fields and rows, reported together; the caller holds the lock
    on updates. `sides` is None when an update leaves the sides as they are."""
    errors: dict[str, list[str]] = {}
    if sides is not None and (problem := _sides_problem(sides)):
        errors["sides"] = [problem]
    try:
        program.full_clean(exclude=["organization"], validate_unique=False,
                           validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    side_count = len(sides) if sides is not None else program.sides.count()
    if "capacity" not in errors and (problem := _capacity_problem(program, side_count)):
        errors["capacity"] = [problem]
    if dates_changed and not {"starts_on", "ends_on"} & set(errors):
        for _receiver, problems in program_dates_changing.send(sender=Program, program=program):
            for field, message in (problems or {}).items():
                errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)


def _capacity_problem(program: Program, side_count: int) -> str | None:
    if program.balance == Balance.PARITY and program.capacity < side_count:
        return _(
            "Under parity the capacity must be at least the number of sides (%(n)d)."
        ) % {"n": side_count}
    if program.pk:
        return _capacity_against_accepted(program, side_count)
    return None


def _capacity_against_accepted(program: Program, side_count: int) -> str | None:
    accepted = _accepted_by_side(program)
    if not accepted:
        return None
    if program.balance == Balance.PARITY:
        seats = program.capacity // side_count
        if any(count > seats for count in accepted.values()):
            return _(
                "This would leave a side with fewer seats (%(seats)d) than it has "
                "accepted participants (%(accepted)d)."
            ) % {"seats": seats, "accepted": max(accepted.values())}
    elif program.capacity < sum(accepted.values()):
        return _(
            "The capacity cannot be below the number already accepted (%(n)d)."
        ) % {"n": sum(accepted.values())}
    return None


def program_publish(*, program: Program, actor: User) -> Program:
    return _program_transition(program, actor, "published",
                               allowed_from=(ProgramStatus.DRAFT, ProgramStatus.CLOSED))


def program_close(*, program: Program, actor: User) -> Program:
    return _program_transition(program, actor, "closed", allowed_from=(ProgramStatus.PUBLISHED,))


def program_archive(*, program: Program, actor: User) -> Program:
    return _program_transition(program, actor, "archived", allowed_from=(ProgramStatus.CLOSED,))


def _program_transition(program, actor, to, *, allowed_from) -> Program:
    require_staff(actor, program.organization_id)
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
    require_staff(actor, program.organization_id)
    with transaction.atomic():
        program = _lock_program(program)
        if program.status != ProgramStatus.DRAFT:
            raise Conflict("invalid_transition", _("Only a draft program can be deleted."))
        log_activity(actor=actor, verb="program.deleted", target=program,
                     organization_id=program.organization_id)
        Application.objects.filter(program=program).delete()
        program.delete()
