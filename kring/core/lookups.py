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
