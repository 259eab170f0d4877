"""The participant's "Messages" page: what was sent, what is scheduled, and the
switch for reminder and follow-up emails."""

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from participants import services
from participants.models import Notification, NotificationStatus, User
from participants.outbox.kinds import describe

SHOWN = 50


class MessagePreferenceForm(forms.Form):
    notify_email = forms.BooleanField(
        label=_("Send me reminder and follow-up emails"), required=False,
        help_text=_("Notices about your own applications and about cancelled sessions are "
                    "always sent."),
    )


def _described(rows):
    rows = list(rows[:SHOWN])
    describe(rows)
    return rows


@login_required
def my_messages(request):
    user = request.user
    form = MessagePreferenceForm(request.POST if request.method == "POST" else None,
                                 initial={"notify_email": user.notify_email})
    if request.method == "POST" and form.is_valid():
        enabled = form.cleaned_data["notify_email"]
        services.user_update_profile(user=User.objects.get(pk=user.pk), notify_email=enabled)
        flash.success(request, _("Reminder and follow-up emails are on.") if enabled
                      else _("Reminder and follow-up emails are off."))
        return redirect("outbox:messages")
    mine = Notification.objects.filter(recipient=user)
    scheduled = mine.filter(
        status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
    ).order_by("due_at", "id")
    sent = mine.filter(status=NotificationStatus.SENT).order_by("-sent_at", "-id")
    return render(request, "participants/messages.html", {
        "form": form, "scheduled": _described(scheduled), "sent": _described(sent),
    })
