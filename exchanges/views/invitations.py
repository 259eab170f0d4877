"""The page an invitation's emailed link opens: the organization's name and the role
offered, nothing else. A signed-in person accepts or declines; someone without an
account signs up there and lands in the role."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.errors import Conflict
from exchanges import selectors, services
from exchanges.models import Membership
from participants.forms import SignupForm
from participants.views import sign_up


def _invitation_or_404(token: str) -> Membership:
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise Http404
    return invitation


def _page(request, invitation: Membership, token: str, signup_form=None, status=200):
    already_member = request.user.is_authenticated and selectors.is_member_of(
        request.user, invitation.organization_id)
    return render(request, "exchanges/invitation.html", {
        "invitation": invitation,
        "organization": invitation.organization,
        "token": token,
        "already_member": already_member,
        "signup_form": signup_form or SignupForm(),
    }, status=status)


@never_cache
def invitation(request, token):
    return _page(request, _invitation_or_404(token), token)


@never_cache
@require_POST
def invitation_accept(request, token):
    here = f"/invitations/{token}/"
    if not request.user.is_authenticated:
        return redirect_to_login(here)
    return _accept(request, token) or redirect(here)


def _accept(request, token):
    """Accept for the signed-in person: a redirect to the organization, or None after
    putting the reason it failed in the messages."""
    try:
        membership = services.invitation_accept(token=token, user=request.user)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc
    except Conflict as conflict:
        messages.error(request, conflict.message)
        return None
    messages.success(request, _("Welcome to %(name)s: you are now its %(role)s.")
                     % {"name": membership.organization.name,
                        "role": membership.get_role_display()})
    return redirect("exchanges:org-dashboard", slug=membership.organization.slug)


@never_cache
@require_POST
def invitation_decline(request, token):
    try:
        services.invitation_decline(token=token, actor=request.user)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("You declined the invitation. Its link no longer works."))
    return redirect("exchanges:invitation", token=token)


@never_cache
@require_POST
def invitation_signup(request, token):
    """Create an account and accept the invitation with it, in one step."""
    invitation = _invitation_or_404(token)
    if request.user.is_authenticated or not invitation.is_open_invitation:
        return redirect("exchanges:invitation", token=token)
    form = SignupForm(request.POST)
    if form.is_valid() and sign_up(request, form) is not None:
        return _accept(request, token) or redirect("exchanges:invitation", token=token)
    return _page(request, invitation, token, signup_form=form, status=400)
