"""What `dialogues` holds about a person: exported and erased with the account.

Registered with participants.privacy from DialoguesConfig.ready().
"""

from django.utils import timezone

from dialogues.models import RSVP, CalendarFeed, GroupMember
from participants.models import User


def export_sessions(user: User) -> list[dict]:
    return [
        {"session": r.session.title, "program": r.session.program.title,
         "starts_at": r.session.starts_at.isoformat(), "response": r.response,
         "ground_rules_accepted_at": r.ground_rules_accepted_at.isoformat()
         if r.ground_rules_accepted_at else None,
         "attended": r.attended}
        for r in RSVP.objects.filter(participant=user).select_related("session__program")
        .order_by("session__starts_at", "id")
    ]


def export_groups(user: User) -> list[dict]:
    return [
        {"program": m.round.program.title, "round": m.round.number, "group": m.group.name,
         "locked": m.locked}
        for m in GroupMember.objects.filter(participant=user)
        .select_related("round__program", "group").order_by("round__created_at", "id")
    ]


def erase(user: User) -> None:
    """Answers to sessions that have ended stay (anonymous counts); answers to sessions
    still to come go: an erased person will not come, holds no seat and is not counted
    as "said yes". The private feed URL goes."""
    RSVP.objects.filter(participant=user, session__ends_at__gt=timezone.now()).delete()
    CalendarFeed.objects.filter(user=user).delete()


def connect() -> None:
    from participants import privacy

    privacy.register_exporter("sessions", export_sessions)
    privacy.register_exporter("groups", export_groups)
    privacy.register_eraser(erase)
