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

On SQLite the planner cannot tell a frequent term from a rare one, and for a manager's scope
(whole regions) no single plan serves both. :func:`searched` counts the term's matches up to
``FREQUENT`` in the full-text table and names the plan for the case list (:attr:`Searched.hint`):
a frequent term walks the list's own index newest first and stops at the page's end (it meets
a match every few cases), a rare one looks its few matches up by id and sorts them. Measured at
100,000 cases for the demo's manager (three pieces, a third of the cases), the page's keys and
cases: "huis" (6,300 matches) 2.4 ms read region by region, 1.5 ms walking the list's index,
8.2 ms looking up the matches; a name found twice 4.3 ms, 11.6 ms and 0.5 ms; a term found
nowhere 2.4 ms, 9.9 ms and 0.04 ms. Region by region each region's index is walked whole when
the term is rare. The count itself: 0.03-0.7 ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import CharField, Lookup, Q, QuerySet
from django.db.models.expressions import RawSQL

from kring.accounts.models import Municipality
from kring.cases.models import Case

SEARCH_TABLE = "cases_case_search"
TRIGRAM = 3
# Past this many matches a term is frequent: walking the list's index finds a page of them
# sooner than looking each of them up (the crossing lay at 800 matches of 100,000 cases for a
# scope of a third of them; lower, so that a narrower scope walks less far).
FREQUENT = 500
# SQLite's table hints for the case list (kring.cases.paging): walk the list's index, or look
# the matches up by id (the rowid stays usable under NOT INDEXED).
WALK = "INDEXED BY case_list_seek"
LOOK_UP = "NOT INDEXED"


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


@dataclass(frozen=True)
class Searched:
    cases: QuerySet[Case]
    # SQLite's table hint for reading a broad scope's search newest first (WALK or LOOK_UP),
    # or "" where the planner's own choice serves: PostgreSQL, a term too short for the
    # full-text table, a term that names a municipality (its cases are found by the index on
    # the municipality, which a hint would forbid).
    hint: str = ""


def search(cases: QuerySet[Case], term: str) -> QuerySet[Case]:
    """The cases of ``cases`` whose reference, place or municipality contains ``term`` (in
    any case). One query ahead (the municipalities), whatever the number of cases."""
    return searched(cases, term, plan=False).cases


def searched(cases: QuerySet[Case], term: str, *, plan: bool = True) -> Searched:
    """:func:`search`, and (``plan``) the plan for a broad scope on SQLite: one query more, the
    term's matches counted up to ``FREQUENT``."""
    term = term.strip()
    if not term:
        return Searched(cases)
    municipalities = sorted(
        Municipality.objects.filter(name__icontains=term).values_list("pk", flat=True)
    )
    if connections[cases.db].vendor != "sqlite" or len(term) < TRIGRAM:
        text = Q(reference__kring_contains=term) | Q(place__kring_contains=term)
        return Searched(cases.filter(text | Q(municipality_id__in=municipalities)))
    matches = f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH %s"  # noqa: S608
    phrase = _fts_phrase(term)
    text = Q(pk__in=RawSQL(matches, [phrase]))  # noqa: S611 - a constant table; the term a parameter
    found = cases.filter(text | Q(municipality_id__in=municipalities))
    if not plan or municipalities:
        return Searched(found)
    with connections[cases.db].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({matches} LIMIT {FREQUENT + 1})", [phrase])  # noqa: S608
        row = cursor.fetchone()
    return Searched(found, WALK if row and row[0] > FREQUENT else LOOK_UP)
