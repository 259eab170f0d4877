"""The program list (GET programs/) from values_list() rows instead of model instances.

A page of the list is the hot path of the API: building Program and Side instances,
a prefetch queryset per program and DRF's field-by-field serialization cost more than
the queries. This module answers the same JSON, byte for byte, from values_list() rows
and a second query reading the page's sides. Its plan is derived once
from ProgramSerializer's fields, so a plain field added there appears here too; a
SerializerMethodField needs its counterpart in METHOD_FIELDS (building the plan
fails loudly otherwise), and tests/api/test_program_list_lean.py compares both outputs.
"""

import json
from collections import defaultdict
from collections.abc import Callable
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    Field,
    Func,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from rest_framework import serializers

from core import content, prepared
from exchanges.api.serializers import ProgramSerializer
from exchanges.models import Application, Program, Side
from exchanges.selectors import Visibility, programs_visible_through, visibility_of
from exchanges.services import seats_per_side
from participants.models import User

# DRF fields whose to_representation gives back a database value of their type unchanged.
_AS_IS = (serializers.CharField, serializers.IntegerField, serializers.BooleanField,
          serializers.ChoiceField, serializers.ListField)
_SIDE_COUNTS = ("accepted", "waitlisted", "pending")

Row = tuple  # a values_list() row, its columns in plan()'s order
Getter = Callable[[Row, "Page"], object]


class Page:
    """What the rows of one page share: the reader's language, the sides."""

    def __init__(self, rows: list[Row]):
        self.language = content.active_language()
        at = plan().at
        program_id, is_staff = at["id"], at["is_staff"]
        self.sides = _sides_of([row[program_id] for row in rows],
                               [row[program_id] for row in rows if row[is_staff]])


def _sides_of(program_ids: list[int], staffed: list[int]) -> dict[int, list[Row]]:
    """The sides of the page's programs in one query, in Side's own order (rows in
    SIDE_COLUMNS' order); the sides of `staffed` programs with their applications
    counted by status (exchanges.api.serializers.seat_context's numbers, for staff
    only). On PostgreSQL a prepared statement (core.prepared) taking both lists as
    array parameters."""
    sides = defaultdict(list)
    if not program_ids:
        return sides
    if connection.vendor == "postgresql":
        statement = prepared.statement("program sides", _sides_query, _ARRAY_SLOTS)
        rows = statement.rows((program_ids, staffed))
    else:
        rows = _sides_query(program_ids, staffed)
    program_id = _SIDE_AT["program_id"]
    for row in rows:
        sides[row[program_id]].append(row)
    return sides


# COUNT(*) as a plain function, not an aggregate Django would group by: the subquery is
# one row, 0 when nothing matches. Its output a plain Field: the database's integer as
# it comes (an IntegerField would run a converter on every value).
_COUNT = Func(template="COUNT(*)", output_field=Field())

_ARRAY_SLOTS = ([prepared.INT_SLOTS[0]], [prepared.INT_SLOTS[1]])


# A side row's columns: the id, the program's, the texts, then the counts.
SIDE_COLUMNS = ("id", "program_id", *content.columns_of(Side), *_SIDE_COUNTS)
_SIDE_AT = {name: n for n, name in enumerate(SIDE_COLUMNS)}


def _sides_query(program_ids: list[int], staffed: list[int]):
    counts = {status: Case(When(prepared.among("program_id", staffed), then=Subquery(
        Application.objects.filter(side_id=OuterRef("pk"), status=status).order_by()
        .values(n=_COUNT))), output_field=Field()) for status in _SIDE_COUNTS}
    return (Side.objects.filter(prepared.among("program_id", program_ids))
            .order_by(*Side._meta.ordering).annotate(**counts).values_list(*SIDE_COLUMNS))


class Texts:
    """Where a row keeps a translated field: its base column and, per language, the
    language's column (rows of programs or of sides, by their own positions)."""

    def __init__(self, field: str, at: dict[str, int]):
        self.base = at[field]
        self.by_language = {code: at[content.column(field, code)]
                            for code in content.CONTENT_LANGUAGES}

    def shown(self, row: Row, language: str):
        """core.content.ContentDescriptor's rule over a row."""
        return row[self.by_language[language]] or row[self.base]


