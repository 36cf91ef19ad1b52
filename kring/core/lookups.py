"""``field__one_of=ids``: membership in a list of ids sent as a single parameter.

``field__in=ids`` makes Django prepare every value and the driver quote each into the SQL;
with a chunk of 500 ids and nine queries a chunk that was a quarter of the research export's
time (issue 18). Here the list is one parameter: an array on PostgreSQL
(``= ANY(%s)``), a JSON text on SQLite (``IN (SELECT value FROM json_each(%s))``). Integers
only: the values are the primary keys a chunk has just read.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.sql.compiler import SQLCompiler


class OneOf(Lookup):  # type: ignore[type-arg,unused-ignore]
    lookup_name = "one_of"
    prepare_rhs = False

    def _ids(self) -> list[int]:
        ids = [int(value) for value in self.rhs]
        if not ids:
            raise EmptyResultSet  # as ``__in=[]``: no query at all
        return ids

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*params, self._ids())

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        sql = f"{lhs} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - a column, no input
        return sql, (*params, json.dumps(self._ids()))


# Foreign keys look their lookups up only from ForeignObject down: both need it.
Field.register_lookup(OneOf)
ForeignObject.register_lookup(OneOf)


class Among(Lookup):  # type: ignore[type-arg,unused-ignore]
    """``field__among=queryset``: membership in a subquery's values, read once.

    ``field__in=subquery`` leaves PostgreSQL free to test the subquery per row of whatever it
    scans first; for a coordinator's few cases it scanned every case in two statuses (7,000 at
    100,000 cases) and worked out their aftercare dates before asking whether they were this
    coordinator's (issue 18). ``= ANY(ARRAY(subquery))`` is evaluated once, before the scan,
    and the primary key's index finds the cases. SQLite already reads ``IN (subquery)`` once
    into a list it probes, so there it is ``IN``."""

    lookup_name = "among"

    def get_prep_lookup(self) -> Any:
        from django.db.models.sql.query import Query

        if isinstance(self.rhs, Query):
            self.rhs.clear_ordering(clear_default=True)  # a set: its order costs a sort
        return super().get_prep_lookup()

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)


Field.register_lookup(Among)
ForeignObject.register_lookup(Among)
