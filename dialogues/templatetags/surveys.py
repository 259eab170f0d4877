"""`{% waiting_surveys as surveys %}`: the signed-in person's open, unanswered surveys, for
the pages that point participants to them."""

from django import template

from dialogues.evaluation.selectors import surveys_of

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_surveys(context) -> list:
    request = context.get("request")
    return surveys_of(request.user) if request is not None else []
