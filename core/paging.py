"""Exact page counts without counting every row.

A selector whose list has a maintained count (exchanges.models.ProgramTally) marks its
queryset with `count_with`; `CountedPaginator` uses that count while the queryset's
filter is still the selector's own, and COUNT(*) as soon as anything narrowed it (a
filter, a search, a slice, a union, a GROUP BY). A guessed count is never used.
"""

from collections.abc import Callable

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


def count_with(queryset: QuerySet, count: Callable[[], int]) -> QuerySet:
    """`queryset`, whose count `count()` answers while its WHERE clause stays as it is now.
    The mark lives on the query, which every chained queryset copies."""
    queryset = queryset.all()
    queryset.query.known_count = (queryset.query.where.clone(), count)
    return queryset


def known_count(queryset) -> int | None:
    """The maintained count of `queryset`, or None when only COUNT(*) can tell."""
    query = getattr(queryset, "query", None)
    mark = getattr(query, "known_count", None)
    if mark is None:
        return None
    where, count = mark
    narrowed = (query.where != where or query.is_sliced or query.combinator
                or query.group_by is not None)
    return None if narrowed else count()


class CountedPaginator(Paginator):
    @cached_property
    def count(self):
        known = known_count(self.object_list)
        return Paginator.count.func(self) if known is None else known
