"""Every change to dialogue groups: make a round, move or lock a member, repair a round,
schedule one session per group.

Each function takes keyword arguments, locks the program row (rounds are numbered
and filled under it), runs in one transaction and writes the activity log. Who sits
where is decided by `dialogues.groups.solver`; this module loads and saves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict
from dialogues import services as session_services
from dialogues.groups import selectors, solver
from dialogues.models import DialogueGroup, GroupMember, GroupRound, Session
from dialogues.models.groups import MAX_GROUP_SIZE, MIN_GROUP_SIZE
from dialogues.reminders import services as reminders
from exchanges.activity import log_activity
from exchanges.models import Program, ProgramStatus
from exchanges.selectors import require_staff
from participants.models import User

MAX_INSTITUTION_LIMIT = MAX_GROUP_SIZE
# The search's share of a request; the rest is loading and saving.
MAKE_TIME_LIMIT = 0.8
REPAIR_TIME_LIMIT = 0.5


def _lock_program(program: Program, actor: User) -> Program:
    require_staff(actor, program.organization_id)
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status == ProgramStatus.ARCHIVED:
        raise Conflict("invalid_transition", _("An archived program is read-only."))
    return program


def _validate(size: Any, max_per_institution: Any) -> None:
    errors = {}
    if isinstance(size, bool) or not isinstance(size, int) or not (
            MIN_GROUP_SIZE <= size <= MAX_GROUP_SIZE):
        errors["size"] = [_("Give a group size from %(low)d to %(high)d.") % {
            "low": MIN_GROUP_SIZE, "high": MAX_GROUP_SIZE}]
    if max_per_institution is not None and (
            isinstance(max_per_institution, bool) or not isinstance(max_per_institution, int)
            or not 1 <= max_per_institution <= MAX_INSTITUTION_LIMIT):
        errors["max_per_institution"] = [
            _("Give a number from 1 to %(high)d, or nothing for no limit.")
            % {"high": MAX_INSTITUTION_LIMIT}]
    if errors:
        raise ValidationError(errors)


def _seed(program: Program, number: int) -> int:
    # Deterministic per round: making the same round again gives the same groups.
    return program.pk * 1000 + number


# --- Rounds -------------------------------------------------------------------------------


def round_create(*, program: Program, actor: User, size: int, languages: bool = True,
                 max_per_institution: int | None = 2, rotate: bool = False) -> GroupRound:
    """A new round of groups for the program's accepted participants (API.md "Groups")."""
    _validate(size, max_per_institution)
    preferences = solver.Preferences(languages=languages,
                                     max_per_institution=max_per_institution)
    with transaction.atomic():
        program = _lock_program(program, actor)
        people = selectors.program_people(program).accepted_persons()
        if len(people) < 2:
            raise Conflict("invalid_transition",
                           _("Groups need at least two accepted participants."))
        number = (selectors.rounds_of(program).aggregate(n=Max("number"))["n"] or 0) + 1
        met = selectors.met_before(program, number) if rotate else None
        groups = solver.make_round(people, size, preferences, met=met, rotate=rotate,
                                   seed=_seed(program, number), time_limit=MAKE_TIME_LIMIT)
        group_round = GroupRound.objects.create(
            program=program, number=number, size=size, languages=languages,
            max_per_institution=max_per_institution, rotate=rotate)
        saved = DialogueGroup.objects.bulk_create(
            DialogueGroup(round=group_round, number=k) for k in range(1, len(groups) + 1))
        GroupMember.objects.bulk_create(
            GroupMember(round=group_round, group=group, participant_id=user_id)
            for group, members in zip(saved, groups, strict=True) for user_id in members)
        log_activity(actor=actor, verb="groups.round_created", target=group_round,
                     organization_id=program.organization_id,
                     data={"round": number, "size": size, "groups": len(groups),
                           "participants": len(people), "languages": languages,
                           "max_per_institution": max_per_institution, "rotate": rotate})
    return group_round


def member_move(*, group: DialogueGroup, participant: User | int, actor: User,
                locked: bool = False) -> DialogueGroup:
    """Put an accepted participant in `group`, out of their group of the same round, and
    set their lock. A staff override: it may break the hard rule (then reported)."""
    user_id = participant.pk if isinstance(participant, User) else int(participant)
    with transaction.atomic():
        program = _lock_program(group.round.program, actor)
        if user_id not in selectors.program_people(program).accepted:
            raise ValidationError({"participant": [
                _("Only accepted participants of this program can be placed in a group.")]})
        member = GroupMember.objects.filter(round_id=group.round_id,
                                            participant_id=user_id).first()
        before = member.group_id if member else None
        if member is None:
            member = GroupMember(round_id=group.round_id, participant_id=user_id)
        member.group, member.locked = group, bool(locked)
        member.save()
        if before != group.pk:
            _audience_changed([gid for gid in (before, group.pk) if gid])
        log_activity(actor=actor, verb="groups.member_moved", target=group.round,
                     organization_id=program.organization_id,
                     data={"participant": user_id, "from": before, "to": group.pk,
                           "locked": member.locked})
    return group


