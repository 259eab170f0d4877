"""Web pages for programs and applications: the public catalogue, a program's page,
applying and "My programs", and the staff's program editor and applications page.

Organization pages live in exchanges/org_views.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import content
from core.csv_export import csv_response
from core.errors import Conflict
from core.paging import CountedPaginator, PeekPaginator
from core.validity import canonical_timezone
from exchanges import exports, selectors, services
from exchanges.forms import (
    ApplicationFilterForm,
    ApplyForm,
    CatalogueFilterForm,
    ProgramForm,
    add_service_errors,
)
from exchanges.models import (
    REVEALER_ROLES,
    STAFF_ROLES,
    Application,
    ApplicationStatus,
    Balance,
    Organization,
)
from exchanges.retention import erasure_date
from exchanges.selectors import (
    is_staff_of,
    programs_open_for_applications,
    programs_read_by,
    programs_staffed_by,
    programs_visible_to,
)

CATALOGUE_PAGE_SIZE = 12
APPLICATIONS_PAGE_SIZE = 50


def home(request):
    return render(
        request, "home.html", {"open_programs": programs_open_for_applications()[:6]}
    )


def _page(request, items, size):
    return CountedPaginator(items, size).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Public catalogue and program page -------------------------------------------------


def program_list(request):
    """The whole catalogue is counted by the tally; a filtered or searched one pages
    without a count (PeekPaginator): COUNT(*) would visit every match of a common word."""
    form = CatalogueFilterForm(request.GET or None,
                               organizations=selectors.catalogue_organizations())
    filters = form.filters()
    filtered = any(filters.values())
    paginator = (PeekPaginator if filtered else CountedPaginator)(
        selectors.catalogue_programs(**filters), CATALOGUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    for program in page:
        program.total_seats_left, program.side_seats_left = selectors.seats_left(program)
    return render(request, "exchanges/program_list.html", {
        "form": form, "page": page, "filtered": filtered,
        "query": _query_without_page(request),
    })


def program_detail(request, pk):
    program = get_object_or_404(programs_visible_to(request.user), pk=pk)
    return _render_detail(request, program, ApplyForm(program=program, applicant=request.user))


def _render_detail(request, program, form, status=200):
    application = None
    if request.user.is_authenticated:
        application = (Application.objects.filter(program=program, applicant=request.user)
                       .select_related("side").first())
    sides = list(program.sides.all())
    is_staff = is_staff_of(request.user, program.organization_id)
    return render(request, "exchanges/program_detail.html", {
        "program": program,
        "sides": sides,
        "application": application,
        "form": form,
        "is_staff": is_staff,
        "is_reader": selectors.is_reader_of(request.user, program.organization_id),
        "unfillable": services.unfillable_seats(program, len(sides)) if is_staff else 0,
    }, status=status)


@login_required
@require_POST
def program_apply(request, pk):
    program = get_object_or_404(programs_visible_to(request.user), pk=pk)
    form = ApplyForm(request.POST, program=program, applicant=request.user)
    if not form.is_valid():
        return _render_detail(request, program, form)
    try:
        application = services.application_submit(
            program=program, applicant=request.user, **form.service_fields())
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_detail(request, program, form)
    except Conflict as conflict:
        form.add_error(None, conflict.message)
        return _render_detail(request, program, form)
    if application.guardian_consent:
        messages.success(request, _("Your application was sent. We emailed your guardian a "
                                    "link to consent; the organizers can accept you once "
                                    "they have."))
    else:
        messages.success(request, _("Your application was sent. The organizers will let you "
                                    "know."))
    return redirect("exchanges:my-programs")


@login_required
def my_programs(request):
    applications = selectors.applications_of(request.user)
    return render(request, "exchanges/my_programs.html", {"applications": applications})


@login_required
@require_POST
def application_withdraw(request, pk):
    application = get_object_or_404(
        Application.objects.filter(applicant=request.user).select_related("program"), pk=pk
    )
    try:
        services.application_withdraw(application=application, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("You withdrew your application to “%(title)s”.")
                         % {"title": application.program.title})
    return redirect("exchanges:my-programs")


# --- Staff: program editor --------------------------------------------------------------


def _staffed_program(request, pk):
    return get_object_or_404(programs_staffed_by(request.user), pk=pk)


@login_required
def program_create(request, slug):
    organization = get_object_or_404(Organization, slug=slug)
    if not is_staff_of(request.user, organization.pk):
        raise Http404
    form = ProgramForm(request.POST or None, initial={
        "timezone": canonical_timezone(request.user.timezone or "UTC"),
        "main_language": content.active_language()})
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(
                organization=organization, actor=request.user,
                sides=form.sides_in_languages(), **form.program_fields(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The program was created as a draft. Publish it when "
                                        "it is ready for applications."))
            return redirect("exchanges:program-edit", pk=program.pk)
    return render(request, "exchanges/program_form.html",
                  {"form": form, "organization": organization, "program": None})


@login_required
def program_edit(request, pk):
    program = _staffed_program(request, pk)
    sides = list(program.sides.all())
    if request.method == "POST":
        form = ProgramForm(request.POST, sides=sides, program=program)
        if form.is_valid() and _update_program(request, program, form):
            messages.success(request, _("Your changes were saved."))
            return redirect("exchanges:program-edit", pk=program.pk)
    else:
        form = ProgramForm(initial=_program_initial(program), sides=sides, program=program)
    program.refresh_from_db()  # a refused change leaves the stored program as it was
    return render(request, "exchanges/program_form.html",
                  {"form": form, "organization": program.organization, "program": program,
                   "erasure_date": erasure_date(program),
                   "unfillable": services.unfillable_seats(program, program.sides.count())})


def _program_initial(program) -> dict:
    """The texts in the program's main language, whatever the editor reads in."""
    initial = {name: getattr(program, name) for name in ProgramForm.base_fields
               if hasattr(program, name)}
    for field in program.content_fields:
        initial[field] = content.main_text(program, field)
    return {**initial, "main_language": program.main_language,
            "other_languages": program.languages[1:]}


