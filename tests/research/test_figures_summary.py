"""The dashboard and the financiers' reports from the summary (issue 18): the same figures as
the direct computation over the cohort (kring.research.figures and report.financier_report),
for several scopes, periods (whole and partial months) and 'todays'; and the summary follows
a case that moves on, through the page itself and through the worker's job."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from kring.accounts.models import Organisation
from kring.cases.access import managed_cases
from kring.cases.lifecycle import change_status
from kring.cases.models import Case, Funding, Status
from kring.core import periodic
from kring.demo import generator, personas
from kring.research import figures, summary
from kring.research import report as reports
from kring.research.access import financiers_for, research_areas, research_cases
from kring.research.models import FigureBucket, FigureDirty
from kring.research.period import ClosedPeriod, month_start
from tests.factories import add_follow_ups_and_costs
from tests.research.test_figures_sql import generated  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def periods() -> list[ClosedPeriod]:
    today = timezone.localdate()
    return [
        ClosedPeriod.last_twelve_months(today),
        ClosedPeriod(month_start(today, -60), today),
        ClosedPeriod(month_start(today, -30), month_start(today, -6)),
        # Day-granular: parts of the first and last month.
        ClosedPeriod(
            month_start(today, -9) + dt.timedelta(days=9),
            month_start(today, -2) + dt.timedelta(days=19),
        ),
        ClosedPeriod(today - dt.timedelta(days=40), today - dt.timedelta(days=3)),
    ]


def comparable(value):
    """Means rounded to nine places: the database's average of an integer column is a
    decimal on PostgreSQL, the summary's a float division; both show one decimal."""
    if isinstance(value, figures.Dashboard):
        return dataclasses.replace(
            value,
            attendance=comparable(value.attendance),
            execution=comparable(value.execution),
        )
    if isinstance(value, figures.Attendance):
        return dataclasses.replace(
            value,
            parts=[
                dataclasses.replace(part, mean=None if part.mean is None else round(part.mean, 9))
                for part in value.parts
            ],
        )
    if isinstance(value, figures.Execution):
        mean = value.mean_satisfaction
        return dataclasses.replace(
            value, mean_satisfaction=None if mean is None else round(mean, 9)
        )
    if isinstance(value, reports.FinancierReport):
        return dataclasses.replace(value, execution=comparable(value.execution))
    return value


def scopes(world) -> list[tuple[list[str], QuerySet[Case]]]:
    west = summary.area_of(world.west.pk)
    return [
        ([summary.ALL], Case.objects.all()),
        ([west], Case.objects.filter(region=world.west)),
        ([summary.INBOX], Case.objects.filter(region__isnull=True)),
        (research_areas(world.manager), managed_cases(world.manager)),
        (
            [west, summary.area_of(world.zuid.pk)],
            Case.objects.filter(region__in=[world.west, world.zuid]),
        ),
    ]


def test_the_dashboard_from_the_summary_equals_the_direct_computation(generated):  # noqa: F811
    summary.rebuild()
    assert FigureBucket.objects.exists() and not FigureDirty.objects.exists()
    today = timezone.localdate()
    compared = 0
    for areas, cases in scopes(generated):
        for period in periods():
            for day in (today, today + dt.timedelta(days=45), today - dt.timedelta(days=200)):
                new = summary.dashboard(areas, period, day)
                old = figures.dashboard(cases, period, day)
                assert comparable(new) == comparable(old), (areas, period, day)
                compared += new.requests.total + sum(p.waiting_over for p in new.phases)
    national = summary.dashboard([summary.ALL], periods()[1], today)
    assert all(phase.count for phase in national.phases)
    assert any(phase.waiting_over for phase in national.phases)
    assert national.attendance.meetings > 5 and national.execution.respondents > 5
    assert len(national.requests.series) > 1
    assert compared > 500


def test_the_financier_report_from_the_summary_equals_the_direct_one(generated):  # noqa: F811
    summary.rebuild()
    financiers = list(
        Organisation.objects.filter(fundings__isnull=False).distinct().order_by("pk")[:4]
    )
    assert financiers
    checked = 0
    for organisation in financiers:
        for areas, cases in scopes(generated):
            for period in periods():
                new = reports.summarised_report(areas, organisation, period)
                old = reports.financier_report(cases, organisation, period)
                assert comparable(new) == comparable(old), (organisation, areas, period)
                checked += new.cases + new.approved_fundings + new.cost_items
    assert checked > 50


