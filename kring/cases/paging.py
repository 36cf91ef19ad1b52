"""Seek (keyset) paging for the case list, newest request first (issue 18).

A page is asked for by the last case of the page before it (``?after=…``) or the first case
of the page after it (``?before=…``): the database seeks to that point in the index on
``(requested_at, id)`` and reads one page, so the hundredth page costs what the first does.
``?page=N`` (old links) still works, by ``OFFSET``; the links this module makes are seeks.

A regional manager's list, whole or by status and region, is not counted: its number is added
up from the figures per area and status that the start page shows (``known``, from
:func:`kring.cases.tally.scope_count`), exact at any size. Any other list's count stops at
``COUNT_CAP``: past it the list says "more than 1,000", since counting every case of a region
grew with the data and a list that long is filtered, not read. A search is not counted past its
page ("more than 25"): counting a broad term visits its matches.

Three queries per page whatever the data: the count, the page and its assignments
(the caller's prefetch). Given the scope as pieces (:func:`kring.cases.access.case_partitions`),
the keys of the page are read per piece, each along its own index, merged, and the page's
cases read by them, in the page's one query: none of its parts grows with the data. The
pieces share no case, so they are put one after the other (``UNION ALL``) and the count stops
at its cap instead of merging a thousand cases of every piece.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import QueryDict

from kring.cases.models import Case
from kring.core.prepared import SQL, Prepared

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
CURSOR = re.compile(r"^(-?\d{1,18})\.(\d{1,18})$")
NEWEST_FIRST = ("-requested_at", "-pk")
OLDEST_FIRST = ("requested_at", "pk")
# What a page's rows show besides the case, read with it.
RELATED = ("region", "municipality")
COUNT_CAP = 1000


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
    count: int  # at most cap + 1, unless the page was asked by its number
    next_cursor: str | None
    previous_cursor: str | None
    cap: int = COUNT_CAP

    @property
    def more_than(self) -> int | None:
        """The cap, when there are more cases than it (the count stopped there)."""
        return self.cap if self.count > self.cap else None

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


# The pieces' SQL of the lists without a search or a filter, per scope (_Pieces); emptied when
# full rather than kept in order of use: a process serves a few hundred scopes at most.
_WRITTEN: dict[Hashable, tuple[tuple[str, tuple[Any, ...]], ...]] = {}
_WRITTEN_MOST = 512


class _Pieces:
    """The scope's pieces as SQL, each compiled once per page and read twice: by the capped
    count and by the page's keys. Writing a piece's SQL is most of its cost: for the demo's
    manager (three pieces, 100,000 cases, SQLite) count and page took 3.5 ms with each piece
    compiled twice, 2.8 ms with it compiled once. A piece is ``SELECT requested_at, id …
    WHERE <scope, filters, piece>``, unordered; the count and the page wrap it, and both
    databases fold such a subquery into the query around it, so each piece is still read
    along its own index (the plans in ``tests/cases/test_case_list_seek.py``)."""

    def __init__(
        self, cases: QuerySet[Case], pieces: Sequence[Q], hint: str = "", key: Hashable = None
    ) -> None:
        """``key``: all that ``cases`` and ``pieces`` are made of (:func:`kring.cases.access.
        scope_key`), for a list without filters: its SQL is written once per process and key
        (0.57 ms a page for a manager's three pieces at every size)."""
        self.connection = connections[cases.db]
        cache_key = (cases.db, key, hint) if key is not None else None
        cached = _WRITTEN.get(cache_key) if cache_key is not None else None
        self.parts: list[tuple[str, tuple[Any, ...]]] = []
        if cached is not None:
            self.parts.extend(cached)
            return
        for piece in pieces:
            found = cases.filter(piece).order_by().values_list("requested_at", "pk")
            sql, params = found.query.get_compiler(connection=self.connection).as_sql()
            if hint:
                sql = _hinted(sql, self.connection.ops.quote_name(Case._meta.db_table), hint)
            self.parts.append((sql, tuple(params)))
        if cache_key is not None:
            if len(_WRITTEN) >= _WRITTEN_MOST:
                _WRITTEN.clear()
            _WRITTEN[cache_key] = tuple(self.parts)

    def union(
        self, select: str, where: str, where_params: Sequence[Any], tail: str
    ) -> tuple[str, list[Any]]:
        """Each piece as ``SELECT <select> FROM (piece) WHERE <where> <tail>``, one after the
        other: the pieces share no case (:func:`kring.cases.access.case_partitions`)."""
        parts: list[str] = []
        params: list[Any] = []
        for number, (sql, piece_params) in enumerate(self.parts):
            # Wrapped twice, because SQLite takes no LIMIT in a part of a UNION itself.
            parts.append(
                f"SELECT * FROM (SELECT {select} FROM ({sql}) scope{number} "  # noqa: S608
                f"WHERE {where} {tail}) piece{number}"
            )
            params.extend([*piece_params, *where_params])
        return " UNION ALL ".join(parts), params

    def seek(self, after: tuple[dt.datetime, int] | None, oldest: bool) -> tuple[str, list[Any]]:
        """The seek condition past ``after`` as SQL, the same as :func:`_older` and
        :func:`_newer` write it (an index on the order serves it on both databases)."""
        if after is None:
            return "1 = 1", []
        at, pk = after
        value = self.connection.ops.adapt_datetimefield_value(at)
        if oldest:
            return "requested_at >= %s AND (requested_at > %s OR pk > %s)", [value, value, pk]
        return "requested_at <= %s AND (requested_at < %s OR pk < %s)", [value, value, pk]


# A page's cases by a query of their keys, with the region and municipality its rows show,
# newest first (False) or oldest first (True): the SQL written once (kring.core.prepared), its
# forty columns and two joins were a quarter of the page's reading.
def _page_by_keys(order: tuple[str, ...]) -> Prepared[Case]:
    return Prepared(
        lambda keys: Case.objects.filter(pk__in=keys).select_related(*RELATED).order_by(*order),
        SQL,
    )


_PAGE = {False: _page_by_keys(NEWEST_FIRST), True: _page_by_keys(OLDEST_FIRST)}


def _hinted(sql: str, table: str, hint: str) -> str:
    """``sql`` with SQLite's table ``hint`` (``INDEXED BY …``, ``NOT INDEXED``) after its
    first table, which a piece's SQL names first (its subqueries come later, in the WHERE)."""
    head, found, tail = sql.partition(f" FROM {table}")
    if not found or tail[:1] not in ("", " "):
        raise ValueError(f"No table {table} to give a hint in: {sql}")
    return f"{head}{found} {hint}{tail}"


def _reader(
    cases: QuerySet[Case], pieces: _Pieces | None, size: int, planned: bool = False
) -> Callable[[tuple[dt.datetime, int] | None, bool], list[Case]]:
    """A function that reads the first ``size + 1`` cases past a seek point (None: from the
    start), newest first or (``oldest=True``) oldest first: per piece of the scope, merged.
    ``cases`` stays scoped as it came; a piece only narrows it, and gives the database an index
    to seek along."""

    def read(after: tuple[dt.datetime, int] | None, oldest: bool) -> list[Case]:
        order = OLDEST_FIRST if oldest else NEWEST_FIRST
        if pieces is None:
            where = Q() if after is None else (_newer if oldest else _older)(*after)
            return list(cases.filter(where).order_by(*order)[: size + 1])
        # Each piece gives the keys of its first cases, along its own index; the keys are
        # merged and the page's cases read whole, with what they join, in the same query.
        # Reading every piece's cases whole made three pieces build 78 cases for a page of 26;
        # reading each piece's keys apart cost a round trip and an ORM query each.
        direction = "" if oldest else " DESC"
        condition, condition_params = pieces.seek(after, oldest)
        union, params = pieces.union(
            "requested_at, pk",
            condition,
            condition_params,
            f"ORDER BY requested_at{direction}, pk{direction} LIMIT {size + 1}",
        )
        keys = (
            f"SELECT pk FROM ({union}) keys "  # noqa: S608 - Django's SQL
            f"ORDER BY requested_at{direction}, pk{direction} LIMIT {size + 1}"
        )
        # The page's cases by their keys alone, with what the list joins: the keys were read
        # within its scope and filters. Repeating the scope here made SQLite walk every case
        # of the regions (an OR of indexes) to find the 26 keys among them.
        return _PAGE[oldest](SQL(keys, tuple(params), planned=planned))

    return read


def capped_count(
    cases: QuerySet[Case], pieces: Sequence[Q] | _Pieces | None = None, cap: int = COUNT_CAP
) -> int:
    """How many cases ``cases`` holds, counted up to ``cap + 1``. Given the scope's
    pieces (which share no case, as :func:`kring.cases.access.case_partitions` makes them),
    in one query that takes at most ``COUNT_CAP + 1`` cases of each piece (along the piece's
    own index) and counts them together up to the cap: exact below the cap, and above it
    whenever any piece is. The scope as one ``region = 3 OR region = 4 OR region IS NULL``
    made PostgreSQL build a bitmap of all 41,000 cases of two regions to count 1,001 of them
    (6 ms at 100,000 cases, 1 ms at 1,000)."""
    limit = cap + 1
    if pieces is not None and not isinstance(pieces, _Pieces):
        pieces = _Pieces(cases, pieces) if len(pieces) > 1 else None
    if pieces is None:
        return cases.order_by()[:limit].count()
    union, params = pieces.union("pk", "1 = 1", [], f"LIMIT {limit}")
    with pieces.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT * FROM ({union}) scope LIMIT {limit}) capped",  # noqa: S608
            params,
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def seek_page(
    cases: QuerySet[Case],
    query: QueryDict,
    size: int,
    *,
    pieces: Sequence[Q] | None = None,
    counted: bool = True,
    hint: str = "",
    planned: bool = False,
    known: int | None = None,
    key: Hashable = None,
) -> SeekPage:
    """One page of ``cases`` (scoped and filtered), newest first, each case with its region
    and municipality (``RELATED``).
    ``pieces``: the scope's parts (whose union is the scope), read apart and merged, and
    counted apart. Not ``counted``: no count beyond the page itself — "more than a page" once
    there is another page (for a search: a term found in many cases is counted by visiting its
    matches, 6 ms to 1,000 of them at 100,000 cases). ``hint``: SQLite's table hint for
    reading ``cases`` whole, in place of the pieces (a search's plan, kring.cases.search).
    ``planned``: the caller vouches that the page's best plan does not depend on the values
    (a list without a search or a filter): PostgreSQL keeps its query planned
    (kring.core.prepared). ``known``: the number of cases, known without counting them (a
    manager's list, :func:`kring.cases.tally.scope_count`): exact, never "more than". ``key``:
    all that ``cases`` and ``pieces`` are made of, for a list without a search or a filter
    (:func:`kring.cases.access.scope_key`): the pieces' SQL is written once for it. The caller
    prefetches what the page's rows need."""
    cases = cases.select_related(*RELATED)
    if hint:
        try:
            compiled: _Pieces | None = _Pieces(cases, [Q()], hint)
        except EmptyResultSet:  # a scope that holds nothing (a manager without regions)
            compiled = None
    else:
        compiled = _Pieces(cases, pieces, key=key) if pieces and len(pieces) > 1 else None
    read = _reader(cases, compiled, size, planned)
    after, before = parse(query.get("after")), parse(query.get("before"))
    numbered = after is None and before is None and query.get("page", "1") not in ("", "1")
    # An old link's page number needs the whole count to stay in range; a seek does not.
    cap = COUNT_CAP if counted or numbered else size
    if known is not None:
        count = cap = known
    elif numbered:
        count = cases.count()
    elif counted:
        count = capped_count(cases, compiled, cap)
    else:  # a page after or before another: more than a page (the first: its rows, below)
        count = size + 1
    if before is not None:
        rows = read(before, True)
        newer = len(rows) > size
        rows = rows[:size][::-1]
        return SeekPage(
            rows,
            count,
            cursor(rows[-1]) if rows else None,  # the page we came from lies after it
            cursor(rows[0]) if rows and newer else None,
            cap,
        )
    if after is not None:
        rows = read(after, False)
        return SeekPage(
            rows[:size],
            count,
            cursor(rows[size - 1]) if len(rows) > size else None,
            cursor(rows[0]) if rows else None,  # the page we came from lies before it
            cap,
        )
    try:
        number = int(query.get("page") or 1)
    except ValueError:
        number = 1
    number = max(1, min(number, math.ceil(count / size) or 1))
    if number == 1:
        rows = read(None, False)
        if not counted:
            count = len(rows)
    else:  # an old link's page number: by OFFSET
        start = (number - 1) * size
        rows = list(cases.order_by(*NEWEST_FIRST)[start : start + size + 1])
    return SeekPage(
        rows[:size],
        count,
        cursor(rows[size - 1]) if len(rows) > size else None,
        cursor(rows[0]) if rows and number > 1 else None,
        cap,
    )