def _translations(row: Row, texts: dict[str, Texts], languages: tuple[str, ...]) -> dict:
    """core.content.translations over a row."""
    main = languages[0] if languages else settings.LANGUAGE_CODE
    result = {}
    for field, where in texts.items():
        found = {}
        for language in languages:
            text = row[where.base] if language == main else row[where.by_language[language]]
            if text:
                found[language] = text
        result[field] = found
    return result


_SIDE_TEXTS = {field: Texts(field, _SIDE_AT) for field in Side.content_fields}


def _program_translations(at: dict[str, int]) -> Getter:
    texts = {field: Texts(field, at) for field in Program.content_fields}
    languages = at["languages_text"]
    return lambda row, page: _translations(row, texts, _languages(row[languages]))


def _program_sides(at: dict[str, int]) -> Getter:
    program_id, languages_text = at["id"], at["languages_text"]
    balance, capacity = at["balance"], at["capacity"]
    side_id, name = _SIDE_AT["id"], _SIDE_TEXTS["name"]
    accepted, waitlisted, pending = (_SIDE_AT[status] for status in _SIDE_COUNTS)

    def sides_of(row: Row, page: Page) -> list[dict]:
        sides = page.sides.get(row[program_id])
        if not sides:
            return []
        program = SimpleNamespace(balance=row[balance], capacity=row[capacity])
        seats = seats_per_side(program, len(sides))
        language, languages = page.language, _languages(row[languages_text])
        # The counts are None unless the caller is staff of the program (_sides_query).
        return [
            {
                "id": side[side_id],
                "name": name.shown(side, language),
                "translations": _translations(side, _SIDE_TEXTS, languages),
                "seats": seats,
                "accepted": side[accepted],
                "waitlisted": side[waitlisted],
                "pending": side[pending],
            }
            for side in sides
        ]

    return sides_of


# ProgramSerializer's method fields: a getter's maker (given the row's positions), and
# the columns it reads.
METHOD_FIELDS: dict[str, tuple[Callable[[dict], Getter], tuple[str, ...]]] = {
    "translations": (_program_translations, ("languages",)),
    "sides": (_program_sides, ("id", "balance", "capacity", "languages")),
}


def _getter(name: str, field: serializers.Field) -> tuple[Callable[[dict], Getter], tuple]:
    """A getter's maker for the output key `name`, and the columns it reads."""
    if isinstance(field, serializers.SerializerMethodField):
        if name not in METHOD_FIELDS:
            raise LookupError(f"ProgramSerializer.{name} has no counterpart in lean.py")
        return METHOD_FIELDS[name]
    if isinstance(field, serializers.SlugRelatedField):
        column = f"{field.source}__{field.slug_field}"
        return _column_getter(column), (column,)
    source = field.source
    if source in Program.content_fields:
        def shown(at):
            texts = Texts(source, at)
            return lambda row, page: texts.shown(row, page.language)
        return shown, (source, *(content.column(source, code)
                                 for code in content.CONTENT_LANGUAGES))
    if source == "languages":
        return _languages_getter, (source,)
    if isinstance(field, _AS_IS):
        return _column_getter(source), (source,)

    def represented(at):
        column = at[source]

        def get(row, page):
            value = row[column]
            return None if value is None else field.to_representation(value)
        return get

    return represented, (source,)


def _column_getter(column: str) -> Callable[[dict], Getter]:
    return lambda at: (lambda row, page, n=at[column]: row[n])


def _languages_getter(at: dict[str, int]) -> Getter:
    return lambda row, page, n=at["languages_text"]: _languages(row[n])


class Plan(NamedTuple):
    columns: tuple[str, ...]  # what rows() reads, in order
    at: dict[str, int]  # each column's position in a row
    getters: tuple[tuple[str, Getter], ...]  # per output key, in the serializer's order


