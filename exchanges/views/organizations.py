"""Web pages for organizations: my organizations, a dashboard, members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from core.errors import Conflict
from exchanges import selectors, services
from exchanges.forms import (
    ActivityFilterForm,
    MemberInviteForm,
    MemberRoleForm,
    OrganizationForm,
    OrganizationSettingsForm,
    add_service_errors,
)
from exchanges.models import STAFF_ROLES, Membership, MembershipStatus, ProgramStatus, Role

ROLE_EXPLANATIONS = [
    (Role.OWNER.label, _lazy("Everything: programs, applications, sessions, members and the "
                             "organization's settings.")),
    (Role.COORDINATOR.label, _lazy("Programs, applications and sessions.")),
    (Role.FACILITATOR.label, _lazy("The sessions they are assigned to; display names only.")),
    (Role.CUSTODIAN.label, _lazy("Reads programs, applications and sessions as coordinators do "
                                 "but changes nothing. Under identity protection, the only "
                                 "role that can reveal a person's legal name and email: one "
                                 "person at a time, with a reason shown to that person.")),
]


def _membership_or_404(request, slug) -> Membership:
    membership = selectors.membership_of(request.user, slug)
    if membership is None:
        raise Http404
    return membership


def _owner_or_403(request, slug) -> Membership:
    membership = _membership_or_404(request, slug)
    if membership.role != Role.OWNER:
        raise PermissionDenied
    return membership


@login_required
def organization_list(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("“%(name)s” was created, and you are its owner.")
                             % {"name": organization.name})
            return redirect("exchanges:org-dashboard", slug=organization.slug)
    return render(request, "exchanges/organization_list.html", {
        "memberships": selectors.memberships_with_roles(request.user), "form": form,
    })


@login_required
def organization_dashboard(request, slug):
    membership = _membership_or_404(request, slug)
    organization = membership.organization
    programs = list(selectors.organization_programs(organization, viewer=request.user))
    is_facilitator = membership.role == Role.FACILITATOR
    by_status = [
        (status, label, [p for p in programs if p.status == status])
        for status, label in ProgramStatus.choices
    ]
    return render(request, "exchanges/organization_dashboard.html", {
        "organization": organization,
        "membership": membership,
        "can_manage": membership.role in STAFF_ROLES,
        "by_status": by_status,
        "has_programs": bool(programs),
        "pending_total": sum(p.pending_count for p in programs),
        "is_facilitator": is_facilitator,
        # Facilitators see only their own sessions: not the organization's log.
        "activity": [] if is_facilitator else selectors.recent_activity(organization),
    })


@login_required
def organization_members(request, slug):
    membership = _membership_or_404(request, slug)
    organization = membership.organization
    is_owner = membership.role == Role.OWNER
    form = MemberInviteForm(request.POST or None)
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied
        if form.is_valid() and _invite(request, organization, form):
            return redirect("exchanges:org-members", slug=slug)
    return render(request, "exchanges/organization_members.html", {
        "organization": organization,
        "membership": membership,
        "is_owner": is_owner,
        "members": selectors.organization_members(organization),
        "invitations": selectors.open_invitations(organization) if is_owner else [],
        "form": form,
        "roles": Role.choices,
        "role_explanations": ROLE_EXPLANATIONS,
    })


def _invite(request, organization, form) -> bool:
    try:
        invitation = services.membership_invite(organization=organization, actor=request.user,
                                                **form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    messages.success(request, _("An invitation to join as %(role)s was emailed to %(email)s. "
                                "They become a member when they accept it.")
                     % {"role": invitation.get_role_display(), "email": invitation.email})
    return True


def _member_or_404(request, slug, pk) -> Membership:
    owner = _owner_or_403(request, slug)
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, organization=owner.organization
    )


def _seat_or_404(request, slug, pk) -> Membership:
    """A member or an open invitation: they share one id space."""
    owner = _owner_or_403(request, slug)
    return get_object_or_404(
        selectors.organization_seats(owner.organization, with_invitations=True), pk=pk)


@login_required
@require_POST
def member_role(request, slug, pk):
    member = _member_or_404(request, slug, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose owner, coordinator, facilitator or custodian."))
        return redirect("exchanges:org-members", slug=slug)
    try:
        member = services.membership_change_role(membership=member, actor=request.user,
                                                 role=form.cleaned_data["role"])
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("%(name)s is now %(role)s.")
                         % {"name": member.user.display_name, "role": member.get_role_display()})
    return redirect("exchanges:org-members", slug=slug)


@login_required
@require_POST
def member_remove(request, slug, pk):
    """Removes a member, or withdraws an invitation."""
    seat = _seat_or_404(request, slug, pk)
    if seat.status == MembershipStatus.INVITED:
        services.invitation_revoke(invitation=seat, actor=request.user)
        messages.success(request, _("The invitation to %(email)s was withdrawn; its link no "
                                    "longer works.") % {"email": seat.email})
        return redirect("exchanges:org-members", slug=slug)
    try:
        services.membership_remove(membership=seat, actor=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return redirect("exchanges:org-members", slug=slug)
    messages.success(request, _("%(name)s was removed from the organization.")
                     % {"name": seat.user.display_name})
    if seat.user_id == request.user.pk:
        return redirect("exchanges:org-list")
    return redirect("exchanges:org-members", slug=slug)


@login_required
def organization_settings(request, slug):
    organization = _owner_or_403(request, slug).organization
    form = OrganizationSettingsForm(request.POST or None, initial={
        "name": organization.name, "description": organization.description,
        "website": organization.website, "require_two_factor": organization.require_two_factor,
        "identity_protection": organization.identity_protection,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(organization=organization, actor=request.user,
                                         **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("exchanges:org-settings", slug=slug)
    return render(request, "exchanges/organization_settings.html",
                  {"organization": organization, "form": form})


@login_required
def organization_activity(request, slug):
    """The organization's activity log, for its owners, with the admin's filters."""
    organization = _owner_or_403(request, slug).organization
    form = ActivityFilterForm(request.GET or None, organization=organization)
    entries = selectors.activity_log(organization, **(form.cleaned_data if form.is_valid() else {}))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "exchanges/organization_activity.html",
                  {"organization": organization, "form": form, "page": page})
