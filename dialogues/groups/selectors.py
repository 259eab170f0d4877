"""Reads for dialogue groups, shared by pages, the API and the services.

A program's rounds are read in a fixed number of queries whatever their size: the
rounds, their groups, their members with each person's name and profile, and the
program's applications (for sides and who is still accepted).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dialogues.groups import solver
from dialogues.models import DialogueGroup, GroupMember, GroupRound
from exchanges.models import Application, ApplicationStatus, Program, Side


@dataclass(frozen=True)
class Issue:
    """A rule a group (or, with group None, the round) breaks, worded for people."""

    group: int | None  # group id
    group_name: str
    rule: str
    detail: str

    @property
    def rule_label(self) -> str:
        labels = {solver.SIZE: _("Size"), solver.SIDE: _("Balance of sides"),
                  solver.LANGUAGE: _("Language"), solver.INSTITUTION: _("Institution")}
        return labels[self.rule]


@dataclass
class Member:
    participant_id: int
    display_name: str
    side_id: int | None
    side_name: str
    locked: bool
    accepted: bool = True
    languages: str = ""
    institution: str = ""  # raw, for staff who may see it (see `people_shown`)


@dataclass
class Group:
    id: int
    number: int
    name: str
    members: list[Member]
    side_counts: list[tuple[str, int]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


@dataclass
class Stats:
    groups: int
    participants: int
    new_cross_side_pairs: int
    repeated_pairs: int
    violations: list[Issue]
    moved: int | None = None


@dataclass
class Round:
    id: int
    number: int
    created_at: datetime
    size: int
    preferences: solver.Preferences
    rotate: bool
    groups: list[Group]
    stats: Stats | None = None
    # For staff: members no longer accepted, and accepted people without a group.
    departed: list[Member] = field(default_factory=list)
    unplaced: int = 0

    @property
    def needs_repair(self) -> bool:
        return bool(self.departed or self.unplaced)


# --- People -------------------------------------------------------------------------------


@dataclass
class ProgramPeople:
    """Everyone who ever applied to the program: their side, status and profile."""

    sides: dict[int, str]
    side_of: dict[int, int]  # user id -> side id
    accepted: set[int]
    persons: dict[int, solver.Person]  # user id -> as the solver sees them
    institution_label: dict[str, str]  # normalized -> as someone wrote it

    def accepted_persons(self) -> list[solver.Person]:
        return [self.persons[i] for i in sorted(self.accepted)]


def program_people(program: Program) -> ProgramPeople:
    sides = dict(Side.objects.filter(program=program).values_list("id", "name"))
    rows = (Application.objects.filter(program=program)
            .values_list("applicant_id", "side_id", "status", "applicant__languages",
                         "applicant__institution"))
    side_of, accepted, persons, labels = {}, set(), {}, {}
    for user_id, side_id, status, languages, institution in rows:
        side_of[user_id] = side_id
        if status == ApplicationStatus.ACCEPTED:
            accepted.add(user_id)
        normalized = solver.normalize_institution(institution)
        if not program.organization.identity_protection:  # else not even in a warning
            labels.setdefault(normalized, " ".join(institution.split()))
        persons[user_id] = solver.Person(
            id=user_id, side=side_id, languages=solver.parse_languages(languages),
            institution=normalized)
    return ProgramPeople(sides=sides, side_of=side_of, accepted=accepted, persons=persons,
                         institution_label=labels)


def accepted_count(program: Program) -> int:
    return Application.objects.filter(program=program, status=ApplicationStatus.ACCEPTED).count()


# --- Rounds -------------------------------------------------------------------------------


def rounds_of(program: Program) -> QuerySet[GroupRound]:
    return GroupRound.objects.filter(program=program).order_by("number")


def round_of(program: Program, number: int) -> GroupRound | None:
    return rounds_of(program).filter(number=number).first()


def groups_of_program(program: Program) -> QuerySet[DialogueGroup]:
    """Every group of the program, for choosing a session's group."""
    return (DialogueGroup.objects.filter(round__program=program)
            .select_related("round").order_by("round__number", "number"))


def group_of_program(program_id: int, group_id: int) -> DialogueGroup | None:
    return DialogueGroup.objects.filter(pk=group_id, round__program_id=program_id).first()


def is_in_group(user, group_id: int) -> bool:
    return user.is_authenticated and GroupMember.objects.filter(
        group_id=group_id, participant=user).exists()


def member_ids(group_id: int) -> set[int]:
    return set(GroupMember.objects.filter(group_id=group_id)
               .values_list("participant_id", flat=True))


def assignments(program: Program, *, before: int | None = None
                ) -> dict[int, list[list[int]]]:
    """round number -> groups of user ids (by group number), for rounds before `before`."""
    members = GroupMember.objects.filter(round__program=program)
    if before is not None:
        members = members.filter(round__number__lt=before)
    grouped: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for number, group_number, user_id in members.order_by("id").values_list(
            "round__number", "group__number", "participant_id"):
        grouped[number][group_number].append(user_id)
    return {number: [groups[k] for k in sorted(groups)] for number, groups in grouped.items()}


def met_before(program: Program, number: int) -> dict[int, set[int]]:
    return solver.met_before(assignments(program, before=number).values())


