"""Queries of a fixed shape, turned into SQL once per process instead of on every request.

Django writes a query's SQL anew each time it runs one: the filters, the joins that
``select_related`` asks for, the ordering, the columns. For the own page's link, a lookup by one
indexed value that joins three tables, that was about a millisecond of CPU against a twentieth
of one for the database, and the ORM's work was a third of the page's CPU under load (issue 18:
py-spy on a gunicorn worker). The pages that everybody opens paid it on every request.

``Prepared(build, int, str)`` takes a function that builds the queryset from its parameters
(here an integer and a string), builds it once with stand-ins for the values, lets Django write
the SQL, and from then on runs that SQL with each call's values. A parameter of the kind
:class:`SQL` is a piece of SQL with its own parameters that the function puts where a
subquery goes (``pk__in=keys``): a query of its own, or a list of values (:meth:`SQL.values`).
It is put in the SQL as written, at the place of its stand-in, on every call. The rows become
what the queryset would give: model instances with their ``select_related`` objects, made the
way the ORM makes them (its converters, ``Model.from_db`` and its related-object populators),
or the tuples or values of ``values_list()``. It runs through the connection's cursor, so
query logging, counting and transactions stay as they are.

On PostgreSQL (``KRING_DB_PREPARED``) the SQL is also kept prepared on the connection, the
first time it runs there (:func:`kept_planned`): PostgreSQL then parses and plans it once per
connection instead of on every request, most of its work for such a query (0.3 ms of planning
against 0.05 ms of running for the own page's link). Only these queries are: their plans do not
depend on the values, where a search's or a filter's do (the case list's search, kept planned
for any term, took 9-12 instead of 3 ms at 100,000 cases): a query given a subquery
(:class:`SQL`, not a list of values, unless its caller says its plan does not depend on them)
and the ORM's other queries are planned for their values each time.

Only a query that keeps its shape qualifies: each parameter one filter's value, no
``prefetch_related``, no ``values()`` dicts, and nothing read at the time of
building but the parameters (``timezone.now()`` would be kept from the first call: a fixed value
that is not a string, an integer or a boolean, or that differs when the query is built a second
time, is refused; one derived from such a value, ``now.year``, cannot be told from a constant,
so the function must not read the clock, the language or the user). Anything else is refused
the first time the query runs, and tests/core/test_prepared.py runs every prepared query of
Kring and compares it with the ORM's own result, on both databases.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet, ImproperlyConfigured
from django.db import NotSupportedError, connections, router
from django.db.models import Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    RelatedPopulator,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

T = TypeVar("T")


@dataclass(frozen=True)
class SQL:
    """A parameter of a prepared query that is SQL: a subquery, or a list of values, with its
    own parameters (``%s``; a percent sign of its own as ``%%``). Only code writes it, never
    input: the values go in ``params``."""

    sql: str
    params: tuple[Any, ...] = ()
    # Whether the query's best plan is the same whatever the values: a list of values
    # (``values``), or a subquery its caller vouches for; a search's is not (kept_planned).
    planned: bool = False

    @classmethod
    def values(cls, values: Sequence[Any]) -> SQL:
        """``values`` as the list of an ``IN``; NULL for none (``IN (NULL)`` holds nothing)."""
        if not values:
            return cls("NULL", planned=True)
        return cls(", ".join(["%s"] * len(values)), tuple(values), planned=True)


def _sql_stand_in(index: int) -> RawSQL:
    # A comment no query holds, and an integer to find its place among the parameters.
    return RawSQL(f"/*kring-prepared-{index}*/ %s", [2_000_000_000 - 7919 * index])  # noqa: S611


# Stand-ins no real value equals, which must reach the parameters unchanged: a field that
# lowercases or strips its value, or a lookup that drops an integer no column of its kind can
# hold (a small or a negative one), would change them and be refused, where a value in a
# lowercase, stripped, positive range would let it through unnoticed.
STAND_INS: dict[type, Callable[[int], Any]] = {
    str: " \x00Kring-PREPARED-{}\x00 ".format,
    int: lambda index: 2_000_000_000 - 7919 * index,
    SQL: _sql_stand_in,
}
KINDS = (ModelIterable, ValuesListIterable, FlatValuesListIterable)
# The values a query may hold besides its parameters (and None): the same on every call. A
# choice (a TextChoices member) is a string.
CONSTANTS = (str, int)


EVERY: list[Prepared[Any]] = []  # for the tests, which run each against the ORM


@dataclass(frozen=True)
class _Compiled:
    db: str
    sql: str
    params: tuple[Any, ...]
    positions: tuple[int, ...]  # where each call's values go, in the parameters' order
    compiler: SQLCompiler
    kind: type
    model: type[Model]
    start: int = 0
    end: int = 0
    attnames: tuple[str, ...] = ()
    populators: tuple[RelatedPopulator, ...] = ()
    annotations: tuple[tuple[str, int], ...] = ()
    # Each SQL parameter's stand-in in the SQL, by the parameter's index.
    markers: tuple[tuple[int, str], ...] = ()
    # The ORM's conversions of the columns' values (dates on SQLite, JSON, booleans, decimals),
    # looked up once (a tenth of a millisecond a call).
    converters: dict[int, Any] | None = None


class Prepared(Generic[T]):
    """``Prepared(lambda pk: Case.objects.filter(pk=pk), int)``: called with the values, the
    list the queryset would give."""

    def __init__(self, build: Callable[..., QuerySet[Any, T]], *types: type) -> None:
        if len(types) != len(inspect.signature(build).parameters) or not all(
            kind in STAND_INS for kind in types
        ):
            raise ImproperlyConfigured("Name the kind (str, int or SQL) of each parameter.")
        self._build = build
        self._types = types
        self._model: type[Model] | None = None
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        EVERY.append(self)

    def __call__(self, *values: Any) -> list[T]:
        if len(values) != len(self._types) or any(
            type(value) is not kind for value, kind in zip(values, self._types, strict=True)
        ):
            raise TypeError(f"Expected values of the types {self._types}, got {values!r}.")
        compiled = None
        if self._model is not None:
            compiled = self._compiled.get(router.db_for_read(self._model))
        if compiled is None:
            compiled = self._compile()
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = value
        sql = compiled.sql
        if compiled.markers:
            sql, params = _spliced(sql, params, compiled, values)
        # A subquery's plan may depend on its values (a search's term): planned each time.
        planned = all(value.planned for value in values if isinstance(value, SQL))
        with connections[compiled.db].cursor() as cursor:
            with kept_planned(cursor) if planned else nullcontext():
                cursor.execute(sql, params)
            rows = cursor.fetchall()
        return list(self._results(compiled, rows))

    def by_orm(self, *values: Any) -> list[T]:
        """What the ORM gives for the same values (for the tests)."""
        return list(
            self._build(
                *(
                    RawSQL(value.sql, value.params) if isinstance(value, SQL) else value  # noqa: S611
                    for value in values
                )
            )
        )

    def _compile(self) -> _Compiled:
        stand_ins = [STAND_INS[kind](index) for index, kind in enumerate(self._types)]
        queryset = self._build(*stand_ins)
        db = queryset.db
        with self._lock:
            found = self._compiled.get(db)
            if found is not None:
                return found
            compiled = self._compiled[db] = _written(
                queryset, stand_ins, lambda: self._build(*stand_ins)
            )
            self._model = queryset.model
            return compiled

    @staticmethod
    def _results(compiled: _Compiled, rows: list[Any]) -> Iterator[Any]:
        # The ORM's own conversions, as results_iter() makes them.
        converted = (
            compiled.compiler.apply_converters(rows, compiled.converters)
            if compiled.converters
            else rows
        )
        if compiled.kind is FlatValuesListIterable:
            yield from (row[0] for row in converted)
        elif compiled.kind is ValuesListIterable:
            yield from (tuple(row) for row in converted)
        else:
            for row in converted:
                instance = compiled.model.from_db(
                    compiled.db, compiled.attnames, row[compiled.start : compiled.end]
                )
                for populator in compiled.populators:
                    populator.populate(row, instance)
                for name, column in compiled.annotations:
                    setattr(instance, name, row[column])
                yield instance


@contextmanager
def kept_planned(cursor: Any) -> Iterator[None]:
    """What ``cursor`` runs in the block is prepared on its connection the first time, and
    run as prepared from then on (psycopg's prepared statements; PostgreSQL with
    ``KRING_DB_PREPARED``, which binds the values on the server, as preparing needs). Only for
    SQL whose best plan does not depend on its values; anything else is planned each time
    (psycopg's ``prepare_threshold`` None, Django's default).

    A migration that changes a column such a statement returns (its type or length) makes
    PostgreSQL refuse the statement kept from before ("cached plan must not change result
    type"), on every run, for as long as the connection lives: the connection is then closed
    at the end of the request or job (Django's ``close_at``), and the next one prepares the
    statement anew."""
    connection = cursor.db
    if connection.vendor != "postgresql" or not settings.KRING_DB_PREPARED:
        yield
        return
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = 0
    try:
        yield
    except NotSupportedError as error:
        if getattr(error.__cause__, "sqlstate", None) == FEATURE_NOT_SUPPORTED:
            connection.close_at = 0
        raise
    finally:
        raw.prepare_threshold = before


# PostgreSQL's SQLSTATE for a prepared statement whose result no longer fits its table.
FEATURE_NOT_SUPPORTED = "0A000"


def _spliced(
    sql: str, params: list[Any], compiled: _Compiled, values: tuple[Any, ...]
) -> tuple[str, list[Any]]:
    """The SQL parameters' pieces put in place of their stand-ins, their parameters in place of
    the stand-in's one (from the last, so that the places before stay where they are)."""
    for index, marker in sorted(
        compiled.markers, key=lambda pair: compiled.positions[pair[0]], reverse=True
    ):
        piece: SQL = values[index]
        sql = sql.replace(marker, piece.sql, 1)
        position = compiled.positions[index]
        params[position : position + 1] = piece.params
    return sql, params


def _sql(compiler: SQLCompiler) -> tuple[str, list[Any]]:
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):
        # Django left out a condition that no value, or every value, meets: a stand-in out of
        # its column's range (a small integer).
        raise ImproperlyConfigured(
            "A prepared query's parameter was dropped from its SQL (a small integer?)."
        ) from None
    return sql, list(params)


def _written(
    queryset: QuerySet[Any, Any], stand_ins: list[Any], rebuild: Callable[[], QuerySet[Any, Any]]
) -> _Compiled:
    kind = queryset._iterable_class
    query = queryset.query
    if (
        kind not in KINDS
        or queryset._prefetch_related_lookups  # type: ignore[attr-defined]
        or queryset._known_related_objects  # type: ignore[attr-defined]
        # values_list() puts annotations and extra columns in the order asked for, which the
        # rows here would not follow.
        or (kind is not ModelIterable and (query.annotation_select or query.extra_select))
    ):
        raise ImproperlyConfigured(
            "A prepared query gives model instances or values_list() of fields (no values() "
            "dicts, annotations in values_list(), prefetch_related() or a related manager's "
            "queryset)."
        )
    db = queryset.db
    compiler = query.get_compiler(using=db)
    sql, params = _sql(compiler)
    positions = []
    markers = []
    for index, stand_in in enumerate(stand_ins):
        value = stand_in
        if isinstance(stand_in, RawSQL):  # an SQL parameter: its comment once, its integer once
            value = stand_in.params[0]
            marker = stand_in.sql
            if sql.count(marker) != 1:
                raise ImproperlyConfigured("An SQL parameter must be put in its query once.")
            markers.append((index, marker))
        at = [i for i, param in enumerate(params) if type(param) is type(value) and param == value]
        if len(at) != 1 or str(value) in sql:
            raise ImproperlyConfigured(
                "Each parameter of a prepared query must be the value of one filter, as given."
            )
        positions.append(at[0])
    # What the function read while building it (timezone.now(), the language) would be kept
    # from the first call on. Built a second time, such a value differs; a time or a date is
    # refused as it is (SQLite gets it as text, and a time read twice in one microsecond would
    # not differ). A value derived from one (``now.year``) cannot be told from a constant.
    again, again_params = _sql(rebuild().query.get_compiler(using=db))
    frozen = [
        param
        for index, param in enumerate(params)
        if index not in positions and not (param is None or isinstance(param, CONSTANTS))
    ]
    if frozen or (again, again_params) != (sql, params):
        raise ImproperlyConfigured(
            "A prepared query's fixed values must be strings, integers or booleans that are "
            f"the same on every call: {frozen or params!r}."
        )
    columns = [column[0] for column in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(columns):
        raise ImproperlyConfigured("A prepared query cannot read a composite primary key.")
    common = {
        "converters": compiler.get_converters(columns),
        "db": db,
        "sql": sql,
        "params": tuple(params),
        "positions": tuple(positions),
        "markers": tuple(markers),
        "compiler": compiler,
        "kind": kind,
        "model": queryset.model,
    }
    if kind is not ModelIterable:
        return _Compiled(**common)
    info = compiler.klass_info
    fields = info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    return _Compiled(
        **common,
        start=start,
        end=end,
        attnames=tuple(column[0].target.attname for column in compiler.select[start:end]),
        populators=tuple(get_related_populators(info, compiler.select, db)),  # type: ignore[call-arg]
        annotations=tuple((compiler.annotation_col_map or {}).items()),
    )
