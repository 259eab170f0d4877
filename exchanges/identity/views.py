"""The reveal page: a custodian asks for one person's identity, with a reason, and sees it
once, on the answer to that request (responses are not cached)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from exchanges.identity import services
from exchanges.models import Application
from exchanges.selectors import can_reveal, programs_read_by


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see this person's identity?"), widget=forms.Textarea(
            attrs={"rows": 3, "dir": "auto"}), max_length=services.MAX_REASON, required=False,
        help_text=_("Required. The person will see your role, your display name, when and "
                    "this reason."))


@login_required
def application_reveal(request, pk):
    if request.method == "POST":
        return _reveal(request, pk)
    application = get_object_or_404(
        Application.objects.filter(program__in=programs_read_by(request.user))
        .select_related("program__organization", "applicant", "side"), pk=pk)
    if not can_reveal(request.user, application.program.organization_id):
        raise Http404
    return _render(request, application, RevealForm())


def _reveal(request, pk):
    application = get_object_or_404(
        Application.objects.select_related("program__organization", "applicant", "side"), pk=pk)
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        revealed = services.identity_reveal(application=application, actor=request.user,
                                            reason=reason, via="page")
    except services.RevealRefused:
        raise Http404 from None  # refused and logged; nothing to show here
    except ValidationError as error:
        if form.is_valid():
            for message in error.message_dict.get("reason", error.messages):
                form.add_error("reason", message)
        return _render(request, application, form, status=400)
    return _render(request, application, RevealForm(), revealed=revealed)


def _render(request, application, form, revealed=None, status=200):
    return render(request, "exchanges/identity/reveal.html", {
        "application": application, "program": application.program, "form": form,
        "revealed": revealed,
    }, status=status)
