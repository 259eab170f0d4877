"""Every word a template shows is marked for translation, and the styles mirror for RTL.

Templates are read with Django's own lexer: text outside {% translate %},
{% blocktranslate %}, tags, variables and comments is what a reader sees untranslated,
and so are the visible attributes (alt, title, aria-label, placeholder,
data-confirm). Only the few words below may stay as written.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Proper names and symbols that read the same in every language.
ALLOWED = {"Parley"}
GAP = "\x00"  # stands for a tag, a variable or a translated block
VISIBLE_ATTRIBUTES = re.compile(
    r"""\b(?:alt|title|aria-label|placeholder|data-confirm)\s*=\s*(["'])(.*?)\1""", re.S)
TAG = re.compile(r"<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S)
SKIPPED_ELEMENTS = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")


def _seen_text(source: str) -> str:
    """The template with every tag, variable, comment and translated block as GAP."""
    parts, depth = [], []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name in {"blocktranslate", "blocktrans", "comment"}:
                depth.append(name)
            elif name in {"endblocktranslate", "endblocktrans", "endcomment"} and depth:
                depth.pop()
            parts.append(GAP)
        elif token.token_type == TokenType.TEXT and not depth:
            parts.append(token.contents)
        else:
            parts.append(GAP)
    return "".join(parts)


def untranslated_words(source: str, *, html: bool) -> list[str]:
    text = _seen_text(source)
    found = []
    if html:
        text = SKIPPED_ELEMENTS.sub(GAP, text)
        text = re.sub(r"<!--.*?-->", GAP, text, flags=re.S)
        for tag in TAG.findall(text):
            found.extend(value for _quote, value in VISIBLE_ATTRIBUTES.findall(tag))
        text = TAG.sub(GAP, text)
    found.extend(text.split(GAP))
    words = []
    for chunk in found:
        chunk = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", ENTITY.sub(" ", chunk))
        if re.search(r"[^\W\d_]", chunk) and chunk not in ALLOWED:
            words.append(chunk)
    return words


def _templates():
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_text_is_marked_for_translation(path):
    words = untranslated_words(path.read_text(), html=path.suffix == ".html")
    assert words == [], f"{path.relative_to(TEMPLATES)} shows text not marked for translation"


@pytest.mark.parametrize(("source", "expected"), [
    ("<p>Hello</p>", ["Hello"]),
    ('<img alt="A map">', ["A map"]),
    ("{% load i18n %}<p>{% translate 'Hello' %}</p>", []),
    ("<p>{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}</p>", []),
    ("<p>{{ title }} · {{ other }}</p>", []),
    ("{# a note #}{% comment %}Notes{% endcomment %}<a href='/'>Parley</a>", []),
    ('<a title="{% translate "Home" %}" href="/">x</a>', ["x"]),
])
def test_the_check_finds_text_outside_translation(source, expected):
    assert untranslated_words(source, html=True) == expected


PHYSICAL = re.compile(
    r"(?<![-\w])(?:margin|padding|border)-(?:left|right)\b"
    r"|(?<![-\w])(?:left|right)\s*:"
    r"|\b(?:text-align|float|clear)\s*:\s*(?:left|right)\b"
    r"|border-(?:top|bottom)-(?:left|right)-radius")


@pytest.mark.parametrize("path", sorted((Path(settings.BASE_DIR) / "static" / "css").glob(
    "*.css")), ids=lambda p: p.name)
def test_styles_use_logical_properties_so_rtl_pages_mirror(path):
    css = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    physical = [m.group(0) for m in PHYSICAL.finditer(css)]
    # Four-value shorthands whose second and fourth values differ are one-sided too.
    for prop, values in re.findall(r"(?<![-\w])(margin|padding)\s*:\s*([^;}]+)", css):
        parts = values.split()
        if len(parts) == 4 and parts[1] != parts[3]:
            physical.append(f"{prop}: {values}")
    assert physical == [], "use margin-inline-start/end, inset-inline-start/end, text-align: start"


def test_the_style_check_finds_physical_properties():
    assert PHYSICAL.search("a { margin-left: 1rem }")
    assert PHYSICAL.search("a { text-align: right }")
    assert PHYSICAL.search("a { left: 0 }")
    assert not PHYSICAL.search(
        "a { margin-inline-start: 1rem; text-align: start; inset-inline-start: 0 }")
