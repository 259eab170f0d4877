"""The page a guardian's emailed link opens, without an account: what the program is,
who applied, and a form to consent or refuse, once."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.errors import Conflict
from exchanges import services
from exchanges.forms import GuardianDecisionForm, add_service_errors
from exchanges.models import Application, GuardianConsent


@never_cache
def guardian_consent(request, token):
    application = services.application_by_guardian_token(token)
    if application is None:
        raise Http404
    form = GuardianDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and _decide(request, token, form):
            return redirect("exchanges:guardian-consent", token=token)
        status = 400
    return render(request, "exchanges/guardian_consent.html", {
        "application": application, "program": application.program,
        "organization": application.program.organization, "form": form,
    }, status=status)


def _decide(request, token, form) -> bool:
    """Record the answer; False when the form must be shown again with its errors."""
    try:
        services.guardian_consent_decide(token=token, **form.cleaned_data)
    except Application.DoesNotExist as exc:
        raise Http404 from exc
    except Conflict as conflict:  # used, expired or closed: the page now says which
        messages.error(request, conflict.message)
        return True
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    if form.cleaned_data["decision"] == GuardianConsent.GIVEN:
        messages.success(request, _("Thank you: your consent is recorded. The organizers can "
                                    "now decide on the application."))
    else:
        messages.success(request, _("Your refusal is recorded. The organizers are told, and "
                                    "the application cannot be accepted."))
    return True
