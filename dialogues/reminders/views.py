"""The program's reminder settings page (staff): edit the schedule, see what is coming."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict
from dialogues.models import ReminderKind
from dialogues.reminders.services import reminder_schedule, reminder_schedule_set, upcoming_messages
from exchanges.models import STAFF_ROLES
from exchanges.selectors import programs_visible_to, role_in
from participants.outbox.kinds import kind_label

# Each field lists offsets in a unit people think in; the schedule stores minutes.
FIELDS = {
    "session_reminders": (ReminderKind.SESSION_REMINDER, 60, -1),
    "session_followups": (ReminderKind.SESSION_FOLLOWUP, 60, 1),
    "program_followups": (ReminderKind.PROGRAM_FOLLOWUP, 24 * 60, 1),
}


class OffsetsField(forms.CharField):
    """A comma-separated list of positive numbers (decimals allowed)."""

    def to_python(self, value):
        text = super().to_python(value)
        numbers = []
        for part in text.replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                number = Decimal(part.strip())
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or number <= 0:
                raise ValidationError(
                    _("“%(value)s” is not a positive number. Separate numbers with commas.")
                    % {"value": part.strip()})
            numbers.append(number)
        return numbers


class ReminderScheduleForm(forms.Form):
    session_reminders = OffsetsField(
        label=gettext_lazy("Session reminders: hours before each session"), required=False,
        help_text=gettext_lazy("E.g. “24, 1”. Leave empty for no reminders."))
    session_followups = OffsetsField(
        label=gettext_lazy("Session follow-ups: hours after each session ends"), required=False,
        help_text=gettext_lazy("Sent to those marked as attending (or, without attendance, "
                               "to those who said yes). E.g. “24”."))
    program_followups = OffsetsField(
        label=gettext_lazy("Program follow-ups: days after the program ends"), required=False,
        help_text=gettext_lazy("E.g. “30, 90”."))

    def rules(self) -> list[tuple[str, int]]:
        return [
            (kind, sign * round(number * unit))
            for name, (kind, unit, sign) in FIELDS.items()
            for number in self.cleaned_data[name]
        ]


def _as_text(minutes: int, unit: int) -> str:
    value = Decimal(abs(minutes)) / unit
    return f"{value.normalize():f}"


def initial_from(rules) -> dict[str, str]:
    return {
        name: ", ".join(_as_text(offset, unit) for rule_kind, offset in rules if rule_kind == kind)
        for name, (kind, unit, _sign) in FIELDS.items()
    }


@login_required
def program_reminders(request, program_id):
    program = get_object_or_404(programs_visible_to(request.user), pk=program_id)
    if role_in(request.user, program.organization_id) not in STAFF_ROLES:
        raise PermissionDenied
    form = ReminderScheduleForm(request.POST if request.method == "POST" else None,
                                initial=initial_from(reminder_schedule(program)))
    if request.method == "POST" and form.is_valid():
        try:
            reminder_schedule_set(program=program, actor=request.user, rules=form.rules())
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            flash.success(request, _("The reminder schedule was saved; pending messages were "
                                     "re-planned."))
            return redirect("program-reminders", program_id=program.pk)
    upcoming = upcoming_messages(program)
    for message in upcoming:
        message.label = kind_label(message.kind)
    return render(request, "dialogues/reminders.html", {
        "program": program, "form": form, "upcoming": upcoming,
    })


