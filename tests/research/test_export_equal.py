"""The cases dataset in one query per chunk (issue 18) holds the same cells as the nine
grouped queries it replaced (tests/research/research_before.py), and its CSV the same bytes, on
generated data with every kind of case: the demo generator's and the hand-made edge cases
of the export tests."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from kring.accounts.models import CoordinatorProfile, Region, User
from kring.bench.management.commands.bench_export import follow_ups
from kring.cases.models import Case, Status
from kring.demo import bulk, personas
from kring.research import case_sql, exports
from kring.research.dataset import CASES, RESPONDENTS
from kring.research.period import Period
from tests.factories import (
    add_follow_up,
    add_person,
    add_plan,
    add_respondent,
    agreements_of,
    at,
    case_with_history,
)
from tests.research import research_before, test_dataset_export

pytestmark = pytest.mark.django_db

# The export tests' hand-made cases, as fixtures here too.
built = test_dataset_export.built
dangerous = test_dataset_export.dangerous


@pytest.fixture
def generated(built, request):
    """The export tests' hand-made cases (every phase with cancelled dates, two follow-up
    moments, a national request, formula-like regions), then the bulk seeder's in every
    region."""
    seed_every_region(150, 18)
    request.getfixturevalue("dangerous")  # regions without municipalities: after seeding


def seed_every_region(cases: int, seed: int) -> None:
    """The demo's staff, working in every region, and the bulk seeder's cases with their
    follow-up moments."""
    personas.ensure_staff(personas.ensure_reference_data())
    coordinator = CoordinatorProfile.objects.order_by("pk").last()
    manager = User.objects.filter(is_regional_manager=True).order_by("pk").last()
    assert coordinator is not None and manager is not None
    for region in Region.objects.all():
        coordinator.regions.add(region)
        manager.managed_regions.add(region)
    for _done in bulk.seed(cases, seed=seed):
        pass
    follow_ups(Case.objects.all(), random.Random(seed))


@pytest.mark.parametrize("chunk", [7, 500])
@pytest.mark.parametrize("every_case", [True, False], ids=["every case", "a scope"])
def test_the_fast_rows_equal_the_old_ones(generated, chunk, every_case):
    # Every case: on PostgreSQL the statement without the filters to the scope (and with the
    # outcomes counted per respondent); a condition that keeps every case: the filtered one.
    cases = Case.objects.all() if every_case else Case.objects.filter(pk__gt=0)
    assert case_sql._every_case(cases) is every_case
    before = list(research_before.case_rows(cases, Period(), chunk))
    after = list(CASES.rows(cases, chunk_size=chunk))
    assert len(after) == Case.objects.count() > 100
    # Every column (but a few rare categories of the circle) holds more than one value: the
    # data tells the computations apart.
    same = [
        column.name
        for index, column in enumerate(CASES.columns)
        if len({row[index] for row in after}) < 2
    ]
    assert all(name.startswith("circle_") for name in same) and len(same) <= 4, same
    for was, now in zip(before, after, strict=True):
        assert [type(cell) for cell in now] == [type(cell) for cell in was], was[0]
        assert now == was, was[0]
    for dialect in (exports.INTERNATIONAL, exports.DUTCH):
        new = b"".join(exports.csv_pieces(CASES.columns, iter(after), dialect))
        old = b"".join(research_before.csv_pieces(CASES.columns, iter(before), dialect))
        assert new == old, dialect


def test_a_scope_with_gaps_gives_the_same_rows(generated):
    """One region's cases lie far apart: SQLite reads each table by the chunk's ids, not over
    their range (kring.research.case_sql.Tables); the rows are the same."""
    region = Region.objects.annotate(n=Count("cases")).order_by("-n", "pk").first()
    cases = Case.objects.filter(region=region)
    before = list(research_before.case_rows(cases, Period(), 10))
    with CaptureQueriesContext(connection) as queries:
        after = list(CASES.rows(cases, chunk_size=10))
    assert len(after) == cases.count() > 20
    assert after == before
    if connection.vendor == "sqlite":
        chunks = [q["sql"] for q in queries if "group_concat(row" in q["sql"]]
        assert len(chunks) == len(after) // 10 + 1  # and one that finds no more cases
        assert all("IN (SELECT id FROM chunk)" in sql and "BETWEEN" not in sql for sql in chunks)


def test_the_earliest_moment_is_the_fewest_months_and_opened_is_the_first_of_any(world):
    """The follow-up moments of a case made in another order than their months (12, 6, 3) and
    opened in a third (6, 3, 12): its figures are the earliest moment's (3 months, made last),
    its days to the first opening count to the 6-month moment's; the same as the grouped
    queries'. (The bulk seeder makes one moment per case.)"""
    start = at("2026-01-05")
    case = case_with_history(
        start,
        [
            (Status.HELD, start + dt.timedelta(days=30)),
            (Status.PLAN_DISTRIBUTED, start + dt.timedelta(days=40)),
        ],
        region=world.west,
    )
    people = [add_person(case, f"P{i}", willingness="yes") for i in range(3)]
    (agreement,) = agreements_of(add_plan(case, ["Afspraak"]))
    add_follow_up(case, 12, start.date(), opened_at=start + dt.timedelta(days=120))
    six = add_follow_up(case, 6, start.date(), opened_at=start + dt.timedelta(days=60))
    three = add_follow_up(case, 3, start.date(), opened_at=start + dt.timedelta(days=90))
    add_respondent(six, people[0], outcomes={agreement: "done"}, better=5, satisfaction=9)
    for person, better in zip(people, (1, 2, 2), strict=True):
        add_respondent(three, person, outcomes={agreement: "not"}, better=better, satisfaction=3)
    assert six.pk < three.pk
    cases = Case.objects.filter(pk=case.pk)
    (row,) = list(CASES.rows(cases))
    assert [row] == list(research_before.case_rows(cases, Period()))
    cell = {column.name: value for column, value in zip(CASES.columns, row, strict=True)}
    assert cell["follow_up_months"] == 3 and cell["follow_up_respondents"] == 3
    assert (cell["agreements_done"], cell["agreements_not"]) == (0, 3)
    assert cell["better_mean"] == 1.67
    assert cell["days_plan_distributed_to_follow_up"] == 20  # the 6-month moment, opened first


def test_the_answers_csv_is_written_as_before(generated):
    rows = list(RESPONDENTS.rows(Case.objects.all()))
    assert len(rows) > 100
    for dialect in (exports.INTERNATIONAL, exports.DUTCH):
        new = b"".join(exports.csv_pieces(RESPONDENTS.columns, iter(rows), dialect))
        old = b"".join(research_before.csv_pieces(RESPONDENTS.columns, iter(rows), dialect))
        assert new == old, dialect