def preferences_of(group_round: GroupRound) -> solver.Preferences:
    return solver.Preferences(languages=group_round.languages,
                              max_per_institution=group_round.max_per_institution)


def program_rounds(program: Program, *, viewer_id: int | None = None,
                   with_stats: bool = False, only: int | None = None) -> list[Round]:
    """The program's rounds, oldest first. With `viewer_id` (a participant), only the groups
    that person is in (and only rounds where they have one), without the members who hid
    from other participants (quick exit); `with_stats` for staff adds the
    rule check, encounters and what a repair would change. `only`: one round number."""
    rounds = list(rounds_of(program) if only is None else rounds_of(program).filter(number=only))
    if not rounds:
        return []
    people = program_people(program)
    groups = list(DialogueGroup.objects.filter(round__in=rounds).order_by("round_id", "number"))
    rows = (GroupMember.objects.filter(round__in=rounds).select_related("participant")
            .only("id", "round_id", "group_id", "participant_id", "locked",
                  "participant__display_name", "participant__languages",
                  "participant__institution", "participant__hidden_from_participants")
            .order_by("group_id", "participant__display_name", "id"))
    members_of: dict[int, list[Member]] = defaultdict(list)
    for row in rows:
        if (viewer_id is not None and row.participant_id != viewer_id
                and row.participant.hidden_from_participants):
            continue  # quick exit: a participant sees no one who hid from them
        side_id = people.side_of.get(row.participant_id)
        members_of[row.group_id].append(Member(
            participant_id=row.participant_id, display_name=row.participant.display_name,
            side_id=side_id, side_name=people.sides.get(side_id, ""), locked=row.locked,
            accepted=row.participant_id in people.accepted,
            languages=row.participant.languages, institution=row.participant.institution))
    history = assignments(program, before=rounds[-1].number + 1) if with_stats else {}
    result = []
    for group_round in rounds:
        mine = [g for g in groups if g.round_id == group_round.pk]
        if viewer_id is not None:
            mine = [g for g in mine
                    if any(m.participant_id == viewer_id for m in members_of[g.pk])]
            if not mine:
                continue
        view = Round(
            id=group_round.pk, number=group_round.number, created_at=group_round.created_at,
            size=group_round.size, preferences=preferences_of(group_round),
            rotate=group_round.rotate,
            groups=[Group(id=g.pk, number=g.number, name=g.name, members=members_of[g.pk])
                    for g in mine])
        if with_stats:
            _add_stats(view, people, history)
        result.append(view)
    return result


def _add_stats(view: Round, people: ProgramPeople, history: dict[int, list[list[int]]]
               ) -> None:
    persons = [[people.persons[m.participant_id] for m in g.members
                if m.participant_id in people.persons] for g in view.groups]
    issues = [issue(v, view, people) for v in solver.check(persons, view.size, view.preferences)]
    met = solver.met_before(groups for number, groups in history.items()
                            if number < view.number)
    new_cross, repeated = solver.pair_stats(persons, met)
    view.stats = Stats(groups=len(view.groups), participants=sum(len(p) for p in persons),
                       new_cross_side_pairs=new_cross, repeated_pairs=repeated,
                       violations=issues)
    for group in view.groups:
        group.issues = [i for i in issues if i.group == group.id]
        counts = Counter(m.side_id for m in group.members)
        group.side_counts = [(name, counts[side_id]) for side_id, name in people.sides.items()]
    placed = {m.participant_id for g in view.groups for m in g.members}
    view.departed = [m for g in view.groups for m in g.members if not m.accepted]
    view.unplaced = len(people.accepted - placed)


def issue(violation: solver.Violation, view: Round, people: ProgramPeople) -> Issue:
    group = view.groups[violation.group] if violation.group is not None else None
    return Issue(group=group.id if group else None, group_name=group.name if group else "",
                 rule=violation.rule, detail=_detail(violation, view, people))


def _range(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def _detail(v: solver.Violation, view: Round, people: ProgramPeople) -> str:
    if v.rule == solver.SIZE and v.group is None:
        return _("The round has %(groups)d groups; its participants make %(expected)d "
                 "groups of about %(size)d.") % {
            "groups": v.fact("groups"), "expected": v.fact("expected"), "size": view.size}
    if v.rule == solver.SIZE:
        return _("%(count)d members; every group of this round should have %(range)s.") % {
            "count": v.fact("count"), "range": _range(v.fact("low"), v.fact("high"))}
    if v.rule == solver.SIDE:
        return _("%(count)d from %(side)s; every group should have %(range)s.") % {
            "count": v.fact("count"), "side": people.sides.get(v.fact("side"), "?"),
            "range": _range(v.fact("low"), v.fact("high"))}
    if v.rule == solver.LANGUAGE:
        if not v.fact("speakers"):
            return _("No language that every member speaks: no member lists a language.")
        return _("No language that every member speaks; %(language)s is spoken by "
                 "%(speakers)d of %(members)d.") % {
            "language": v.fact("closest"), "speakers": v.fact("speakers"),
            "members": v.fact("members")}
    institution = v.fact("institution")
    return _("%(count)d members from %(institution)s; at most %(limit)d.") % {
        "count": v.fact("count"), "limit": v.fact("limit"),
        "institution": people.institution_label.get(institution, _("one institution"))}
