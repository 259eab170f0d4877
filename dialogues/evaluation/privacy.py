"""What evaluation holds about a person: their survey answers, exported with the account;
on erasure the answers stay, unlinked (see services.unlink_person).

Registered with participants.privacy from DialoguesConfig.ready().
"""

from dialogues.evaluation.services import unlink_person
from dialogues.models import Respondent
from participants.models import User


def _iso(value):
    return value.isoformat() if value else None


def export_surveys(user: User) -> list[dict]:
    respondents = (Respondent.objects.filter(user=user).select_related("program", "side")
                   .prefetch_related("responses__wave").order_by("created_at", "id"))
    return [
        {"program": r.program.title, "side": r.side.name, "declined_at": _iso(r.declined_at),
         "responses": [
             {"wave": response.wave.name, "submitted_at": _iso(response.submitted_at),
              "research_consent_at": _iso(response.consented_at), "answers": response.answers}
             for response in sorted(r.responses.all(), key=lambda x: x.wave.position)]}
        for r in respondents
    ]


def connect() -> None:
    from participants import privacy

    privacy.register_exporter("surveys", export_surveys)
    privacy.register_eraser(unlink_person)
