"""Text people wrote, shown safely in both directions.

A program title in Arabic inside an English sentence (or a Latin name inside a
Hebrew one) must keep its own direction without reordering the words around it:
`{{ program.title|bdi }}` isolates it in a <bdi> element. Block elements holding
only such text carry dir="auto" instead. Loaded for every template (a builtin).
"""

from django import template
from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from core import content

register = template.Library()


@register.filter(is_safe=True)
def bdi(value) -> SafeString:
    """`value` (escaped unless already safe) inside <bdi>…</bdi>; empty stays empty."""
    if value is None or value == "":
        return mark_safe("")  # noqa: S308 - constant empty string
    return mark_safe(f"<bdi>{conditional_escape(value)}</bdi>")  # noqa: S308 - escaped above


# --- Texts staff wrote in several languages (core.content) ------------------------------


def _main_language(obj, program) -> str:
    return getattr(program if program is not None else obj, "main_language", None) or (
        settings.LANGUAGE_CODE)


def _language_name(code: str) -> str:
    """In the reader's language: "(in English)" reads "(İngilizce)" in Turkish."""
    return get_language_info(code)["name_translated"]


@register.simple_tag
def content_lang(obj, field: str, program=None) -> str:
    """The language `obj.<field>` is shown in, for a `lang` attribute."""
    return content.shown_language(obj, field, _main_language(obj, program))


@register.simple_tag
def localized(obj, field: str, program=None) -> SafeString:
    """`obj.<field>` in <bdi lang=…>, marked "(in English)" when it is not in the reader's
    language but in the program's first one."""
    shown = content_lang(obj, field, program)
    html = format_html('<bdi lang="{}">{}</bdi>', shown, getattr(obj, field))
    if shown != content.active_language():
        mark = _("(in %(language)s)") % {"language": _language_name(shown)}
        html += format_html(' <small class="content-lang">{}</small>', mark)
    return html


@register.simple_tag
def untranslated_note(program) -> SafeString:
    """A note when the program is not (yet) written in the reader's language."""
    reader = content.active_language()
    if content.shown_language(program, "title", program.main_language) == reader:
        return mark_safe("")  # noqa: S308 - constant empty string
    note = _("Not yet translated into %(language)s; shown in %(main)s.") % {
        "language": _language_name(reader), "main": _language_name(program.main_language)}
    return format_html('<p class="content-note">{}</p>', note)
