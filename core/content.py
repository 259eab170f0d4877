"""Content staff write in several languages: a program's title, its sides' names, a
session's ground rules.

django-modeltranslation adds one column per language next to each translated field
(`title_en`, `title_tr`, ...), so a list stays one query without joins. Two rules are
ours and differ from the library's defaults:

- The base column (`title`) is the main language's column: it keeps the text in the
  program's first `languages` entry, and that language's own column stays empty, so
  there is one copy of each text. Every existing query, index and constraint keeps its
  meaning: queries are not rewritten to the active language (`ContentManager`), and
  writing `obj.title` (a constructor argument included) writes the main text.
- Reading `obj.title` gives the active language's text when it is written, else the main
  language's, so pages, emails (rendered in the recipient's language) and the API answer
  in the reader's language without knowing about translations. The library's fallback
  is one list for the whole site; ours is each program's own first language.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from modeltranslation.manager import MultilingualManager

CONTENT_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def column(field: str, language: str) -> str:
    return f"{field}_{language.replace('-', '_')}"


def active_language() -> str:
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in CONTENT_LANGUAGES else settings.LANGUAGE_CODE


class ContentManager(MultilingualManager):
    """The library's manager, with its rewriting of lookups to the active language off:
    `filter(title=...)` means the base column, the main language's text."""

    def get_queryset(self):
        return super().get_queryset().rewrite(False)


# Set while Django copies field values from one instance to another (refresh_from_db):
# the copy must be the main text, not the reader's translation.
_main_only: ContextVar[bool] = ContextVar("content_main_only", default=False)


@contextmanager
def main_texts():
    token = _main_only.set(True)
    try:
        yield
    finally:
        _main_only.reset(token)


class ContentDescriptor:
    """`obj.<field>`: the active language's text if written, else the main language's."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, instance, owner):
        if instance is None:
            return self
        if self.name not in instance.__dict__:
            instance.refresh_from_db(fields=[self.name])
        if _main_only.get() or getattr(instance, "_mt_disable", False):
            # Model.clean_fields (which the library marks so) reads each field and writes
            # the cleaned value back: that must be the main text.
            return instance.__dict__[self.name]
        translated = instance.__dict__.get(column(self.name, active_language()))
        return translated or instance.__dict__[self.name]

    def __set__(self, instance, value):
        instance.__dict__[self.name] = value


def _main_text_of(field):
    """Saving, forms (the admin's too) and fixtures take the main text, never the
    reader's translation."""

    def stored_value(model_instance, add=False):
        return model_instance.__dict__.get(field.attname)

    return stored_value


def _refresh_keeps_main_texts(model) -> None:
    """Model.refresh_from_db copies each field with getattr from a fresh instance."""
    refresh = model.refresh_from_db

    def refresh_from_db(self, *args, **kwargs):
        with main_texts():
            return refresh(self, *args, **kwargs)

    model.refresh_from_db = refresh_from_db


def install(model, fields: tuple[str, ...]) -> None:
    """Called right after the library registered `fields` of `model`."""
    # The library's constructor also copies `title=` into the active language's column.
    if "__init__" in model.__dict__:
        del model.__init__
    _refresh_keeps_main_texts(model)
    for name in fields:
        setattr(model, name, ContentDescriptor(name))
        field = model._meta.get_field(name)
        field.pre_save = field.value_from_object = _main_text_of(field)
    model.content_fields = fields


def translation_columns(model) -> list[str]:
    """The per-language columns (for forms that edit the main texts only)."""
    return [column(field, code) for field in model.content_fields for code in CONTENT_LANGUAGES]


def main_text(obj, field: str) -> str:
    """The main language's text whatever the active language."""
    if field not in obj.__dict__:
        obj.refresh_from_db(fields=[field])
    return obj.__dict__[field]


def translations(obj, languages: list[str]) -> dict[str, dict[str, str]]:
    """{field: {language: text}} for the written texts in the program's languages; the
    main language's text is the base column."""
    main = languages[0] if languages else settings.LANGUAGE_CODE
    result = {}
    for field in obj.content_fields:
        texts = {}
        for language in languages:
            text = main_text(obj, field) if language == main else getattr(
                obj, column(field, language)) or ""
            if text:
                texts[language] = text
        result[field] = texts
    return result


def columns_of(obj) -> list[str]:
    """Every column of `obj`'s texts, the base ones included (for save(update_fields))."""
    return [name for field in obj.content_fields
            for name in (field, *(column(field, code) for code in CONTENT_LANGUAGES))]


def validate_languages(value) -> None:
    """A non-empty list of distinct language codes from settings.LANGUAGES."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Choose at least one language."), code="required")
    unknown = [code for code in value if code not in CONTENT_LANGUAGES]
    if unknown:
        raise ValidationError(_("Unknown language: %(code)s."), params={"code": unknown[0]},
                              code="invalid_choice")
    if len(set(value)) != len(value):
        raise ValidationError(_("Each language once."), code="unique")


def validate_language_list(languages) -> None:
    """The program's `languages` (validate_languages), named for a 400."""
    try:
        validate_languages(languages)
    except ValidationError as exc:
        raise ValidationError({"languages": exc.messages}) from exc


def foreign_languages(translations: dict | None, languages: list[str]) -> list[str]:
    """A message for each language of `translations` the program is not written in."""
    found = {language for texts in (translations or {}).values() for language in texts}
    return [
        _("%(language)s is not one of this program's languages (%(languages)s).")
        % {"language": language, "languages": ", ".join(languages)}
        for language in sorted(found - set(languages))
    ]


def write(obj, translations: dict | None, *, main: str) -> None:
    """{field: {language: text}} into the columns; "" clears a translation. The main
    language's text is the base column."""
    for field, texts in (translations or {}).items():
        for language, text in texts.items():
            text = text.strip()
            setattr(obj, column(field, language), text or None)
            if language == main:
                obj.__dict__[field] = text


def align_columns(obj, languages: list[str]) -> None:
    """The main language's text is only in the base column, and languages no longer
    offered lose their texts."""
    for field in obj.content_fields:
        for language in CONTENT_LANGUAGES:
            if language == languages[0] or language not in languages:
                setattr(obj, column(field, language), None)


def change_main_language(obj, old_main: str, new_main: str) -> None:
    """The old main text moves into its own language's column, and the new main
    language's text, where written, into the base column."""
    for field in obj.content_fields:
        setattr(obj, column(field, old_main), main_text(obj, field) or None)
        new_text = getattr(obj, column(field, new_main))
        if new_text:
            obj.__dict__[field] = new_text


def realign(obj, old_languages: list[str], languages: list[str]) -> None:
    """After the program's languages changed: a new first language, dropped languages."""
    if old_languages and old_languages[0] != languages[0]:
        change_main_language(obj, old_languages[0], languages[0])
    align_columns(obj, languages)


def shown_language(obj, field: str, main: str) -> str:
    """The language `obj.<field>` is shown in now: the reader's when written, else main."""
    language = active_language()
    if language != main and getattr(obj, column(field, language), None):
        return language
    return main


def search_q(field: str, word: str) -> Q:
    """`word` in the reader's language or in the main language (the fallback)."""
    q = Q(**{f"{field}__icontains": word})
    language = active_language()
    return q | Q(**{f"{column(field, language)}__icontains": word})


def titles(queryset, field: str = "title") -> dict[int, str]:
    """{pk: text} in the reader's language where written, else the main language's, in
    one query."""
    reader = column(field, active_language())
    return {pk: translated or main
            for pk, main, translated in queryset.values_list("pk", field, reader)}
