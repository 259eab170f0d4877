from django import template

from exchanges.identity.selectors import role_label as _role_label

register = template.Library()


@register.filter
def role_label(role: str) -> str:
    """A role code ("custodian", "platform_admin") as people read it."""
    return _role_label(role)
