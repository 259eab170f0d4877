"""Hooks for the apps above `exchanges` (dialogues plans reminders on these).

Sent by services inside their transaction, so receivers' writes commit or roll
back with the change that caused them.
"""

from django.dispatch import Signal

# sender=Program, program=...
program_created = Signal()
# sender=Program, program=..., fields=[names changed]: the apps above re-plan messages
program_changed = Signal()
# sender=Program, program=... (changed, not saved yet): sent while an update is checked.
# A receiver answers {field: message} for each rule of its own the new dates would
# break (dialogues: the sessions must stay within the program's dates), or None.
program_dates_changing = Signal()
# sender=Program, program=..., old_languages=[...]: the program's languages changed (saved);
# the apps above move their texts the same way (core.content.realign)
program_languages_changed = Signal()
# sender=Application, application=..., previous_status=...
application_status_changed = Signal()
# sender=Membership, membership=..., actor=... (the row still exists): the person leaves the
# organization; the apps above take away what the membership gave (facilitated sessions)
membership_ending = Signal()
