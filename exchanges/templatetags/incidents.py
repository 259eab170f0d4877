"""`{% incident_access program as incidents %}`: whether the viewer may report a concern
in the program (`incidents.can_report`) and works its incidents (`incidents.works`), for
the links and the program tab that only they see. Each answer is asked at most once per
program and request, and only when a template reads it."""

from functools import cached_property

from django import template

from exchanges.incidents.selectors import INCIDENT_ROLES
from exchanges.selectors import is_accepted_to, role_in

register = template.Library()


class IncidentAccess:
    def __init__(self, user, program):
        self.user, self.program = user, program

    @cached_property
    def role(self) -> str | None:
        if not self.user.is_authenticated:
            return None
        return role_in(self.user, self.program.organization_id)

    @cached_property
    def works(self) -> bool:
        return self.role in INCIDENT_ROLES

    @cached_property
    def can_report(self) -> bool:
        return self.role is not None or is_accepted_to(self.user, self.program.pk)


@register.simple_tag(takes_context=True)
def incident_access(context, program) -> IncidentAccess | None:
    request = context.get("request")
    if program is None or request is None:
        return None
    cache = request.__dict__.setdefault("_incident_access", {})
    if program.pk not in cache:
        cache[program.pk] = IncidentAccess(request.user, program)
    return cache[program.pk]
