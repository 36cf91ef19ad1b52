"""Search on a case's reference, place and municipality through an index (issue 18).

- PostgreSQL: ``ILIKE '%term%'`` on ``reference`` and ``place``, which the trigram indexes
  (``pg_trgm``, migration cases 0004) serve; Django's ``icontains`` writes
  ``UPPER(col::text) LIKE UPPER(…)``, which those indexes cannot serve.
- SQLite: an FTS5 table with the trigram tokenizer over the same two columns, kept up to date
  by triggers; a term of three characters or more is looked up there. A shorter term cannot
  be (a trigram is three characters) and falls back to ``LIKE``, a scan — SQLite has no index
  for a substring of one or two characters.
- The municipality: its name is matched in the small municipality table first, and the cases
  are filtered on that literal list of ids (an index on the foreign key).
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import CharField, Lookup, Q, QuerySet
from django.db.models.expressions import RawSQL

from kring.accounts.models import Municipality
from kring.cases.models import Case

SEARCH_TABLE = "cases_case_search"
TRIGRAM = 3


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@CharField.register_lookup
class ContainsText(Lookup):
    """``field__kring_contains=term``: case-insensitive substring, written so that a trigram
    index serves it on PostgreSQL (``ILIKE``); ``LIKE`` on SQLite (case-insensitive there)."""

    lookup_name = "kring_contains"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> Any:
        return "%s", [_like_pattern(str(value))]

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        return f"{lhs} {operator} {rhs} ESCAPE '\\'", (*lhs_params, *rhs_params)


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def search(cases: QuerySet[Case], term: str) -> QuerySet[Case]:
    """The cases of ``cases`` whose reference, place or municipality contains ``term`` (in
    any case). One query ahead (the municipalities), whatever the number of cases."""
    term = term.strip()
    if not term:
        return cases
    municipalities = sorted(
        Municipality.objects.filter(name__icontains=term).values_list("pk", flat=True)
    )
    if connections[cases.db].vendor == "sqlite" and len(term) >= TRIGRAM:
        text = Q(
            pk__in=RawSQL(  # noqa: S611 - a constant table name; the term is a parameter
                f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH %s",  # noqa: S608
                [_fts_phrase(term)],
            )
        )
    else:
        text = Q(reference__kring_contains=term) | Q(place__kring_contains=term)
    return cases.filter(text | Q(municipality_id__in=municipalities))
