"""Seek (keyset) paging for the case list, newest request first (issue 18).

A page is asked for by the last case of the page before it (``?after=…``) or the first case
of the page after it (``?before=…``): the database seeks to that point in the index on
``(requested_at, id)`` and reads one page, so the hundredth page costs what the first does.
``?page=N`` (old links) still works, by ``OFFSET``; the links this module makes are seeks.

Three queries per page whatever the data: the count, the page and its assignments
(the caller's prefetch).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import QueryDict

from kring.cases.models import Case

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
CURSOR = re.compile(r"^(-?\d{1,18})\.(\d{1,18})$")
NEWEST_FIRST = ("-requested_at", "-pk")


def cursor(case: Case) -> str:
    """Where ``case`` lies in the order: its request time in microseconds, and its id."""
    delta = case.requested_at - EPOCH
    micro = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micro}.{case.pk}"


def parse(value: str | None) -> tuple[dt.datetime, int] | None:
    """A cursor read back; None for anything else (the list then starts at the top)."""
    match = CURSOR.match(value or "")
    if match is None:
        return None
    try:
        return EPOCH + dt.timedelta(microseconds=int(match[1])), int(match[2])
    except OverflowError:
        return None


@dataclass
class SeekPage:
    object_list: list[Case]
    count: int
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def paginator(self) -> SeekPage:
        """The template asks ``page.paginator.count``, as of a Django page."""
        return self

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def _older(at: dt.datetime, pk: int) -> Q:
    return Q(requested_at__lte=at) & (Q(requested_at__lt=at) | Q(pk__lt=pk))


def _newer(at: dt.datetime, pk: int) -> Q:
    return Q(requested_at__gte=at) & (Q(requested_at__gt=at) | Q(pk__gt=pk))


def seek_page(cases: QuerySet[Case], query: QueryDict, size: int) -> SeekPage:
    """One page of ``cases`` (filtered and scoped, with its select/prefetch), newest first."""
    count = cases.count()
    after, before = parse(query.get("after")), parse(query.get("before"))
    if before is not None:
        rows = list(cases.filter(_newer(*before)).order_by("requested_at", "pk")[: size + 1])
        newer = len(rows) > size
        rows = rows[:size][::-1]
        return SeekPage(
            rows,
            count,
            cursor(rows[-1]) if rows else None,  # the page we came from lies after it
            cursor(rows[0]) if rows and newer else None,
        )
    if after is not None:
        rows = list(cases.filter(_older(*after)).order_by(*NEWEST_FIRST)[: size + 1])
        return SeekPage(
            rows[:size],
            count,
            cursor(rows[size - 1]) if len(rows) > size else None,
            cursor(rows[0]) if rows else None,  # the page we came from lies before it
        )
    try:
        number = int(query.get("page") or 1)
    except ValueError:
        number = 1
    number = max(1, min(number, math.ceil(count / size) or 1))
    start = (number - 1) * size
    rows = list(cases.order_by(*NEWEST_FIRST)[start : start + size + 1])
    return SeekPage(
        rows[:size],
        count,
        cursor(rows[size - 1]) if len(rows) > size else None,
        cursor(rows[0]) if rows and number > 1 else None,
    )
