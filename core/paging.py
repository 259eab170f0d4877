"""Exact page counts without counting every row, and pages that need no count.

A selector whose list has a maintained count (exchanges.models.ProgramTally) marks its
queryset with `count_with`; `CountedPaginator` uses that count while the queryset's
filter is still the selector's own, and COUNT(*) as soon as anything narrowed it (a
filter, a search, a slice, a union, a GROUP BY). A guessed count is never used.

`PeekPaginator` counts nothing: a page fetches one row more than it shows, which tells
whether a next page exists. A list only COUNT(*) could total (a search for a common
word visits every match) pages with it: previous / next, and the exact total once a
page reaches the end.
"""

from collections.abc import Callable
from math import ceil

from django.core.paginator import Page, Paginator
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

    def page(self, number):
        """Django's page; from a list that reads a page and the count together
        (`page_and_count(offset, limit)`, exchanges.api.lean.VisibleList) in one call."""
        read = getattr(self.object_list, "page_and_count", None)
        wanted = int(number) if str(number).isdecimal() else 0  # else Django's answer
        if read is None or wanted < 1 or "count" in self.__dict__:
            return super().page(number)
        rows, self.count = read((wanted - 1) * self.per_page, self.per_page)
        return self._get_page(rows, self.validate_number(wanted), self)


class PeekPaginator(Paginator):
    """Pages without a count. `count` and `num_pages` are None until a page turns out
    to be the last one; they are exact from then on. A page past the end (an old link)
    is answered as Django's paginator does, with the last page: only then it counts."""

    def __init__(self, object_list, per_page):
        super().__init__(object_list, per_page)
        self.count = self.num_pages = None

    def get_page(self, number) -> "PeekPage":
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        rows = self._rows(number)
        if not rows and number > 1:
            number = max(ceil(Paginator.count.func(self) / self.per_page), 1)
            rows = self._rows(number)
        page = PeekPage(rows[:self.per_page], number, self, more=len(rows) > self.per_page)
        if not page.more:
            self.count = (number - 1) * self.per_page + len(page)
            self.num_pages = number
        return page

    def _rows(self, number: int) -> list:
        start = (number - 1) * self.per_page
        return list(self.object_list[start:start + self.per_page + 1])


class PeekPage(Page):
    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more  # whether rows follow this page's

    def has_next(self) -> bool:
        return self.more

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1