def _update_program(request, program, form) -> bool:
    try:
        services.program_update(program=program, actor=request.user,
                                sides=form.sides_in_languages(), **form.program_fields())
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    except Conflict as conflict:
        if conflict.code == "side_has_applications":
            form.group_errors["sides"].append(conflict.message)
        form.add_error(None, conflict.message)
        return False
    return True


STATUS_ACTIONS = {
    "publish": (services.program_publish,
                gettext_lazy("The program is published: people can apply.")),
    "close": (services.program_close, gettext_lazy("The program is closed to new applications.")),
    "archive": (services.program_archive, gettext_lazy("The program is archived.")),
}


@login_required
@require_POST
def program_status(request, pk, action):
    program = _staffed_program(request, pk)
    if action == "delete":
        return _delete_program(request, program)
    change, done = STATUS_ACTIONS[action]
    try:
        change(program=program, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, str(done))
    return redirect("exchanges:program-edit", pk=program.pk)


def _delete_program(request, program):
    try:
        services.program_delete(program=program, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("exchanges:program-edit", pk=program.pk)
    messages.success(request, _("The draft “%(title)s” was deleted.") % {"title": program.title})
    return redirect("exchanges:org-dashboard", slug=program.organization.slug)


# --- Staff: applications ----------------------------------------------------------------


def _seat_state(program, sides=None):
    """Meter rows for the balance meter, and the ids of sides that have no seat left."""
    seats = services.side_seats(program, sides)
    parity = program.balance == Balance.PARITY
    meter = [{"name": s.side.name, "seats": s.seats if parity else None, "accepted": s.accepted,
              "waitlisted": s.waitlisted, "pending": s.pending} for s in seats]
    if parity:
        full = {s.side.pk for s in seats if s.is_full}
    elif sum(s.accepted for s in seats) >= program.capacity:
        full = {s.side.pk for s in seats}
    else:
        full = set()
    return meter, full


def _read_program(request, pk):
    """A program the caller reads as staff: owners, coordinators, custodians."""
    return get_object_or_404(programs_read_by(request.user), pk=pk)


@login_required
def program_applications(request, pk):
    program = _read_program(request, pk)
    sides = list(program.sides.all())
    form = ApplicationFilterForm(request.GET or None, sides=sides)
    applications = selectors.program_applications(program, **form.filters())
    meter, full_sides = _seat_state(program, sides)
    page = _page(request, applications, APPLICATIONS_PAGE_SIZE)
    powers = _reader_powers(request, program)
    show_personal_data = powers.pop("show_personal_data")
    if show_personal_data:
        exports.personal_data_viewed(actor=request.user, program=program, via="page",
                                     applicant_ids=[a.applicant_id for a in page])
    return render(request, "exchanges/program_applications.html", {
        "program": program, "sides": sides, "form": form, "meter": meter,
        "full_sides": full_sides, "page": page, "show_personal_data": show_personal_data,
        "query": _query_without_page(request), "accepted_total": sum(m["accepted"] for m in meter),
        **powers,
    })


def _reader_powers(request, program) -> dict:
    """What the caller may do on a staff page they can read: decide (owners and
    coordinators), reveal (custodians); and whether identities are hidden."""
    role = selectors.role_in(request.user, program.organization_id)
    return {"can_decide": role in STAFF_ROLES, "can_reveal": role in REVEALER_ROLES,
            "identity_protected": program.organization.identity_protection,
            "show_personal_data": selectors.role_sees_personal_data(role,
                                                                    program.organization)}


@login_required
def program_applications_csv(request, pk):
    program = _read_program(request, pk)
    rows = exports.applications_export_logged(program=program, actor=request.user)
    return csv_response(rows, f"program-{program.pk}-applications.csv")


DECISIONS = {
    "accept": (services.application_accept, gettext_lazy("%(name)s was accepted.")),
    "waitlist": (services.application_waitlist, gettext_lazy("%(name)s was waitlisted.")),
    "decline": (services.application_decline, gettext_lazy("%(name)s was declined.")),
}


@login_required
@require_POST
def application_decide(request, pk, action):
    application = get_object_or_404(
        Application.objects.filter(program__in=programs_staffed_by(request.user))
        .select_related("program__organization", "applicant", "side"),
        pk=pk,
    )
    decide, done = DECISIONS[action]
    error = None
    try:
        application = decide(application=application, actor=request.user)
        notice = done % {"name": application.applicant.display_name}
    except Conflict as conflict:
        error = notice = conflict.message
    if request.htmx:
        return _decided_partial(request, application, notice, error)
    (messages.error if error else messages.success)(request, notice)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("exchanges:program-applications", pk=application.program_id)


def _decided_partial(request, application, notice, error):
    """The decided row, plus out-of-band: the meter, the other rows whose buttons may
    have changed (same seat pool), and the status line."""
    program = application.program
    meter, full_sides = _seat_state(program)
    pool = selectors.program_applications(program).filter(
        status__in=(ApplicationStatus.PENDING, ApplicationStatus.WAITLISTED,
                    ApplicationStatus.ACCEPTED),
    ).exclude(pk=application.pk)
    if program.balance == Balance.PARITY:
        pool = pool.filter(side_id=application.side_id)
    application = selectors.program_applications(program).get(pk=application.pk)
    return render(request, "exchanges/_application_decided.html", {
        "program": program, "application": application, "others": pool, "meter": meter,
        "full_sides": full_sides, "notice": notice, "error": error,
        "next": request.POST.get("next", ""), **_reader_powers(request, program),
        "accepted_total": sum(m["accepted"] for m in meter),
    })
