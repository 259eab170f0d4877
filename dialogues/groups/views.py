"""Group pages: staff make, adjust, repair and export rounds; participants see their group."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.csv_export import csv_response
from core.errors import Conflict
from dialogues.forms import GroupSessionsForm
from dialogues.groups import selectors, services
from dialogues.groups.forms import MoveForm, RoundForm
from dialogues.models import Confidentiality
from dialogues.selectors import program_access
from exchanges.activity import log_activity
from exchanges.exports import personal_data_viewed
from exchanges.models import Program
from exchanges.selectors import (
    personal_data_organizations,
    programs_visible_to,
    sees_applicant_personal_data,
)
from participants.forms import add_service_errors
from participants.models import User


def _program(request, program_id) -> Program:
    return get_object_or_404(programs_visible_to(request.user), pk=program_id)


def _staff_program(request, program_id) -> Program:
    program = _program(request, program_id)
    if not program_access(request.user, program).is_staff:
        raise PermissionDenied
    return program


def _page_url(program: Program, number: int | None = None, group: int | None = None) -> str:
    url = reverse("program-groups", args=[program.pk])
    if group:
        return f"{url}#group-{group}"
    return f"{url}#round-{number}" if number else url


def _shows_institutions(request, program: Program) -> bool:
    """Institutions are personal data: the one rule for email and legal name decides."""
    return sees_applicant_personal_data(personal_data_organizations(request.user), program)


@login_required
def program_groups(request, program_id):
    program = _program(request, program_id)
    access = program_access(request.user, program)
    if access.is_staff:
        return _staff_page(request, program, RoundForm())
    if not access.is_accepted:
        raise PermissionDenied
    rounds = selectors.program_rounds(program, viewer_id=request.user.pk)
    return render(request, "dialogues/groups/my_groups.html", {
        "program": program, "rounds": list(reversed(rounds))})


def _staff_page(request, program: Program, form: RoundForm, status: int = 200):
    rounds = list(reversed(selectors.program_rounds(program, with_stats=True)))
    show_institutions = _shows_institutions(request, program)
    if show_institutions:
        personal_data_viewed(actor=request.user, program=program, via="groups_page",
                             applicant_ids=sorted({m.participant_id for r in rounds
                                                   for g in r.groups for m in g.members
                                                   if m.institution}))
    accepted = _accepted_choices(program)
    for view in rounds:
        placed = {m.participant_id for g in view.groups for m in g.members}
        view.unplaced_people = [(pk, name) for pk, name in accepted if pk not in placed]
    return render(request, "dialogues/groups/program_groups.html", {
        "program": program, "rounds": rounds, "form": form, "accepted": accepted,
        "show_institutions": show_institutions,
    }, status=status)


def _accepted_choices(program: Program) -> list[tuple[int, str]]:
    people = selectors.program_people(program)
    names = dict(User.objects.filter(pk__in=people.accepted).values_list("id", "display_name"))
    return sorted(((pk, names[pk]) for pk in people.accepted), key=lambda c: (c[1], c[0]))


@require_POST
@login_required
def group_round_create(request, program_id):
    program = _staff_program(request, program_id)
    form = RoundForm(request.POST)
    if form.is_valid():
        try:
            group_round = services.round_create(program=program, actor=request.user,
                                                **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Round %(n)d is made.") % {"n": group_round.number})
            return redirect(_page_url(program, group_round.number))
    return _staff_page(request, program, form, status=400)


@require_POST
@login_required
def group_member_move(request, program_id, number):
    """Move a person into a group of the round, or lock or unlock them where they are."""
    program = _staff_program(request, program_id)
    group_round = get_object_or_404(selectors.rounds_of(program), number=number)
    groups = {g.pk: g for g in group_round.groups.all()}
    form = MoveForm(request.POST, people=_accepted_choices(program),
                    groups=[(pk, g.name) for pk, g in groups.items()])
    if not form.is_valid():
        messages.error(request, _("Choose an accepted participant and a group."))
        return redirect(_page_url(program, number))
    group = groups[form.cleaned_data["group"]]
    group.round = group_round
    try:
        services.member_move(group=group, actor=request.user,
                             participant=form.cleaned_data["participant"],
                             locked=form.cleaned_data["locked"])
    except (ValidationError, Conflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        name = dict(form.fields["participant"].choices)[form.cleaned_data["participant"]]
        messages.success(request, (_("%(name)s is in %(group)s, locked.")
                                   if form.cleaned_data["locked"]
                                   else _("%(name)s is in %(group)s."))
                         % {"name": name, "group": group.name})
    return redirect(_page_url(program, group=group.pk))


@require_POST
@login_required
def group_round_repair(request, program_id, number):
    program = _staff_program(request, program_id)
    group_round = get_object_or_404(selectors.rounds_of(program), number=number)
    try:
        moved = services.round_repair(group_round=group_round, actor=request.user)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Round %(n)d is repaired; %(moved)d people moved.")
                         % {"n": number, "moved": moved})
    return redirect(_page_url(program, number))


@login_required
def group_round_csv(request, program_id, number):
    program = _staff_program(request, program_id)
    [view] = selectors.program_rounds(program, only=number) or [None]
    if view is None:
        raise Http404
    show_institutions = _shows_institutions(request, program)
    header = [_("round"), _("group"), _("display name"), _("side"), _("locked"),
              _("languages")]
    if show_institutions:
        header.append(_("institution"))
    rows = [header]
    for group in view.groups:
        for m in group.members:
            row = [number, group.name, m.display_name, m.side_name,
                   _("yes") if m.locked else _("no"), m.languages]
            rows.append(row + [m.institution] if show_institutions else row)
    with transaction.atomic():
        log_activity(actor=request.user, verb="groups.exported", target=program,
                     organization_id=program.organization_id,
                     data={"round": number, "rows": len(rows) - 1})
        if show_institutions:
            personal_data_viewed(actor=request.user, program=program, via="groups_csv",
                                 applicant_ids=[m.participant_id for g in view.groups
                                                for m in g.members if m.institution])
    return csv_response(rows, f"program-{program.pk}-round-{number}-groups.csv")


@login_required
def group_round_sessions(request, program_id, number):
    """Schedule one session per group of the round, in one go."""
    program = _staff_program(request, program_id)
    group_round = get_object_or_404(selectors.rounds_of(program), number=number)
    members = User.objects.filter(memberships__organization_id=program.organization_id
                                  ).order_by("display_name", "id")
    form = GroupSessionsForm(request.POST or None, members=members, initial={
        "timezone": request.user.timezone, "confidentiality": Confidentiality.OPEN})
    if request.method == "POST" and form.is_valid():
        try:
            sessions = services.sessions_create_per_group(
                group_round=group_round, actor=request.user,
                facilitators=form.cleaned_data["facilitators"], **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(n)d sessions scheduled, one per group.")
                             % {"n": len(sessions)})
            return redirect("program-sessions", program_id=program.pk)
    return render(request, "dialogues/groups/round_sessions.html", {
        "program": program, "round": group_round, "form": form,
        "groups": list(group_round.groups.order_by("number"))})
