from django import forms
from django.utils.translation import gettext_lazy as _

from exchanges.models import IncidentKind, IncidentStatus
from exchanges.models.incidents import MAX_DESCRIPTION, MAX_RESOLUTION


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(label=_("What kind of concern is it?"),
                             choices=IncidentKind.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("What happened"), max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
        help_text=_("When and where, what was said or done, and anything you have kept "
                    "(messages, screenshots). Write only what you are comfortable sharing."))
    about = forms.TypedChoiceField(label=_("Who is it about?"), required=False, coerce=int,
                                   empty_value=None)
    anonymous = forms.BooleanField(
        label=_("Don't show my name to the owners"), required=False,
        help_text=_("The custodians of the organization, who look after people's safety, "
                    "still see who you are, so that they can reach you."))

    def __init__(self, *args, people: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["about"].choices = [("", _("No one in particular / not listed")),
                                        *people]


class IncidentUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
    resolution = forms.CharField(
        label=_("Resolution"), max_length=MAX_RESOLUTION, required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        help_text=_("What was done. Needed to close the incident; shown to custodians and "
                    "owners only."))


class IncidentFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *IncidentStatus.choices])
