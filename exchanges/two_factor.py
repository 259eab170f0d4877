"""Two-factor sign-in pages (TOTP authenticator apps) and the middleware that sends to them.

Who must prove a second factor is participants.two_factor's rule; this app adds one
reason to it: an owner turned `Organization.require_two_factor` on, so every member
of that organization must confirm an authenticator app once and enter a code after
each sign-in before any page (or session-authenticated API call) answers them.
"""

import io
from base64 import b32encode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from exchanges.activity import log_activity
from exchanges.models import Membership
from participants.two_factor import confirmed_device, register_requirement, second_factor_missing

EXEMPT_PREFIXES = ("/account/two-factor/", "/accounts/logout/", "/admin/logout/", "/static/",
                   "/healthz", "/i18n/")


def register() -> None:
    """Members (any role) of an organization that requires it must use a second factor."""
    register_requirement(Q(Exists(Membership.objects.filter(
        user=OuterRef("pk"), organization__require_two_factor=True))))


class TwoFactorRequiredMiddleware:
    """Sends a person who must prove a second factor, and has not yet, to set up or verify."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (not request.path.startswith(EXEMPT_PREFIXES)
                and second_factor_missing(request.user)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Two-factor verification is required."),
                                     "code": "two_factor_required"}, status=403)
            target = "two_factor_verify" if confirmed_device(request.user) else "two_factor_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return "/"


def _pending_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    if confirmed_device(request.user):
        return redirect("two_factor_verify")
    device = _pending_device(request.user)
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                log_activity(actor=request.user, verb="two_factor.enabled", target=request.user)
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect(_next_url(request))
        messages.error(request, _("That code did not match. Check your phone's clock and try "
                                  "the newest code."))
    return render(request, "two_factor/setup.html", {
        "secret": b32encode(device.bin_key).decode(), "next": _next_url(request),
        "error": request.method == "POST",
    })


@login_required
def qr_code(request):
    device = _pending_device(request.user)
    out = io.BytesIO()
    write_qrcode_image(device.config_url, out)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    device = confirmed_device(request.user)
    if device is None:
        return redirect("two_factor_setup")
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            otp_login(request, device)
            return redirect(_next_url(request))
        log_activity(actor=request.user, verb="two_factor.failed", target=request.user,
                     ip_address=request.META.get("REMOTE_ADDR"))
    return render(request, "two_factor/verify.html", {
        "next": _next_url(request), "error": request.method == "POST",
    })
