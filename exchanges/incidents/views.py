"""Incident pages: report a concern, see one's own reports, and (custodians and owners)
read and work every incident of a program."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exchanges.incidents import selectors, services
from exchanges.incidents.forms import IncidentFilterForm, IncidentForm, IncidentUpdateForm
from exchanges.models import Incident, Program, Role
from exchanges.selectors import programs_visible_to, role_in
from participants.forms import add_service_errors

PAGE_SIZE = 50


def _program(request, program_id) -> Program:
    return get_object_or_404(programs_visible_to(request.user).prefetch_related(None),
                             pk=program_id)


def _has_custodians(program: Program) -> bool:
    return program.organization.memberships.filter(role=Role.CUSTODIAN).exists()


@login_required
def program_incidents(request, program_id):
    """Custodians and owners: every incident of the program. Anyone who may report: their
    own reports. Others: 404 (there is nothing here for them)."""
    program = _program(request, program_id)
    works = selectors.works_incidents(request.user, program.organization_id)
    can_report = works or selectors.can_report(request.user, program)
    form = IncidentFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    incidents = selectors.program_incidents(request.user, program, status=status)
    if not works:
        incidents = incidents.filter(reporter=request.user)
        if not can_report and not incidents.exists():
            raise Http404
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    role = role_in(request.user, program.organization_id)
    for incident in page:
        incident.reporter_shown = selectors.shows_reporter(incident, request.user, role)
    return render(request, "exchanges/incidents/program_incidents.html", {
        "program": program, "page": page, "works": works, "can_report": can_report,
        "filter_form": form, "is_staff": role in (Role.OWNER, Role.COORDINATOR),
        "query": urlencode({"status": status}) if status else "",
    })


@login_required
def incident_new(request, program_id):
    program = _program(request, program_id)
    if not selectors.can_report(request.user, program):
        raise PermissionDenied
    people = selectors.about_choices(program, request.user)
    form = IncidentForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_report(program=program, reporter=request.user,
                                                **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Thank you. Your report was sent; the people who look "
                                        "after safety in this organization have been told."))
            return redirect("exchanges:incident-detail", pk=incident.pk)
    return render(request, "exchanges/incidents/incident_form.html", {
        "program": program, "form": form, "has_custodians": _has_custodians(program),
        "works": selectors.works_incidents(request.user, program.organization_id),
    }, status=400 if form.errors else 200)


def _incident(request, pk) -> Incident:
    return get_object_or_404(selectors.incidents_visible_to(request.user), pk=pk)


def _detail(request, incident: Incident, form: IncidentUpdateForm | None, status: int = 200):
    role = role_in(request.user, incident.program.organization_id)
    return render(request, "exchanges/incidents/incident_detail.html", {
        "incident": incident, "program": incident.program, "form": form,
        "works": role in selectors.INCIDENT_ROLES,
        "reporter_shown": selectors.shows_reporter(incident, request.user, role),
    }, status=status)


@login_required
def incident_detail(request, pk):
    incident = _incident(request, pk)
    works = selectors.works_incidents(request.user, incident.program.organization_id)
    form = IncidentUpdateForm(initial={"status": incident.status,
                                       "resolution": incident.resolution}) if works else None
    return _detail(request, incident, form)


@login_required
@require_POST
def incident_update(request, pk):
    incident = _incident(request, pk)
    if not selectors.works_incidents(request.user, incident.program.organization_id):
        raise PermissionDenied
    form = IncidentUpdateForm(request.POST)
    if form.is_valid():
        try:
            incident = services.incident_update(incident=incident, actor=request.user,
                                                **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The incident is now %(status)s.")
                             % {"status": incident.get_status_display()})
            return redirect("exchanges:incident-detail", pk=incident.pk)
    return _detail(request, incident, form, status=400)
