"""Forms of the account pages: they check shape; participants.services decides."""

from datetime import UTC

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.validity import (
    canonical_timezone,
    canonical_timezones,
    local_time,
    timezone_choices,
    validate_timezone,
)


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


class LocalTimeField(forms.DateTimeField):
    """A wall-clock time in the viewer's timezone, cleaned to the instant it names.

    core.validity reads it: a time a DST change skips is refused naming the
    gap, one that happens twice is the earlier; the years are 1900–2200.
    """

    def to_python(self, value):
        with timezone.override(UTC):  # parse the wall clock as typed, no zone applied
            parsed = super().to_python(value)
        if parsed is None:
            return None
        return local_time(parsed.replace(tzinfo=None), timezone.get_current_timezone())


class TimezoneField(forms.ChoiceField):
    """A zone picked from the canonical names; an old name (US/Eastern) that is posted
    or stored is read as its zone (America/New_York). core.validity decides."""

    def __init__(self, **kwargs):
        super().__init__(choices=timezone_choices, **kwargs)

    def to_python(self, value):
        return canonical_timezone(super().to_python(value))

    def validate(self, value):
        forms.Field.validate(self, value)  # required; the zone rule below, not the choices
        if value:
            validate_timezone(value)

    def prepare_value(self, value):
        return canonical_timezone(value) if value else value

    def has_changed(self, initial, data):
        return super().has_changed(self.prepare_value(initial), data)


class ZoneSearchInput(forms.TextInput):
    """A text box that suggests the canonical zones as one types (a <datalist>): it needs
    no script and fits a phone; TimezoneField still decides what is valid."""

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", "dir": "ltr",
                          **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id') or 'id_' + name}-zones"
        html = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join("", '<option value="{}">',
                                   ((zone,) for zone in canonical_timezones()))
        return html + format_html('<datalist id="{}">{}</datalist>', list_id, options)


DISPLAY_NAME_HELP = _("What other participants see. It may be a pseudonym.")


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
    timezone = forms.ChoiceField(
        label=_("Timezone"), initial="UTC", required=False,
        help_text=_("Times are shown to you in this zone. You can change it in your profile."),
    )
    accept_terms = forms.BooleanField(label=_("I accept the terms of use"))
    research_consent = forms.BooleanField(
        label=_("I agree to be invited to research surveys (optional)"), required=False,
        help_text=_("Surveys help organizers learn whether their programs work. Saying no "
                    "never affects your participation, and you can change this at any time."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["timezone"].choices = timezone_choices()
        if not self.is_bound:
            # static/js/parley.js selects the browser's own zone in a fresh form.
            self.fields["timezone"].widget.attrs["data-browser-timezone"] = ""
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
    email = forms.EmailField(label=_("Email"), max_length=254,
                             help_text=_("Used to sign in. Other participants never see it."))
    password = forms.CharField(
        label=_("Your password"), strip=False, max_length=128, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change your email. The old address is told of the change."),
    )
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
    timezone = TimezoneField(label=_("Timezone"),
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

    def clean_country(self):
        return self.cleaned_data["country"].strip().upper()

    def profile_fields(self) -> dict:
        """The profile and, for an email change, the password (participants.services)."""
        return {name: value for name, value in self.cleaned_data.items()
                if name != "research_consent"}


class EraseAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False, max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you. This cannot be undone."),
    )
