"""Forms validate shape only; dialogues.services decides the rules."""

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from core import content
from core.validity import local_time
from dialogues.models import (
    Confidentiality,
    DialogueGroup,
    OutcomeKind,
    RSVPResponse,
    SessionFormat,
)
from participants.forms import TimezoneField, ZoneSearchInput
from participants.models import User

WHEN_FIELDS = ("starts_at", "ends_at", "timezone")


class WallTimeField(forms.DateTimeField):
    """A local wall time without a zone: the form's timezone field says where it is."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def to_python(self, value):
        with timezone.override(dt.UTC):
            aware = super().to_python(value)
        return aware.replace(tzinfo=None) if aware else aware

    def prepare_value(self, value):
        return value


def group_label(group: DialogueGroup) -> str:
    return _("Round %(round)d · %(group)s") % {"round": group.round.number, "group": group.name}


TRANSLATED = ("title", "ground_rules")


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    format = forms.ChoiceField(label=_("Format"), choices=[
        (value, capfirst(label)) for value, label in SessionFormat.choices])
    starts_at = WallTimeField(label=_("Starts"))
    ends_at = WallTimeField(label=_("Ends"))
    timezone = TimezoneField(
        label=_("Timezone"), widget=ZoneSearchInput(),
        help_text=_("Start and end are times in this zone; everyone sees them in their own."),
    )
    location = forms.CharField(label=_("Place"), max_length=200, required=False)
    online_url = forms.URLField(
        label=_("Online link"), max_length=500, required=False,
        help_text=_("Shown only to accepted participants, facilitators and staff."),
    )
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, required=False,
                                  help_text=_("Leave empty for no limit."))
    facilitators = forms.ModelMultipleChoiceField(
        label=_("Facilitators"), queryset=User.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=DialogueGroup.objects.none(), required=False,
        empty_label=_("Everyone accepted (no group)"),
        help_text=_("For one group only: only its members can answer, get its reminders "
                    "and appear on its attendee list."),
    )
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality rule"), choices=Confidentiality.choices,
        widget=forms.RadioSelect,
    )
    ground_rules = forms.CharField(
        label=_("Ground rules"), max_length=5000, required=False, widget=forms.Textarea,
        help_text=_("Leave empty to use the default text for the chosen rule."),
    )

    def __init__(self, *args, members=None, groups=None, program=None, session=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.translation_languages = program.languages[1:] if program else []
        for language in self.translation_languages:
            self._add_translation_fields(language, session)
        if members is not None:
            self.fields["facilitators"].queryset = members
        self.fields["facilitators"].label_from_instance = lambda user: user.display_name
        if groups is None:
            del self.fields["group"]
        else:
            self.fields["group"].queryset = groups
            self.fields["group"].label_from_instance = group_label

    def clean(self):
        """Wall times become instants in the chosen zone (core.validity)."""
        cleaned = super().clean()
        zone = cleaned.get("timezone")
        for name in WHEN_FIELDS[:2]:
            if zone and cleaned.get(name):
                try:
                    cleaned[name] = local_time(cleaned[name], zone)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned

    def _add_translation_fields(self, language: str, session) -> None:
        """The title and ground rules in one more of the program's languages."""
        name = get_language_info(language)["name_local"]
        for field in TRANSLATED:
            base = self.fields[field]
            key = content.column(field, language)
            self.fields[key] = forms.CharField(
                label=f"{base.label} ({name})", max_length=base.max_length, required=False,
                widget=type(base.widget)(attrs={"lang": language, "dir": "auto"}))
            if session is not None and not self.is_bound:
                self.initial[key] = getattr(session, key) or ""

    def visible_fields(self):
        """The main fields; translation_groups() gives the others, per language."""
        translated = {content.column(field, language) for field in TRANSLATED
                      for language in self.translation_languages}
        return [field for field in super().visible_fields() if field.name not in translated]

    def translation_groups(self):
        """For the template: (language code, language name, its bound fields)."""
        return [
            (language, get_language_info(language)["name_local"],
             [self[content.column(field, language)] for field in TRANSLATED])
            for language in self.translation_languages
        ]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        translations = {
            field: {language: data.pop(content.column(field, language))
                    for language in self.translation_languages}
            for field in TRANSLATED
        }
        if self.translation_languages:
            data["translations"] = translations
        data.pop("facilitators", None)
        if self.initial.get("starts_at") and not set(WHEN_FIELDS) & set(self.changed_data):
            for name in WHEN_FIELDS:  # an edit that keeps the time does not move the session
                data.pop(name, None)
        return data

    @staticmethod
    def initial_for(session) -> dict:
        zone = zoneinfo.ZoneInfo(session.timezone)
        return {
            "title": content.main_text(session, "title"), "format": session.format,
            "starts_at": _wall(session.starts_at, zone),
            "ends_at": _wall(session.ends_at, zone),
            "timezone": session.timezone, "location": session.location,
            "online_url": session.online_url, "capacity": session.capacity,
            "facilitators": list(session.facilitators.all()),
            "confidentiality": session.confidentiality,
            "ground_rules": content.main_text(session, "ground_rules"),
            "group": session.group_id,
        }


def _wall(instant, zone) -> dt.datetime:
    """What the form shows: the wall clock to the minute, as the widget does."""
    return instant.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


class GroupSessionsForm(SessionForm):
    """One session per group of a round: the session's fields without its group."""

    title = forms.CharField(
        label=_("Title"), max_length=180,
        help_text=_("Each group's name is added to it; or write {group} where it goes."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("group", None)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to everyone who said yes."),
    )


class RSVPForm(forms.Form):
    response = forms.ChoiceField(choices=RSVPResponse.choices)
    accept_ground_rules = forms.BooleanField(label=_("I accept the ground rules"),
                                             required=False)


class AttendanceForm(forms.Form):
    participant = forms.IntegerField()
    attended = forms.TypedChoiceField(
        choices=[("yes", _("Attended")), ("no", _("Absent")), ("", _("Not marked"))],
        coerce=lambda v: {"yes": True, "no": False}.get(v), empty_value=None, required=False,
    )


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[
        (OutcomeKind.IDEA, _("Idea")), (OutcomeKind.AGREEMENT, _("Agreement")),
        (OutcomeKind.ACTION, _("Action"))],
                             widget=forms.RadioSelect, initial=OutcomeKind.IDEA)
    text = forms.CharField(label=_("What was said, agreed or decided"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))