def round_repair(*, group_round: GroupRound, actor: User) -> int:
    """Drop members no longer accepted, place the newly accepted, and restore the hard
    rule moving as few people as possible and no locked member. Returns how many moved
    from one group to another."""
    with transaction.atomic():
        program = _lock_program(group_round.program, actor)
        people = selectors.program_people(program).accepted_persons()
        groups = list(group_round.groups.order_by("number"))
        rows = list(GroupMember.objects.filter(round=group_round)
                    .values_list("group_id", "participant_id", "locked").order_by("id"))
        current = [[user for gid, user, _lock in rows if gid == g.pk] for g in groups]
        locked = [user for _gid, user, lock in rows if lock]
        with_sessions = set(Session.objects.filter(group__round=group_round)
                            .values_list("group_id", flat=True))
        keep = {k for k, g in enumerate(groups) if g.pk in with_sessions}
        met = (selectors.met_before(program, group_round.number)
               if group_round.rotate else None)
        repair = solver.repair_round(
            current, people, group_round.size, selectors.preferences_of(group_round),
            locked=locked, keep=keep, met=met, rotate=group_round.rotate,
            seed=_seed(program, group_round.number), time_limit=REPAIR_TIME_LIMIT)
        changed = _save_repair(group_round, groups, repair, rows)
        _audience_changed(changed)
        log_activity(actor=actor, verb="groups.round_repaired", target=group_round,
                     organization_id=program.organization_id,
                     data={"moved": repair.moved, "groups": len(groups)})
    return repair.moved


def _save_repair(group_round: GroupRound, groups: list[DialogueGroup], repair: solver.Repair,
                 rows) -> set[int]:
    """Write the repaired layout; returns the ids of groups whose members changed."""
    next_number = max((g.number for g in groups), default=0) + 1
    added = DialogueGroup.objects.bulk_create(
        DialogueGroup(round=group_round, number=next_number + k)
        for k in range(len(repair.added)))
    wanted: dict[int, int] = {}
    for group, members in [*zip(groups, repair.groups, strict=True),
                           *zip(added, repair.added, strict=True)]:
        for user_id in members or ():
            wanted[user_id] = group.pk
    had = {user: gid for gid, user, _lock in rows}
    changed = {gid for user, gid in had.items() if wanted.get(user) != gid}
    changed |= {gid for user, gid in wanted.items() if had.get(user) != gid}
    GroupMember.objects.filter(round=group_round).exclude(participant_id__in=wanted).delete()
    moving = GroupMember.objects.filter(round=group_round, participant_id__in=[
        user for user, gid in wanted.items() if user in had and had[user] != gid])
    for member in moving:
        member.group_id = wanted[member.participant_id]
    GroupMember.objects.bulk_update(moving, ["group"])
    GroupMember.objects.bulk_create(
        GroupMember(round=group_round, group_id=gid, participant_id=user)
        for user, gid in wanted.items() if user not in had)
    dissolved = [g.pk for g, members in zip(groups, repair.groups, strict=True)
                 if members is None]
    DialogueGroup.objects.filter(pk__in=dissolved).delete()
    return changed - set(dissolved)


def _audience_changed(group_ids: Iterable[int]) -> None:
    """Sessions of these groups now reach other people: re-plan their reminders."""
    sessions = Session.objects.filter(group_id__in=list(group_ids),
                                      status=Session.Status.SCHEDULED,
                                      ends_at__gt=timezone.now()).select_related("program")
    for session in sessions:
        reminders.session_audience_changed(session=session)


# --- Sessions -----------------------------------------------------------------------------


def sessions_create_per_group(*, group_round: GroupRound, actor: User,
                              facilitators: Iterable[int | User] = (), **fields: Any
                              ) -> list[Session]:
    """One session for each group of the round, all or none. The title gets the
    group's name unless it already says `{group}` where the name goes."""
    title = (fields.pop("title", "") or "").strip()
    facilitators = list(facilitators)
    with transaction.atomic():
        program = _lock_program(group_round.program, actor)
        sessions = []
        for group in group_round.groups.order_by("number"):
            group_title = (title.replace("{group}", group.name) if "{group}" in title
                           else f"{title} · {group.name}")
            sessions.append(session_services.session_create(
                program=program, actor=actor, facilitators=facilitators,
                title=group_title[:200], group=group, **fields))
    return sessions