@cache
def plan() -> Plan:
    makers, needs = [], {"id": None}
    for name, field in ProgramSerializer().fields.items():
        maker, reads = _getter(name, field)
        makers.append((name, maker))
        needs.update(dict.fromkeys(reads))
    # The languages column is read as text (_AS_TEXT), after the is_staff mark.
    columns = (*(column for column in needs if column != "languages"),
               "is_staff", "languages_text")
    at = {name: n for n, name in enumerate(columns)}
    return Plan(columns, at, tuple((name, maker(at)) for name, maker in makers))


def rows(programs, readers) -> object:
    """`programs` (a queryset of the list) as the values_list() rows the plan reads,
    each marked `is_staff` when its organization is among `readers` (the caller's, as
    selectors.visibility_of gives them; None for anonymous callers)."""
    staff = Value(False) if readers is None else ExpressionWrapper(
        Q(organization_id__in=readers), output_field=BooleanField())
    programs = programs.prefetch_related(None).annotate(is_staff=staff,
                                                        languages_text=_AS_TEXT)
    return programs.values_list(*plan().columns)


# The languages column as the database gives its JSON, parsed once per distinct text
# (_languages): a page's programs share a few, and decoding each row's was a fifth of
# reading the page.
_AS_TEXT = ExpressionWrapper(F("languages"), output_field=TextField())


@lru_cache(maxsize=1024)
def _languages(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def represent(page_rows: list[Row]) -> list[dict]:
    """ProgramSerializer(many=True).data, with seat_context's counts, for these rows."""
    getters = plan().getters
    page = Page(page_rows)
    return [{name: getter(row, page) for name, getter in getters} for row in page_rows]


def visible(user):
    """Every program the caller sees, as the paginator reads it: on PostgreSQL through
    prepared statements (VisibleList), elsewhere a values_list() queryset."""
    if connection.vendor == "postgresql":
        return VisibleList(user)
    return _rows_through(visibility_of(user))


class VisibleList:
    """Every program the caller sees (the list without a filter, its hottest form), as
    core.prepared statements compiled once per shape (anonymous or signed in) and
    language, the caller's id their one value: PostgreSQL plans each once for every
    caller (the caller's organizations and programs are subqueries it runs first).

    A page's statement also carries the count on each row, so the paginator
    (core.paging.CountedPaginator) reads a page and the count in one round trip."""

    def __init__(self, user):
        signed_in = user.is_authenticated
        self.shape = "signed in" if signed_in else "anonymous"
        self.values = (user.pk,) if signed_in else ()
        self.slots = (prepared.INT_SLOTS[0],) if signed_in else ()

    def count(self) -> int:
        statement = prepared.statement(("program count", self.shape), _count_query, self.slots)
        return int(statement.rows(self.values)[0][0])  # SUM() is a numeric on PostgreSQL

    def page_and_count(self, offset: int, limit: int) -> tuple[list[Row], int]:
        rows = self[offset:offset + limit]
        # The count follows plan()'s columns. No row: the list is empty, or the page lies
        # past its end, which the paginator refuses (404) whatever the count.
        return rows, rows[0][-1] if rows else 0

    def __getitem__(self, page: slice) -> list[Row]:
        return self.page_statement().rows((*self.values, page.stop - page.start, page.start))

    def page_statement(self) -> prepared.Statement:
        return prepared.statement(("program page", self.shape), _page_query, self.slots,
                                  tail=" LIMIT %s OFFSET %s")


def _visibility(user_id: int | None = None) -> Visibility:
    return visibility_of(User(pk=user_id)) if user_id else Visibility()


def _page_query(user_id: int | None = None):
    visibility = _visibility(user_id)
    count_sql, count_params = visibility.count_sql()
    # Compiled querysets and fixed words (Visibility.count_sql); values are parameters.
    # An integer as PostgreSQL gives it: a plain Field, so no converter runs per row.
    total = RawSQL(f"SELECT ({count_sql})::bigint", count_params, output_field=Field())  # noqa: S611
    return _rows_through(visibility).annotate(total=total)


def _rows_through(visibility: Visibility):
    return rows(programs_visible_through(visibility), visibility.readers)


def _count_query(user_id: int | None = None) -> tuple[str, list]:
    return _visibility(user_id).count_sql()
