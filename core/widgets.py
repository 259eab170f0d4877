"""Form widgets."""

import html

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class FlatSelect(forms.Select):
    """A select over a flat list of choices, written in Python.

    Django renders a select's options in its template language, one include each; with
    the hundreds of organizations a field's catalogue lists, that alone took ~9 ms of
    every catalogue page. Same HTML, but for whitespace between the options: the options
    straight from the choices (no per-option context dict, one escape per text), as
    Select.optgroups would select them.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        values, selected = set(widget["value"]), False
        options = []
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                raise ValueError("FlatSelect does not render option groups")
            option_value = "" if option_value is None else str(option_value)
            chosen = not selected and option_value in values
            selected |= chosen
            options.append(f'\n  <option value="{_escape(option_value)}"'
                           f'{" selected" if chosen else ""}>{_escape(label)}</option>')
        return mark_safe(  # noqa: S308 every text in it is escaped
            f'<select name="{_escape(widget["name"])}"{_attributes(widget["attrs"])}>'
            f'{"".join(options)}\n</select>')


def _escape(text) -> str:
    """conditional_escape without its lazy-argument wrapper: it ran once per option."""
    return text.__html__() if hasattr(text, "__html__") else html.escape(str(text))


def _attributes(attrs: dict) -> str:
    """django/forms/widgets/attrs.html in Python: in order, True bare, False left out."""
    return format_html_join("", "{}", (
        (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
        for name, value in attrs.items() if value is not False))
