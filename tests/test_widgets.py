"""core.widgets.FlatSelect writes the HTML Django's Select writes, faster."""

import pytest
from django import forms

from core.widgets import FlatSelect

CHOICES = [("", "All organizations"), ("a-b", "Peace & <Dialogue>"), ("c", "Café Ünion"), (7, "7")]


def without_blank_lines(html: str) -> str:
    return "\n".join(line for line in html.splitlines() if line.strip())


@pytest.mark.parametrize("value", ["", "a-b", "c", 7, "unknown", None])
@pytest.mark.parametrize("attrs", [None, {"id": "id_organization", "required": True,
                                          "aria-describedby": "help", "disabled": False}])
def test_the_html_is_djangos_select(value, attrs):
    ours = FlatSelect(choices=CHOICES, attrs=attrs).render("organization", value)
    django = forms.Select(choices=CHOICES, attrs=attrs).render("organization", value)
    assert ours == without_blank_lines(django)


def test_option_groups_are_refused_rather_than_flattened():
    widget = FlatSelect(choices=[("Europe", [("fr", "France")])])
    with pytest.raises(ValueError, match="option groups"):
        widget.render("country", "fr")
