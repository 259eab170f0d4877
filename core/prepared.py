"""Hot queries compiled once per process, their values bound per call.

Building and compiling a queryset costs the ORM a millisecond or more, several with
subqueries and JSON expressions, and PostgreSQL spends as long again planning it: on
the busiest API list that was most of a request, far more than running the queries.
A `Statement` is built once from a function given *slots* (stand-in values) where the
caller's values go: its SQL and the compiler's converters are kept, and each call runs
that SQL with the real values in the slots' places, through the same converters (a
decrypted or JSON column reads exactly as the ORM reads it). On PostgreSQL the SQL is
also a server-side prepared statement on each connection (PREPARE once, EXECUTE per
call), so its plan is cached too; that needs session-level connections (direct, or a
pooler in session mode), which is how Parley connects.

Only for queries whose SQL text does not depend on their values: a slot stands for a
scalar (an id, a key), or on PostgreSQL for a list passed as one array parameter
(`= ANY(%s)`), never for a list whose length changes the SQL. A slot the SQL
does not carry as a plain parameter fails loudly when the statement is built, so a
caller's value can never be silently left out. Statements are kept per database,
active language and shape, and dropped whenever a setting changes (tests).
"""

import hashlib
import re
import weakref
from collections.abc import Callable, Hashable, Sequence

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.core.signals import setting_changed
from django.db import connection, connections
from django.db.models import BigIntegerField, BooleanField, F, Func, Q, QuerySet, Value
from django.utils.translation import get_language

# Stand-ins no real value equals: ids are positive, keys are hex.
INT_SLOTS = tuple(-(2**62) - n for n in range(1, 5))
STR_SLOTS = tuple(f"\x00slot-{n}\x00" for n in range(1, 5))

_statements: dict[Hashable, "Statement"] = {}
_PLACEHOLDER = re.compile(r"%[s%]")
# The statements prepared on each PostgreSQL connection (a new connection has none).
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Statement:
    def __init__(self, query: QuerySet | tuple[str, Sequence], slots: Sequence, using: str,
                 tail: str = ""):
        self.converters, self.compiler, self.names = {}, None, []
        if isinstance(query, QuerySet):
            compiler = query.query.get_compiler(using)
            sql, params = compiler.as_sql()
            fields = [select[0] for select in compiler.select[: compiler.col_count]]
            self.converters = compiler.get_converters(fields)
            self.compiler = compiler
            self.names = [*query.query.extra_select, *query.query.values_select,
                          *query.query.annotation_select]
        else:
            sql, params = query
        self.sql, self.using = sql + tail, using
        # Where each parameter comes from: ("slot", n) the n-th value of a call,
        # ("constant", value) the statement's own. The tail's come after the slots.
        self.bindings = [_binding(param, slots) for param in params]
        self.bindings += [("slot", len(slots) + n) for n in range(tail.count("%s"))]
        unbound = [slot for n, slot in enumerate(slots) if ("slot", n) not in self.bindings]
        if unbound:
            raise ValueError(f"The statement's SQL does not carry slots {unbound!r} as parameters.")
        # Named after its SQL and constants: a statement built again the same (after a
        # setting changed) reuses what each connection has prepared.
        digest = hashlib.sha256(repr((self.sql, self.bindings)).encode()).hexdigest()
        self.name = f"parley_{digest[:24]}"

    def rows(self, values: Sequence = ()) -> list:
        """The result rows (sequences), with `values` in the slots' places (then the tail's)."""
        connection = connections[self.using]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                self._prepare(connection)
                placeholders = ", ".join(["%s"] * len(values))
                cursor.execute(f"EXECUTE {self.name} ({placeholders})" if values
                               else f"EXECUTE {self.name}", list(values))
            else:
                cursor.execute(self.sql, [values[binding[1]] if binding[0] == "slot"
                                          else binding[1] for binding in self.bindings])
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows

    def dicts(self, values: Sequence = ()) -> list[dict]:
        """values() rows: a dict per row, keyed like the queryset's values()."""
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self.rows(values)]

    def _prepare(self, connection) -> None:
        """PREPARE on this connection once. Through the driver's own cursor: it is set-up
        of the connection, like its SET commands, not a query of the request."""
        connection.ensure_connection()
        prepared = _prepared_on.setdefault(connection.connection, set())
        if self.name in prepared:
            return
        with connection.connection.cursor() as cursor:
            cursor.execute(f"PREPARE {self.name} AS {self._numbered_sql(cursor)}")
        prepared.add(self.name)

    def _numbered_sql(self, cursor) -> str:
        """The SQL with the constants written in as literals (so each keeps its type) and
        $1, $2... where a call's values go."""
        bindings = iter(self.bindings)

        def replace(match):
            if match.group() == "%%":
                return "%"
            kind, value = next(bindings)
            if kind == "slot":
                return f"${value + 1}"
            return cursor.mogrify("%s", [value]).decode()

        return _PLACEHOLDER.sub(replace, self.sql)


def _binding(param, slots: Sequence) -> tuple:
    for n, slot in enumerate(slots):
        if type(param) is type(slot) and param == slot:
            return ("slot", n)
    if any(str(slot) in repr(param) for slot in slots):
        raise ValueError(f"A slot is inside a parameter ({param!r}): only scalars can be bound.")
    return ("constant", param)


def statement(shape: Hashable, build: Callable[..., QuerySet | tuple[str, Sequence]],
              slots: Sequence = (), *, tail: str = "", using: str = "default") -> Statement:
    """The statement `build(*slots)` compiles to (with `tail`, LIMIT %s OFFSET %s say,
    appended), built at the first call per database, language and `shape` (what else
    changes the SQL: anonymous or not, say)."""
    key = (using, get_language(), shape, tail)
    found = _statements.get(key)
    if found is None:
        found = _statements[key] = Statement(build(*slots), slots, using, tail)
    return found


def among(field: str, ids: Sequence[int]) -> Q:
    """`field` is one of `ids`: on PostgreSQL `= ANY(%s)`, one array parameter however
    many ids (so a statement can bind it), elsewhere IN (...)."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": ids})
    return Q(_AnyOf(F(field), Value(list(ids), output_field=ArrayField(BigIntegerField()))))


def among_found_first(field: str, subquery: QuerySet) -> Q:
    """`field` is one of what `subquery` selects, the subquery run once before the rest:
    on PostgreSQL `= ANY(ARRAY(subquery))`, which the planner cannot turn into a join to
    start from (a person's organizations lead to every program of theirs, their
    sessions to a few). Elsewhere IN (subquery)."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": subquery})
    return Q(_AnyOf(F(field), ArraySubquery(subquery.order_by())))


class _AnyOf(Func):
    """`column = ANY(array)`, a condition."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def _forget(**kwargs) -> None:
    _statements.clear()


setting_changed.connect(_forget)
