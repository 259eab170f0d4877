"""The translation catalogues: complete, faithful to their placeholders, with the right
plural forms, up to date with the code, and compiled without GNU gettext."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from core.catalogues import catalogue_files, compile_catalogue, is_compiled, language_of
from tests.conftest import missing

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# gettext's own plural rules: Arabic has six forms, Russian and Ukrainian three.
NPLURALS = {"ar": 6, "ru": 3, "uk": 3, "he": 2, "el": 2, "tr": 2, "fr": 2, "es": 2}
# Translations that are rightly the same as the English.
SAME_AS_ENGLISH = {
    "*": {"— Parley", "%(start)s – %(end)s", "slug"},
    "el": {"Chatham House", "Email", "email"},
    "tr": {"Chatham House", "program", "%(n)s program"},
    "ru": {"Email", "email"},
    "uk": {"Email", "email"},
    "fr": {"Chatham House", "Absent", "Description", "description", "Page %(n)s", "Places",
           "Respect", "Version %(version)s", "dialogues", "message", "motivation",
           "participants", "position"},
    "es": {"Chatham House", "error", "no"},
}
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]?\d*(?:\.\d+)?[sdifr]")


def placeholders(text: str) -> list[str]:
    """The formatting placeholders of a text, "%%" (a literal percent sign) left out."""
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))
MARKUP = re.compile(r"</?[a-z]+[^>]*>|&[a-z]+;")


def _catalogues():
    return [path for path in catalogue_files() if path.suffix == ".po"]


def _ids(paths):
    return [f"{language_of(p)}/{p.name}" for p in paths]


def _entries(po_path):
    return [entry for entry in polib.pofile(str(po_path)) if not entry.obsolete]


def _forms(entry):
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def _label(entry):
    return f"{entry.msgctxt + ': ' if entry.msgctxt else ''}{entry.msgid!r}"


def test_every_language_of_the_switcher_has_a_catalogue():
    assert sorted(language_of(p) for p in _catalogues()) == sorted(LANGUAGES)


@pytest.mark.parametrize("po_path", _catalogues(), ids=_ids(_catalogues()))
def test_no_entry_is_untranslated_or_fuzzy(po_path):
    catalogue = polib.pofile(str(po_path))
    left = [_label(e) for e in catalogue.untranslated_entries() + catalogue.fuzzy_entries()]
    assert left == [], f"{len(left)} entries to translate; run `make messages` for the counts"
    assert not catalogue.metadata_is_fuzzy


@pytest.mark.parametrize("po_path", _catalogues(), ids=_ids(_catalogues()))
def test_placeholders_and_markup_are_kept(po_path):
    wrong = []
    for entry in _entries(po_path):
        sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        wanted = placeholders(sources[-1])
        markup = sorted(MARKUP.findall(sources[-1]))
        for form in _forms(entry):
            if placeholders(form) != wanted:
                wrong.append(f"{_label(entry)} → {form!r}: placeholders {wanted}")
            if sorted(MARKUP.findall(form)) != markup:
                wrong.append(f"{_label(entry)} → {form!r}: markup {markup}")
            if "%" in PLACEHOLDER.sub("", form.replace("%%", "")) and "%" not in (
                    PLACEHOLDER.sub("", sources[-1].replace("%%", ""))):
                wrong.append(f"{_label(entry)} → {form!r}: a stray % breaks formatting")
    assert wrong == []


@pytest.mark.parametrize("po_path", _catalogues(), ids=_ids(_catalogues()))
def test_plural_forms_follow_the_language(po_path):
    language = language_of(po_path)
    catalogue = polib.pofile(str(po_path))
    header = catalogue.metadata["Plural-Forms"]
    nplurals = int(re.search(r"nplurals\s*=\s*(\d+)", header).group(1))
    assert nplurals == NPLURALS[language]
    rule = gettext.c2py(re.search(r"plural\s*=\s*(.+?);?\s*$", header).group(1))
    assert {rule(n) for n in range(0, 1001)} == set(range(nplurals))
    wrong = [_label(e) for e in _entries(po_path)
             if e.msgid_plural and (sorted(e.msgstr_plural) != list(range(nplurals))
                                    or not all(e.msgstr_plural.values()))]
    assert wrong == []


@pytest.mark.parametrize("po_path", _catalogues(), ids=_ids(_catalogues()))
def test_translations_are_not_copies_of_the_english(po_path):
    allowed = SAME_AS_ENGLISH["*"] | SAME_AS_ENGLISH.get(language_of(po_path), set())
    copies = [_label(e) for e in _entries(po_path)
              if re.search(r"[A-Za-z]", e.msgid) and e.msgid not in allowed
              and any(form == e.msgid for form in _forms(e))]
    assert copies == []


def _extracted_msgids(tmp_path) -> set[tuple[str | None, str]]:
    """What `makemessages` would extract from the code now, run on a copy of it."""
    if shutil.which("xgettext") is None:
        missing("GNU gettext's xgettext is not installed, so the catalogues cannot be "
                "compared with the code: `apt-get install gettext`")
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(
        ".venv", "var", "locale", "tests", "test-artifacts", "bench", ".git", "node_modules",
        "__pycache__", "*.mo", "docs", "static"))
    (copy / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "xx", "--no-location",
         "--ignore=.venv", "--ignore=var"],
        cwd=copy, check=True, capture_output=True,
        env={"PATH": "/usr/bin:/bin", "PARLEY_VAR_DIR": str(tmp_path / "var")})
    extracted = polib.pofile(str(copy / "locale" / "xx" / "LC_MESSAGES" / "django.po"))
    return {(e.msgctxt, e.msgid) for e in extracted}


def test_catalogues_hold_exactly_what_the_code_marks(tmp_path):
    code = _extracted_msgids(tmp_path)
    assert len(code) > 500
    for po_path in _catalogues():
        held = {(e.msgctxt, e.msgid) for e in _entries(po_path)}
        assert sorted(code - held, key=str) == [], (
            f"{po_path}: strings in the code are not in the catalogue; run `make messages`")
        assert sorted(held - code, key=str) == [], (
            f"{po_path}: the catalogue has strings the code no longer uses; run `make messages`")


@pytest.mark.parametrize("po_path", _catalogues(), ids=_ids(_catalogues()))
def test_catalogues_are_compiled(po_path):
    assert is_compiled(po_path), f"{po_path.with_suffix('.mo')} is missing or older: make install"


def test_the_pure_python_compiler_writes_what_gettext_reads(tmp_path):
    po_path = tmp_path / "django.po"
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8",
                          "Plural-Forms": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
                                          "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"}
    catalogue.append(polib.POEntry(msgid="Sign in", msgstr="Войти"))
    catalogue.append(polib.POEntry(msgid="Draft", msgstr="Черновик", flags=["fuzzy"]))
    catalogue.append(polib.POEntry(msgid="%(n)s seat", msgid_plural="%(n)s seats",
                                   msgstr_plural={0: "%(n)s место", 1: "%(n)s места",
                                                  2: "%(n)s мест"}))
    catalogue.save(str(po_path))
    with compile_catalogue(po_path).open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    assert compiled.gettext("Sign in") == "Войти"
    assert compiled.gettext("Draft") == "Draft"  # fuzzy entries are left out
    assert [compiled.ngettext("%(n)s seat", "%(n)s seats", n) for n in (1, 3, 5)] == [
        "%(n)s место", "%(n)s места", "%(n)s мест"]