def test_the_summary_follows_a_case_that_moves_on(generated):  # noqa: F811
    summary.rebuild()
    period = ClosedPeriod(month_start(timezone.localdate(), -60), timezone.localdate())
    case = (
        Case.objects.filter(status=Status.SCHEDULED, requested_at__gte=period.start_at)
        .order_by("pk")
        .first()
    )
    assert case is not None
    before = summary.dashboard([summary.ALL], period)
    held = before.funnel[3].count
    change_status(case, Status.HELD, user=None)
    # Marked as changed, and the worker's job takes it into the summary.
    assert FigureDirty.objects.filter(case_id=case.pk).exists()
    job = next(job for job in periodic.registered() if job.name == "research.figures")
    job.run("test-worker")
    assert not FigureDirty.objects.exists()
    after = summary.dashboard([summary.ALL], period)
    assert after.funnel[3].count == held + 1
    assert comparable(after) == comparable(figures.dashboard(Case.objects.all(), period))
    # A funding: the financier's report follows through the page's own refresh.
    organisation = Organisation.objects.create(name="Fonds Nieuw")
    Funding.objects.create(
        case=case, organisation=organisation, decision=Funding.Decision.APPROVED, amount=1234
    )
    report = reports.summarised_report([summary.ALL], organisation, period)
    assert report.cases == 1 and report.approved_amount == 1234
    assert comparable(report) == comparable(
        reports.financier_report(Case.objects.all(), organisation, period)
    )
    # A case deleted leaves the summary too.
    requested = summary.dashboard([summary.ALL], period).requests.total
    case.delete()
    assert summary.dashboard([summary.ALL], period).requests.total == requested - 1


def test_an_empty_summary_has_no_figures(world):
    summary.rebuild()
    period = ClosedPeriod(dt.date(2001, 1, 1), dt.date(2001, 12, 31))
    assert comparable(summary.dashboard([summary.ALL], period)) == comparable(
        figures.dashboard(Case.objects.all(), period)
    )
    assert summary.dashboard([], period).requests.total == 0


def test_the_summary_follows_generated_data_without_a_rebuild(world):
    """The demo generator inserts in bulk and marks its cases itself; the pages' refresh then
    gives the direct computation's figures, and the financiers the user may see are the ones
    with fundings in their scope."""
    personas.ensure_staff(personas.ensure_reference_data())
    list(generator.generate(80, seed=3))
    add_follow_ups_and_costs()
    assert FigureDirty.objects.exists()
    period = ClosedPeriod(month_start(timezone.localdate(), -60), timezone.localdate())
    for areas, cases in scopes(world):
        assert comparable(summary.dashboard(areas, period)) == comparable(
            figures.dashboard(cases, period)
        ), areas
    assert not FigureDirty.objects.exists()
    for user in (world.manager, world.researcher, world.other_manager):
        expected = Organisation.objects.filter(fundings__case__in=research_cases(user)).distinct()
        assert set(financiers_for(user)) == set(expected) != set()
        organisation = financiers_for(user).first()
        assert organisation is not None
        assert comparable(
            reports.summarised_report(research_areas(user), organisation, period)
        ) == comparable(reports.financier_report(research_cases(user), organisation, period))


@pytest.mark.django_db
def test_a_bucket_keeps_its_count_of_cases_in_a_column_and_old_buckets_get_it():
    """The financiers list sums ``cases``, which must be ``data["n"]``: as buckets are written,
    and for the buckets kept before the column came (migration research 0006)."""
    import importlib

    from django.apps import apps

    from kring.research.models import FigureBucket

    written = [
        FigureBucket(area="r1", month=True, day=dt.date(2026, 3, 1), data={"n": n, "x": 1})
        for n in (1, 7, 2500)
    ] + [FigureBucket(area="r1", month=False, day=dt.date(2026, 3, 2), data={"x": 1})]
    FigureBucket.objects.bulk_create(written)
    FigureBucket.objects.update(cases=0)
    migration = importlib.import_module("kring.research.migrations.0006_bucket_cases")
    migration.fill(apps, None)
    assert sorted(FigureBucket.objects.values_list("cases", flat=True)) == [0, 1, 7, 2500]
