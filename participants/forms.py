"""Forms of the account pages: they check shape; participants.services decides."""

import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (else above the form).

    A form may collect errors for a group of inputs that is not one field (e.g. a
    program's sides) in `form.group_errors[name]`.
    """
    if hasattr(error, "error_dict"):
        by_field = error.message_dict
    else:
        by_field = {NON_FIELD_ERRORS: error.messages}
    groups = getattr(form, "group_errors", {})
    for field, messages in by_field.items():
        if field in groups:
            groups[field].extend(messages)
            form.add_error(None, _("Please correct the errors below."))
            continue
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


DISPLAY_NAME_HELP = _("What other participants see. It may be a pseudonym.")


def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [(name, name.replace("_", " ")) for name in names]


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254,
                             help_text=_("Used to sign in. Other participants never see it."))
    display_name = forms.CharField(label=_("Display name"), max_length=80,
                                   help_text=DISPLAY_NAME_HELP)
    password1 = forms.CharField(label=_("Password"), strip=False, max_length=128,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 8 characters; not a common password."))
    password2 = forms.CharField(label=_("Password again"), strip=False, max_length=128,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    accept_terms = forms.BooleanField(label=_("I accept the terms of use"))
    research_consent = forms.BooleanField(
        label=_("I agree to be invited to research surveys (optional)"), required=False,
        help_text=_("Surveys help organizers learn whether their programs work. Saying no "
                    "never affects your participation, and you can change this at any time."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["accept_terms"].help_text = format_html(
            '<a href="/terms/">{}</a>', _("Read the terms (version %(version)s)")
            % {"version": settings.TERMS_VERSION},
        )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        return cleaned


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=80,
                                   help_text=DISPLAY_NAME_HELP)
    legal_name = forms.CharField(
        label=_("Legal name"), max_length=200, required=False,
        help_text=_("Seen only by the staff of organizations whose programs you apply to."),
    )
    country = forms.CharField(label=_("Country"), max_length=2, required=False,
                              help_text=_("Two-letter code, e.g. CY, GR, TR."))
    languages = forms.CharField(label=_("Languages you speak"), max_length=200, required=False,
                                help_text=_("Comma-separated, e.g. en, el, tr"))
    institution = forms.CharField(
        label=_("Institution"), max_length=200, required=False,
        help_text=_("Your school, club, congregation or employer. Seen only by the staff of "
                    "organizations whose programs you apply to; used to mix groups."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Seen only by the staff of organizations whose programs you apply to."),
    )
    timezone = forms.ChoiceField(label=_("Timezone"),
                                 help_text=_("Times are shown to you in this zone."))
    language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES)
    notify_email = forms.BooleanField(
        label=_("Send me reminders and follow-ups by email"), required=False,
        help_text=_("Notices about your own applications and about cancellations are always "
                    "sent."),
    )
    research_consent = forms.BooleanField(
        label=_("Invite me to research surveys"), required=False,
        help_text=_("You can withdraw this consent at any time; it never affects your "
                    "participation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()

    def profile_fields(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items()
                if name != "research_consent"}


class EraseAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False, max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you. This cannot be undone."),
    )
