"""Text people wrote, shown safely in both directions.

A program title in Arabic inside an English sentence (or a Latin name inside a
Hebrew one) must keep its own direction without reordering the words around it:
`{{ program.title|bdi }}` isolates it in a <bdi> element. Block elements holding
only such text carry dir="auto" instead. Loaded for every template (a builtin).
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter(is_safe=True)
def bdi(value) -> SafeString:
    """`value` (escaped unless already safe) inside <bdi>…</bdi>; empty stays empty."""
    if value is None or value == "":
        return mark_safe("")  # noqa: S308 - constant empty string
    return mark_safe(f"<bdi>{conditional_escape(value)}</bdi>")  # noqa: S308 - escaped above
