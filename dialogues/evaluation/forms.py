"""Forms of the evaluation pages. They shape input; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialogues.evaluation.instruments import INSTRUMENTS
from dialogues.evaluation.selectors import OpenSurvey

# Scales this short are answered by choosing a point; longer ones by typing a number.
MAX_POINTS = 7


class EvaluationSettingsForm(forms.Form):
    instruments = forms.MultipleChoiceField(
        label=gettext_lazy("Instruments"), widget=forms.CheckboxSelectMultiple,
        choices=[(key, instrument.name) for key, instrument in INSTRUMENTS.items()],
        error_messages={"required": gettext_lazy("Choose at least one instrument.")})
    followups = forms.CharField(
        label=gettext_lazy("Follow-ups: months after the program ends"), required=False,
        help_text=gettext_lazy("E.g. “1, 3, 6”. Leave empty for none."))

    def clean_followups(self) -> list[int]:
        months = []
        for part in self.cleaned_data["followups"].replace(";", ",").split(","):
            if not part.strip():
                continue
            if not part.strip().isdigit():
                raise ValidationError(_("“%(value)s” is not a whole number of months.")
                                      % {"value": part.strip()})
            months.append(int(part.strip()))
        return months


def uses_points(instrument) -> bool:
    return instrument.max - instrument.min + 1 <= MAX_POINTS


class SurveyForm(forms.Form):
    """One field per item, named by the item key, plus the research consent."""

    consent = forms.BooleanField(required=False, label=gettext_lazy(
        "I agree that my answers are used, without my name, to evaluate this program "
        "(research consent)."))

    def __init__(self, *args, survey: OpenSurvey, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        for item in survey.items:
            if uses_points(item.instrument):
                values = range(item.min, item.max + 1)
                field = forms.TypedChoiceField(
                    coerce=int, required=False, widget=forms.RadioSelect,
                    choices=[(value, str(value)) for value in values])
            else:
                field = forms.IntegerField(required=False)
            field.label = item.text
            self.fields[item.key] = field

    def answers(self) -> dict:
        return {item.key: self.cleaned_data.get(item.key) for item in self.survey.items
                if self.cleaned_data.get(item.key) not in (None, "")}

    def add_service_errors(self, errors: dict) -> None:
        for message in errors.get("consent", []):
            self.add_error("consent", message)
        for key, messages in errors.get("answers", {}).items():
            self.add_error(key if key in self.fields else None, messages)
