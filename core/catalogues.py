"""Parley's own translation catalogues (locale/<lang>/LC_MESSAGES/*.po): where they
are, how complete they are, and their compiled .mo files.

Compiling is pure Python (polib), so a fresh machine needs no system package:
GNU gettext is a developer's tool for extracting strings (`make messages`), never
needed to install or run Parley.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings


def catalogue_files() -> list[Path]:
    """Every .po file under LOCALE_PATHS, sorted."""
    files: list[Path] = []
    for root in settings.LOCALE_PATHS:
        files.extend(Path(root).glob("*/LC_MESSAGES/*.po"))
    return sorted(files)


def language_of(po_path: Path) -> str:
    return po_path.parent.parent.name


def is_compiled(po_path: Path) -> bool:
    mo_path = po_path.with_suffix(".mo")
    return mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime


def compile_catalogue(po_path: Path) -> Path:
    """Write <name>.mo beside <name>.po; untranslated and fuzzy entries are left out.

    Written to a temporary file and renamed, so a running server never reads half a file.
    """
    mo_path = po_path.with_suffix(".mo")
    handle, temporary = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
    os.close(handle)
    try:
        polib.pofile(str(po_path)).save_as_mofile(temporary)
        os.replace(temporary, mo_path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return mo_path


@dataclass(frozen=True)
class Status:
    language: str
    domain: str
    entries: int
    translated: int
    untranslated: int
    fuzzy: int


def status(po_path: Path) -> Status:
    catalogue = polib.pofile(str(po_path))
    entries = [entry for entry in catalogue if not entry.obsolete]
    return Status(
        language=language_of(po_path),
        domain=po_path.stem,
        entries=len(entries),
        translated=len(catalogue.translated_entries()),
        untranslated=len(catalogue.untranslated_entries()),
        fuzzy=len(catalogue.fuzzy_entries()),
    )
