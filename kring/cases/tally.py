"""The number of cases per status in an area, without counting the cases (issue 18).

A regional manager's start page shows their regions' cases per status and how many wait for
them. Counting those rows grows with a decade of cases (40,000 rows for two regions at 100,000
cases: 22 ms on PostgreSQL, against 0.3 ms at 1,000). Instead, triggers on ``cases_case``
record every change as a +1 or -1 row in :class:`~kring.cases.models.StatusCount` (insert
only: two requests moving cases of one region never wait for each other), and the worker's
``cases.tally`` job folds the rows of each area and status into one, so a page adds up a
bounded number of rows: the areas of the scope times the statuses, plus the changes since the
worker's last round.

The triggers live in the database (migration ``cases.0006``) so that no way of writing a case
escapes them. When the last case is deleted (a test database flushed between tests), the
triggers empty the table: no case, no count.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Sum

from kring.accounts.models import User
from kring.cases.access import managed_region_ids
from kring.cases.models import StatusCount
from kring.core.prepared import SQL, Prepared

INBOX = 0  # the area of the cases without a region: the national inbox


def manager_areas(user: User) -> list[int]:
    """The areas of ``user``'s managed cases (:func:`kring.cases.access.managed_cases`)."""
    if not user.is_active or not user.is_regional_manager:
        return []
    areas = list(managed_region_ids(user))
    if user.sees_national_inbox:
        areas.append(INBOX)
    return areas


# The changes of some areas, as (status, change) rows: a few per area and status once the worker
# has folded them. On the start page and every page of a manager's case list, so its SQL is
# written once per process (kring.core.prepared), and the rows are added up here (a GROUP BY is
# not a query of a fixed shape there).
_CHANGES = Prepared(
    lambda areas: StatusCount.objects.filter(area__in=areas).values_list("status", "n"), SQL
)


def counts(areas: list[int]) -> dict[str, int]:
    """The number of cases per status in ``areas`` (statuses without cases left out)."""
    if not areas:
        return {}
    totals: dict[str, int] = {}
    for status, n in _CHANGES(SQL.values(areas)):
        totals[status] = totals.get(status, 0) + n
    return {status: total for status, total in totals.items() if total}


def scope_count(user: User, *, status: str = "", region: int | None = None) -> int | None:
    """How many cases a regional manager's case list holds (:func:`kring.cases.access.cases_for`:
    the cases of the regions they manage and of the national inbox if they hold it), in
    ``status`` and ``region`` if given, added up from the counts: exact, where the list could
    only count to its cap (:data:`kring.cases.paging.COUNT_CAP`) and the start page's figure per
    status said more. None for anyone else's list, and for a manager who also coordinates: their
    list holds cases of other regions too, which the counts do not tell apart."""
    if not user.is_active or not user.is_regional_manager or user.is_coordinator:
        return None
    areas = manager_areas(user)
    if region is not None:
        areas = [area for area in areas if area == region]
    found = counts(areas)
    return found.get(status, 0) if status else sum(found.values())


def compact() -> int:
    """Fold the changes into one row per area and status (the worker's ``cases.tally``);
    returns the number of rows folded. Rows written by transactions still open are left for
    the next round: the sum stays exact at every moment."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # One statement: what the DELETE removed is what the INSERT adds up. Rows
                # another compaction removed first are skipped, not counted twice.
                cursor.execute(
                    "WITH gone AS (DELETE FROM cases_statuscount RETURNING area, status, n), "
                    "kept AS (INSERT INTO cases_statuscount (area, status, n) "
                    "SELECT area, status, SUM(n) FROM gone GROUP BY area, status "
                    "HAVING SUM(n) <> 0 RETURNING 1) "
                    "SELECT (SELECT count(*) FROM gone)"
                )
                row = cursor.fetchone()
            return int(row[0]) if row else 0
        # SQLite: the transaction holds the one writer's lock, so nothing is added meanwhile.
        rows = list(
            StatusCount.objects.values_list("area", "status").annotate(total=Sum("n")).order_by()
        )
        folded = StatusCount.objects.all().delete()[0]
        StatusCount.objects.bulk_create(
            StatusCount(area=area, status=status, n=total) for area, status, total in rows if total
        )
        return folded
