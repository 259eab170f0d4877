"""Parley's date and time patterns, one module per language (<lang>/formats.py).

Django finds these modules through FORMAT_MODULE_PATH, so the `date` filter (no
argument: DATE_FORMAT) and the admin use them, and Django's own module for the
language fills in every name not set here. Beside Django's names, each module sets
Parley's own, read with `get_format()`:

- WEEKDAY_DATETIME_FORMAT: a time in the current year, "Tue 31 Mar, 09:00"
- WEEKDAY_DATETIME_YEAR_FORMAT: in another year, "Thu 1 Jun 2028, 10:00"
- WEEKDAY_DATE_FORMAT: an agenda's day, "Tuesday 31 March 2026"
- LONG_DATE_FORMAT: a date in a sentence, month in full, "30 April 2031"

Patterns use Django's date format characters; weekday and month names come from
Django's own translations.
"""

from importlib import import_module

from django.conf import settings
from django.utils import formats, translation


def get_format(name: str, lang: str | None = None) -> str:
    """The pattern `name` for `lang` (default: the active language), else English's."""
    lang = lang or translation.get_language() or settings.LANGUAGE_CODE
    for module in formats.get_format_modules(lang):
        pattern = getattr(module, name, None)
        if pattern is not None:
            return pattern
    return getattr(import_module("core.formats.en.formats"), name)
