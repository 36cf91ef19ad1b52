"""``field__among=subquery`` (kring.core.lookups): the same rows as ``field__in``, with the
subquery read once before the scan on PostgreSQL (issue 18: a coordinator's scope)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kring.cases.models import Assignment, Case, Status
from tests.factories import case_in_status

pytestmark = pytest.mark.django_db


def test_among_finds_what_in_finds_and_reads_the_subquery_once(world):
    mine = [case_in_status(Status.PREPARATION, coordinator=world.coordinator) for _ in range(3)]
    case_in_status(Status.PREPARATION, coordinator=world.other_coordinator)
    case_in_status(Status.CLOSED, coordinator=world.coordinator)  # ended: not active
    active = Assignment.objects.filter(
        coordinator=world.coordinator, state__in=["offered", "accepted"]
    ).values("case_id")
    with CaptureQueriesContext(connection) as queries:
        found = set(Case.objects.filter(pk__among=active).order_by().values_list("pk", flat=True))
    assert found == set(Case.objects.filter(pk__in=active).values_list("pk", flat=True))
    assert {case.pk for case in mine} <= found
    assert found.isdisjoint(Case.objects.exclude(pk__in=active).values_list("pk", flat=True))
    (query,) = queries.captured_queries
    # The assignments' default order would only cost a sort.
    assert "ORDER BY" not in query["sql"]
    if connection.vendor == "postgresql":
        assert '"cases_case"."id" = ANY(ARRAY(SELECT' in query["sql"]
    else:
        assert '"cases_case"."id" IN (SELECT' in query["sql"]
    # An empty subquery finds nothing (and is no error).
    none = Assignment.objects.filter(coordinator=world.manager).values("case_id")
    assert not Case.objects.filter(pk__among=none).exists()
