"""Forms of the group pages: shape only; dialogues.groups.services decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dialogues.groups.services import MAX_INSTITUTION_LIMIT
from dialogues.models.groups import MAX_GROUP_SIZE, MIN_GROUP_SIZE


class RoundForm(forms.Form):
    size = forms.IntegerField(
        label=_("Group size"), min_value=MIN_GROUP_SIZE, max_value=MAX_GROUP_SIZE, initial=10,
        help_text=_("About this many people per group; sizes differ by at most one."))
    languages = forms.BooleanField(
        label=_("Every group shares a language"), required=False, initial=True,
        help_text=_("From the languages people list in their profiles."))
    max_per_institution = forms.IntegerField(
        label=_("At most this many from one institution in a group"), required=False,
        min_value=1, max_value=MAX_INSTITUTION_LIMIT, initial=2,
        help_text=_("Leave empty for no limit."))
    rotate = forms.BooleanField(
        label=_("Rotate: mix people who have not met in earlier rounds"), required=False)


class MoveForm(forms.Form):
    """Move someone into a group of a round (or lock or unlock them where they are)."""

    participant = forms.TypedChoiceField(label=_("Person"), coerce=int)
    group = forms.TypedChoiceField(label=_("Into"), coerce=int)
    locked = forms.BooleanField(label=_("Lock them there"), required=False,
                                help_text=_("A repair never moves a locked person."))

    def __init__(self, *args, people=(), groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].choices = [("", _("Choose a person")), *people]
        self.fields["group"].choices = [("", _("Choose a group")), *groups]
