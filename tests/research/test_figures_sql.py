"""The dashboard's figures in SQL (issue 18) are the figures the Python loops gave: the old
computation is kept in tests/research/figures_reference.py and both run over generated data, with
histories out of order, intake dates set and missing, and several 'todays'."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kring.cases.models import Case, CaseEvent, Status
from kring.cases.norms import working_days_between
from kring.demo import generator, personas
from kring.research import figures
from kring.research.models import WorkingDayCount
from kring.research.period import ClosedPeriod, month_start
from tests.factories import add_follow_ups_and_costs
from tests.research import figures_reference as reference

pytestmark = pytest.mark.django_db


def disturb(seed: int) -> None:
    """Edge cases the generator does not make: an intake date before the request, a step
    recorded before the previous one, a case stuck in intake without a conversation date, and
    requests at the end of a month (the follow-up norm counts months)."""
    rng = random.Random(seed)
    cases = list(Case.objects.order_by("pk"))
    for case in rng.sample(cases, len(cases) // 5):
        choice = rng.randrange(4)
        if choice == 0:
            Case.objects.filter(pk=case.pk).update(
                intake_on=timezone.localdate(case.requested_at) - dt.timedelta(days=2)
            )
        elif choice == 1:
            CaseEvent.objects.create(
                case=case,
                action="status.changed",
                to_status=rng.choice([Status.HELD, Status.ACCEPTED, Status.PLAN_DISTRIBUTED]),
                at=case.requested_at - dt.timedelta(days=rng.randrange(1, 30)),
            )
        elif choice == 2:
            Case.objects.filter(pk=case.pk).update(status=Status.INTAKE, intake_on=None)
        else:
            local = timezone.localtime(case.requested_at)
            end_of_month = month_start(local.date(), 1) - dt.timedelta(days=1)
            Case.objects.filter(pk=case.pk).update(
                requested_at=timezone.make_aware(dt.datetime.combine(end_of_month, dt.time(23, 30)))
            )


@pytest.fixture
def generated(world):
    personas.ensure_staff(personas.ensure_reference_data())
    list(generator.generate(240, seed=18))
    add_follow_ups_and_costs()
    disturb(18)
    return world


def periods() -> list[ClosedPeriod]:
    today = timezone.localdate()
    return [
        ClosedPeriod.last_twelve_months(today),
        ClosedPeriod(month_start(today, -60), today),
        ClosedPeriod(month_start(today, -30), month_start(today, -6)),
    ]


def test_the_phases_in_sql_equal_the_python_loop(generated):
    today = timezone.localdate()
    scopes = [Case.objects.all(), Case.objects.filter(region=generated.west)]
    compared = 0
    for cases in scopes:
        for period in periods():
            for day in (today, today + dt.timedelta(days=45), today - dt.timedelta(days=200)):
                new = figures.phases(cases, period, day)
                old = reference.phases(cases, period, day)
                assert new == old, (period, day)
                compared += sum(phase.count + phase.waiting_over for phase in new)
    # The comparison is about real numbers: phases completed, over the norm and waiting.
    national = figures.phases(Case.objects.all(), periods()[1], today)
    assert all(phase.count > 0 for phase in national), national
    assert any(phase.over > 0 for phase in national) and any(p.waiting_over for p in national)
    assert compared > 100


def test_the_attendance_in_sql_equals_the_python_loop(generated):
    for cases in (Case.objects.all(), Case.objects.filter(region=generated.west)):
        for period in periods():
            assert figures.attendance(cases, period) == reference.attendance(cases, period)
    national = figures.attendance(Case.objects.all(), periods()[1])
    assert national.meetings > 5 and all(part.median for part in national.parts)


def test_an_empty_cohort_has_no_medians(world):
    period = ClosedPeriod(dt.date(2001, 1, 1), dt.date(2001, 12, 31))
    assert figures.phases(Case.objects.all(), period) == reference.phases(
        Case.objects.all(), period
    )
    assert figures.attendance(Case.objects.all(), period) == reference.attendance(
        Case.objects.all(), period
    )


def test_one_query_each_whatever_the_cohort(generated):
    period = periods()[1]
    for function in (figures.phases, figures.attendance):
        with CaptureQueriesContext(connection) as queries:
            function(Case.objects.all(), period)
        # One query (on PostgreSQL with its JIT switched off for it: SET LOCAL in a savepoint).
        selects = [q for q in queries.captured_queries if q["sql"].lstrip().startswith("WITH")]
        others = [q["sql"] for q in queries.captured_queries if q not in selects]
        assert len(selects) == 1, function
        assert all(sql.startswith(("SAVEPOINT", "RELEASE", "SET LOCAL jit")) for sql in others)


def test_the_working_day_calendar_counts_as_the_norms_do(db):
    days = dict(WorkingDayCount.objects.values_list("day", "working"))
    assert min(days) == dt.date(2000, 1, 1) and max(days) == dt.date(2100, 12, 31)
    rng = random.Random(7)
    for _ in range(300):
        start = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(36000))
        end = start + dt.timedelta(days=rng.randrange(400))
        assert days[end] - days[start] == working_days_between(start, end)


def test_the_sqlite_local_day_agrees_with_django_around_the_clock_changes():
    from kring.research.sqlite_days import local_day

    zone = "Europe/Amsterdam"
    start = dt.datetime(2026, 3, 28, 20, 0, tzinfo=dt.UTC)
    for minutes in range(0, 3 * 24 * 60, 7):
        for shift in (dt.timedelta(0), dt.timedelta(days=210)):  # March and October
            moment = start + shift + dt.timedelta(minutes=minutes, seconds=59)
            stored = moment.replace(tzinfo=None).isoformat(sep=" ")
            expected = timezone.localdate(moment, timezone.get_current_timezone())
            assert local_day(stored, zone) == expected.isoformat(), stored
    assert local_day(None, zone) is None


@pytest.mark.parametrize(
    "zone",
    ["Europe/Amsterdam", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe", "UTC"],
)
def test_the_sqlite_day_number_agrees_with_the_zone_around_midnight_and_clock_changes(zone):
    """The day number takes a sum on days with one offset and the exact way on the days the
    clocks change: the same answer every minute, in zones with half-hour offsets and a
    half-hour daylight saving time (Lord Howe) as well."""
    from kring.research.sqlite_days import EPOCH, day_number

    local = zoneinfo.ZoneInfo(zone)
    changes = ((3, 6), (3, 27), (4, 3), (10, 1), (10, 23), (10, 30))  # the clocks of each zone
    starts = [dt.datetime(2026, month, day, tzinfo=dt.UTC) for month, day in changes]
    for start in starts:
        for minutes in range(0, 4 * 24 * 60, 11):
            moment = start + dt.timedelta(minutes=minutes, seconds=31, microseconds=5)
            stored = moment.replace(tzinfo=None).isoformat(sep=" ")
            expected = moment.astimezone(local).date()
            assert day_number(stored, zone) == expected.toordinal() - EPOCH, stored
    assert day_number(None, zone) is None
