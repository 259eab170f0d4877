"""Form widgets."""

from django import forms
from django.utils.html import format_html, format_html_join


class FlatSelect(forms.Select):
    """A select over a flat list of choices, written in Python.

    Django renders a select's options in its template language, one include each; with
    the hundreds of organizations a field's catalogue lists, that alone took ~9 ms of
    every catalogue page. Same HTML, but for whitespace between the options.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = []
        for group_name, group_options, _index in widget["optgroups"]:
            if group_name:
                raise ValueError("FlatSelect does not render option groups")
            options += group_options
        return format_html(
            '<select name="{}"{}>{}\n</select>', widget["name"], _attributes(widget["attrs"]),
            format_html_join("", '\n  <option value="{}"{}>{}</option>', (
                (option["value"], " selected" if option["selected"] else "", option["label"])
                for option in options)))


def _attributes(attrs: dict) -> str:
    """django/forms/widgets/attrs.html in Python: in order, True bare, False left out."""
    return format_html_join("", "{}", (
        (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
        for name, value in attrs.items() if value is not False))
