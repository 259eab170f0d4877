"""Account pages: sign up, the terms, profile & privacy."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from core.errors import Conflict, TooManyRequests
from core.throttling import client_address
from participants import privacy, services
from participants.forms import EraseAccountForm, ProfileForm, SignupForm, add_service_errors
from participants.models import User

SERVICE_TO_FORM = {"password": "password1", "terms_accepted": "accept_terms"}


def signup(request):
    if request.user.is_authenticated:
        return redirect("exchanges:my-programs")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = sign_up(request, form)
        if user is not None:
            messages.success(request, _("Welcome to Parley, %(name)s. Browse the programs and "
                                        "apply for one.") % {"name": user.display_name})
            return redirect("exchanges:my-programs")
    return render(request, "participants/signup.html", {"form": form})


def sign_up(request, form: SignupForm) -> User | None:
    """Register from a valid SignupForm and sign the person in; None (errors on the
    form) when the service refuses. Also used by the invitation page."""
    data = form.cleaned_data
    try:
        user = services.user_register(
            email=data["email"], password=data["password1"],
            display_name=data["display_name"], terms_accepted=data["accept_terms"],
            research_consent=data["research_consent"],
            language=request.LANGUAGE_CODE, timezone_name=data["timezone"],
        )
    except ValidationError as error:
        add_service_errors(form, _renamed(error))
        return None
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user


def _renamed(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({SERVICE_TO_FORM.get(field, field): errors
                            for field, errors in error.error_dict.items()})


@require_POST
def set_language(request):
    """Django's language switch; a signed-in person's choice is saved to their profile,
    which every page and email then follows."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_set_language(user=request.user, language=language)
    return response


def terms(request):
    return render(request, "participants/terms.html", {"version": settings.TERMS_VERSION})


@login_required
def profile(request):
    user = request.user
    initial = {name: getattr(user, name) for name in ProfileForm.base_fields
               if name not in ("research_consent", "password")}
    initial["research_consent"] = user.research_consent_at is not None
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            # A fresh instance: a refused change must not linger on request.user.
            services.user_update_profile(user=User.objects.get(pk=user.pk),
                                         **form.profile_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            services.user_set_research_consent(
                user=user, consent=form.cleaned_data["research_consent"]
            )
            messages.success(request, _("Your profile was saved."))
            return redirect("participants:profile")
    return render(request, "participants/profile.html", {"form": form})


@login_required
def my_data(request):
    return render(request, "participants/my_data.html", {
        "form": EraseAccountForm(), "sections": privacy.data_page_sections(request.user)})


@login_required
@require_POST
def my_data_download(request):
    data = privacy.export_personal_data(user=request.user,
                                        ip_address=request.META.get("REMOTE_ADDR"))
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="parley-my-data.json"'
    return response


@login_required
@require_POST
def quick_exit(request):
    """Hide the person from other participants at once, then leave for a neutral page
    (the public catalogue) without a word on it: someone may be looking over their
    shoulder. Undone from "My data"."""
    services.user_set_hidden(user=request.user, hidden=True)
    return redirect("exchanges:program-list")


@login_required
@require_POST
def quick_exit_undo(request):
    services.user_set_hidden(user=request.user, hidden=False)
    messages.success(request, _("Other participants see your display name again."))
    return redirect(reverse("participants:my-data") + "#quick-exit-status")


@login_required
@require_POST
def erase_account(request):
    form = EraseAccountForm(request.POST)
    if form.is_valid():
        try:
            privacy.erase_account(user=request.user, password=form.cleaned_data["password"],
                                  ip_address=request.META.get("REMOTE_ADDR"))
        except ValidationError as error:
            add_service_errors(form, error)
        except Conflict as conflict:
            form.add_error(None, conflict.message)
        else:
            logout(request)
            messages.success(request, _("Your account and personal data were erased."))
            return redirect("home")
    return render(request, "participants/my_data.html", {"form": form}, status=400)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page; a new password also ends the API token."""

    def form_valid(self, form):
        response = super().form_valid(form)
        services.api_token_revoke(user=form.user)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page; the link goes through the outbox, within limits (services)."""

    def form_valid(self, form):
        try:
            services.password_reset_request(email=form.cleaned_data["email"],
                                            client_address=client_address(self.request))
        except TooManyRequests as refusal:
            form.add_error(None, refusal.message)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        services.api_token_revoke(user=form.user)
        return response


@login_required
def api_token(request):
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.api_token_revoke(user=request.user)
            messages.success(request, _("Your API token was revoked."))
        else:
            services.api_token_create(user=request.user)
            messages.success(request, _("A new API token was made; the old one no longer works."))
        return redirect("participants:api-token")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "participants/api_token.html", {"token": token})
