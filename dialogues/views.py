"""Session pages: schedule, agenda, the session room, my sessions, calendars."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.csv_export import csv_response
from core.errors import Conflict
from dialogues import services, venue
from dialogues.calendar import feed_ics, ics_response, session_ics
from dialogues.forms import (
    AttendanceForm,
    CancelForm,
    OutcomeForm,
    RSVPForm,
    SessionForm,
    group_label,
)
from dialogues.groups.selectors import groups_of_program, is_in_group
from dialogues.models import CalendarFeed, Confidentiality, GroupMember, Session
from dialogues.selectors import (
    attendees_of,
    can_read_outcomes,
    headcount_by_side,
    outcomes_of,
    own_rsvp,
    person_access,
    program_access,
    sessions_of_person,
    sessions_of_program_for,
    sessions_visible_to,
    split_upcoming,
    yes_count,
)
from exchanges.models import Program
from exchanges.selectors import programs_visible_to
from participants.models import User


def _program(request, program_id) -> Program:
    return get_object_or_404(programs_visible_to(request.user), pk=program_id)


def _session(request, pk) -> Session:
    return get_object_or_404(sessions_visible_to(request.user), pk=pk)


def _members(program: Program):
    return User.objects.filter(memberships__organization_id=program.organization_id).order_by(
        "display_name", "id")


def _save_form(form, save):
    """Run a service; its field errors go back onto the form beside their fields."""
    try:
        return save()
    except ValidationError as exc:
        form.add_error(None, exc)
    except Conflict as exc:
        form.add_error(None, exc.message)
    return None


# --- Program agenda ---


def program_sessions(request, program_id):
    program = _program(request, program_id)
    access = program_access(request.user, program)
    sessions = venue.show_all(sessions_of_program_for(request.user, program), lambda s: access)
    today = timezone.localdate()
    days = [(day, by_group(list(items))) for day, items in
            groupby(sessions, key=lambda s: timezone.localtime(s.starts_at).date())]
    return render(request, "dialogues/program_sessions.html", {
        "program": program, "access": access, "days": days, "today": today,
        "my_groups": access.is_accepted and GroupMember.objects.filter(
            round__program=program, participant=request.user).exists(),
    })


def by_group(sessions: list[Session]) -> list[tuple[str, list[Session]]]:
    """A day's sessions in columns, side by side: the whole program's, then each group's
    (by round and number). One unnamed column when no session belongs to a group."""
    if all(s.group_id is None for s in sessions):
        return [("", sessions)]
    columns: dict = {}
    for s in sorted(sessions, key=lambda s: (s.group is not None,
                                             s.group and (s.group.round_id, s.group.number))):
        label = group_label(s.group) if s.group else _("Everyone")
        columns.setdefault(label, []).append(s)
    for column in columns.values():
        column.sort(key=lambda s: (s.starts_at, s.pk))
    return list(columns.items())


@login_required
def session_new(request, program_id):
    program = _program(request, program_id)
    if not program_access(request.user, program).is_staff:
        raise PermissionDenied
    form = SessionForm(request.POST or None, members=_members(program), program=program,
                       groups=groups_of_program(program), initial={
        "timezone": program.timezone, "confidentiality": Confidentiality.OPEN})
    if request.method == "POST" and form.is_valid():
        session = _save_form(form, lambda: services.session_create(
            program=program, actor=request.user,
            facilitators=form.cleaned_data["facilitators"], **form.service_fields()))
        if session:
            messages.success(request, _("Session scheduled."))
            return redirect("session-detail", pk=session.pk)
    return render(request, "dialogues/session_form.html", {
        "form": form, "program": program, "session": None,
        "default_rules": _default_rules()})


@login_required
def session_edit(request, pk):
    session = _session(request, pk)
    if not program_access(request.user, session.program).is_staff:
        raise PermissionDenied
    form = SessionForm(request.POST or None, members=_members(session.program),
                       groups=groups_of_program(session.program),
                       program=session.program, session=session,
                       initial=SessionForm.initial_for(session))
    if request.method == "POST" and form.is_valid():
        saved = _save_form(form, lambda: services.session_update(
            session=session, actor=request.user,
            facilitators=form.cleaned_data["facilitators"], **form.service_fields()))
        if saved:
            messages.success(request, _("Session saved."))
            return redirect("session-detail", pk=session.pk)
    return render(request, "dialogues/session_form.html", {
        "form": form, "program": session.program, "session": session,
        "default_rules": _default_rules()})


def _default_rules():
    return [(rule, label, services.default_ground_rules(rule))
            for rule, label in Confidentiality.choices]


@login_required
def session_cancel(request, pk):
    session = _session(request, pk)
    if not program_access(request.user, session.program).is_staff:
        raise PermissionDenied
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _save_form(form, lambda: services.session_cancel(
            session=session, actor=request.user, reason=form.cleaned_data["reason"]))
        if done:
            messages.success(request, _("Session cancelled. Everyone who said yes is told."))
            return redirect("session-detail", pk=session.pk)
    return render(request, "dialogues/session_cancel.html", {
        "form": form, "session": session, "yes_count": yes_count(session)})


# --- The session room ---


def session_detail(request, pk):
    session = _session(request, pk)
    access = program_access(request.user, session.program)
    venue.show(session, access.venue(session))
    rsvp = own_rsvp(request.user, session)
    context = {
        "session": session, "program": session.program, "access": access, "rsvp": rsvp,
        "in_group": session.group_id is None or is_in_group(request.user, session.group_id),
        "can_run": access.can_run(session), "can_see_link": access.can_see_link(session),
        "can_read": access.can_read(session),
        "rsvp_form": RSVPForm(), "outcome_form": OutcomeForm(),
        "is_open": session.confidentiality == Confidentiality.OPEN,
        "is_scheduled": session.effective_status == Session.Status.SCHEDULED,
    }
    if can_read_outcomes(access, session, rsvp):
        context["outcomes"] = list(outcomes_of(session))
    if context["can_read"]:
        attendees = list(attendees_of(session))
        context.update(attendees=attendees, headcount=headcount_by_side(attendees))
    return render(request, "dialogues/session_detail.html", context)


@require_POST
@login_required
def session_rsvp(request, pk):
    session = _session(request, pk)
    form = RSVPForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Answer yes or no."))
        return redirect("session-detail", pk=pk)
    try:
        rsvp = services.rsvp_respond(session=session, participant=request.user,
                                     **form.cleaned_data)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You are coming.") if rsvp.response == "yes"
                         else _("Thanks for letting us know you can't come."))
    return redirect("session-detail", pk=pk)


@require_POST
@login_required
def session_attendance(request, pk):
    session = _session(request, pk)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        services.attendance_mark(session=session, actor=request.user, marks=[form.cleaned_data])
    except services.ItemErrors as exc:
        messages.error(request, " ".join(m for item in exc.items for ms in item.values()
                                         for m in ms))
    except Conflict as exc:
        messages.error(request, exc.message)
    if request.htmx:
        attendees = list(attendees_of(session))
        row = next((r for r in attendees
                    if r.participant_id == form.cleaned_data["participant"]), None)
        return render(request, "dialogues/_attendance_update.html", {
            "session": session, "row": row, "headcount": headcount_by_side(attendees)})
    return redirect(reverse("session-detail", args=[pk]) + "#attendance")


@require_POST
@login_required
def session_outcome_new(request, pk):
    session = _session(request, pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        outcome = _save_form(form, lambda: services.outcome_record(
            session=session, actor=request.user, **form.cleaned_data))
        if outcome:
            messages.success(request, _("Outcome recorded."))
            return redirect(reverse("session-detail", args=[pk]) + "#outcomes")
    messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect(reverse("session-detail", args=[pk]) + "#outcomes")


@login_required
def session_attendees_csv(request, pk):
    session = _session(request, pk)
    try:
        services.attendees_export(session=session, actor=request.user)
    except Conflict as exc:
        raise Http404(exc.message) from exc
    rows = [[_("Display name"), _("Side"), _("Answer"), _("Attended")]]
    for row in attendees_of(session):
        attended = "" if row.attended is None else (_("yes") if row.attended else _("no"))
        rows.append([row.participant.display_name, row.side_name or "", row.response,
                     attended])
    return csv_response(rows, f"session-{pk}-attendees.csv")


def session_calendar(request, pk):
    session = _session(request, pk)
    access = program_access(request.user, session.program)
    return ics_response(session_ics(venue.show(session, access.venue(session))),
                        f"session-{session.pk}.ics")


# --- My sessions and the private feed ---


@login_required
def my_sessions(request):
    upcoming, past = split_upcoming(venue.show_all(sessions_of_person(request.user),
                                                   person_access))
    feed = CalendarFeed.objects.filter(user=request.user).first()
    feed = feed or services.calendar_feed_get_or_create(user=request.user)
    feed_url = request.build_absolute_uri(reverse("calendar-feed", args=[feed.token]))
    # Everyone with a session here is accepted or runs it: they may report a concern.
    programs = {s.program_id: s.program for s in (*upcoming, *past)}
    return render(request, "dialogues/my_sessions.html", {
        "upcoming": upcoming, "past": past, "feed_url": feed_url,
        "viewer_zone": request.user.timezone,
        "concern_programs": sorted(programs.values(), key=lambda p: (p.title, p.pk))})


@require_POST
@login_required
def calendar_feed_revoke(request):
    services.calendar_feed_revoke(user=request.user)
    messages.success(request, _("Your old calendar link no longer works. Here is a new one."))
    return redirect(reverse("my-sessions") + "#calendar-feed")


def calendar_feed(request, token):
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    sessions = venue.show_all(sessions_of_person(feed.user).select_related("program"),
                              person_access)
    # A calendar app fetches the feed without a session: it speaks its owner's language.
    with translation.override(feed.user.language):
        content = feed_ics(sessions, name=_("Parley sessions"))
    return ics_response(content, "parley.ics")
