"""The dashboard's and the financiers' figures from a summary kept up to date (issue 18).

:mod:`kring.research.figures` computes every figure over the cohort of cases requested in a
period: its cost grows with the cohort. This module keeps the same figures per *bucket* — an
area (one region, the national inbox, or ``all`` of them), a financier (or none: every case),
and one day or one month of requests — in :class:`~kring.research.models.FigureBucket`, so that
a page merges a bounded number of rows: the areas of the user's scope times the whole months
of the period plus the days of its partial first and last month. That is independent of the
number of cases.

A bucket holds counts that add up (requests, stages reached, answers, money in cents) and, for
the medians, histograms (phase days, people per meeting part), as one flat JSON object:

- ``n``: requests; ``nr.<area>``: requests per area (in the ``all`` area, for the
  requests-per-region chart); ``f.<stage>``: cases that reached the stage;
- ``p.<phase>.v.<days>``: cases that completed the phase in that many days; ``p.<phase>.o``:
  of those, over the norm; ``p.<phase>.w.<YYYY-MM-DD>``: cases still waiting for the end of
  the phase, by the day the phase started. Whether a waiting case is past the norm depends on
  *today*: it is decided when the page is shown, per start day (a bounded number), with the
  same norms (working days from :class:`~kring.research.models.WorkingDayCount`) as the
  direct computation. A case moving on changes its bucket (see below); the passing of time
  does not need to;
- ``a.<part>.<people>``: held meetings with that many people at the part (``present``: at
  any part), ``a.size<i>``: meetings per size bucket, ``a.unrecorded``;
- ``e.o.<outcome>``, ``e.respondents``, ``e.cases``, ``e.sat_sum``, ``e.sat_n``,
  ``e.better``, ``e.better_n``: the follow-up answers;
- in a financier's buckets also ``i.*`` (the distributed plans' agreements and requests to
  organisations), ``m.*`` (the financier's fundings, amounts in cents) and ``c.*`` (meeting
  costs paid from them).

Keeping it up to date: every save or delete of what feeds a figure (the case, its history —
every status change and most edits are a ``CaseEvent`` —, meeting, attendance, follow-up
answers, plan items, fundings, costs) marks the case in
:class:`~kring.research.models.FigureDirty` (:mod:`kring.research.signals`). :func:`refresh`
recomputes the day buckets of the marked cases' request days from their cases, and the month
buckets of those months from their day buckets; the worker runs it every round
(``research.figures``), and a page runs it first, so a page never shows figures older than the
last change. :func:`rebuild` computes everything anew (``manage.py rebuild_figures``, and the
end of ``seed --cases``).

The loops over cases here run in the worker, the rebuild, or a page's refresh of the few cases
changed since the last round: never over a page's cohort.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from kring.accounts.models import Organisation, Region
from kring.cases.models import Case, CaseEvent, Funding, Status
from kring.followup.models import AgreementOutcome, Respondent
from kring.meetings.models import CostItem, Meeting
from kring.plans.models import OrganisationRequest, Plan
from kring.research import figures
from kring.research.figures import (
    PARTS,
    SIZE_BUCKETS,
    STAGES,
    Attendance,
    Dashboard,
    Execution,
    MonthlyRequests,
    OutcomeCount,
    PartAttendance,
    Phase,
    Series,
    SizeBucket,
    Stage,
    national_inbox_label,
    percent,
    size_label,
)
from kring.research.models import FigureBucket, FigureDirty, WorkingDayCount
from kring.research.period import ClosedPeriod, Period, month_start

ALL = "all"
INBOX = "inbox"
#: Cases read at once by a rebuild (by whole months).
REBUILD_MONTHS = 3

Data = dict[str, int]


def area_of(region_id: int | None) -> str:
    return f"r{region_id}" if region_id is not None else INBOX


# --- Per case: what it adds to its buckets ------------------------------------------------


def _day(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    day: dt.date = value
    return day


def _add(into: Data, data: Data) -> None:
    for key, value in data.items():
        into[key] = into.get(key, 0) + value


class _Calendar:
    """Working days up to a day, from :class:`WorkingDayCount` (None outside its years, as
    the SQL's join finds no row)."""

    def __init__(self, days: dict[dt.date, int]) -> None:
        self.days = days

    @classmethod
    def between(cls, first: dt.date, last: dt.date) -> _Calendar:
        rows = WorkingDayCount.objects.filter(day__gte=first, day__lte=last)
        return cls(dict(rows.values_list("day", "working")))

    @classmethod
    def of(cls, days: Iterable[dt.date]) -> _Calendar:
        return cls(
            dict(WorkingDayCount.objects.filter(day__in=set(days)).values_list("day", "working"))
        )

    def working_over(self, start: dt.date, end: dt.date, days: int) -> bool:
        first, last = self.days.get(start), self.days.get(end)
        return first is not None and last is not None and last - first > days


def _late(rule: figures._PhaseRule, start: dt.date, end: dt.date, calendar: _Calendar) -> bool:
    """As :func:`figures._late_sql`: did the step from ``start`` to ``end`` take longer than
    the norm."""
    if rule.norm is None:
        return False
    kind, amount = rule.norm
    if kind == "working":
        return calendar.working_over(start, end, amount)
    if kind == "days":
        return (end - start).days > amount
    return figures._month_key(end) > figures._month_key(start) + 32 * amount


def _case_values(cases: QuerySet[Case]) -> QuerySet[Case, dict[str, Any]]:
    """Per case: its area, request day, status and the days each step was first reached, and
    whether it reached each stage of the funnel (as :func:`figures._cohort_days`)."""
    reached = {
        f"r_{key}": figures._reached(status) for key, _label, status in STAGES if status is not None
    }
    return figures._case_days(
        cases,
        c_pk=F("pk"),
        c_region=F("region_id"),
        r_follow_up=figures._answered(),
        **reached,
    )


@dataclass
class _Collected:
    """What a set of cases adds, per (area, financier or None, day)."""

    buckets: dict[tuple[str, int | None, dt.date], Data]


def _collect(cases: QuerySet[Case]) -> _Collected:
    """Read ``cases`` and their figures (a fixed number of queries) and add each case to its
    day buckets: its area and ``all``, without a financier and for each of its financiers."""
    rows = list(_case_values(cases))
    rules = figures._rules()
    buckets: dict[tuple[str, int | None, dt.date], Data] = defaultdict(dict)
    if not rows:
        return _Collected(buckets)
    scope = cases
    dated = [
        _day(row[f"c_{name}"])
        for row in rows
        for name in ("requested", "intake", "accepted", "asked", "held", "plan")
    ]
    present = [day for day in dated if day is not None]
    calendar = _Calendar.between(min(present), max(present))

    # Meetings: the held ones that were not cancelled, with the people per part.
    attended = Q(attendance__information=True) | Q(attendance__private_time=True)
    attended |= Q(attendance__plan=True)
    meetings: dict[int, Data] = {}
    for found in (
        Meeting.objects.filter(case__in=scope, cancelled_at__isnull=True)
        .filter(Exists(CaseEvent.objects.filter(case=OuterRef("case"), to_status=Status.HELD)))
        .order_by()
        .values("case_id")
        .annotate(
            m_information=Count("attendance", filter=Q(attendance__information=True)),
            m_private_time=Count("attendance", filter=Q(attendance__private_time=True)),
            m_plan=Count("attendance", filter=Q(attendance__plan=True)),
            m_present=Count("attendance", filter=attended),
        )
    ):
        meeting: dict[str, Any] = dict(found)
        data = meetings.setdefault(meeting["case_id"], {})
        present_count = meeting["m_present"]
        if present_count > 0:
            for key, _label in PARTS:
                _add(data, {f"a.{key}.{meeting[f'm_{key}']}": 1})
        else:
            _add(data, {"a.unrecorded": 1})
        for index, (low, high) in enumerate(SIZE_BUCKETS):
            if present_count >= low and (high is None or present_count <= high):
                _add(data, {f"a.size{index}": 1})

    # Follow-up answers.
    answers: dict[int, Data] = defaultdict(dict)
    for outcome in (
        AgreementOutcome.objects.filter(
            respondent__follow_up__case__in=scope, respondent__answered_at__isnull=False
        )
        .values(case=F("respondent__follow_up__case_id"), kind=F("outcome"))
        .annotate(count=Count("pk"))
        .order_by()
    ):
        _add(answers[outcome["case"]], {f"e.o.{outcome['kind']}": outcome["count"]})
    for answer in (
        Respondent.objects.filter(follow_up__case__in=scope, answered_at__isnull=False)
        .values(case=F("follow_up__case_id"))
        .annotate(
            respondents=Count("pk"),
            sat_sum=Sum("satisfaction"),
            sat_n=Count("satisfaction"),
            better_count=Count("pk", filter=Q(better__gte=Respondent.Better.BETTER)),
            better_n=Count("better"),
        )
        .order_by()
    ):
        _add(
            answers[answer["case"]],
            {
                "e.respondents": answer["respondents"],
                "e.cases": 1,
                "e.sat_sum": answer["sat_sum"] or 0,
                "e.sat_n": answer["sat_n"],
                "e.better": answer["better_count"],
                "e.better_n": answer["better_n"],
            },
        )

    # For the financiers: the distributed plans, the fundings and the costs.
    distributed = Exists(
        CaseEvent.objects.filter(case=OuterRef("case"), to_status=Status.PLAN_DISTRIBUTED)
    )
    items: dict[int, Data] = {}
    for plan in (
        Plan.objects.filter(case__in=scope)
        .filter(distributed)
        .values("case_id")
        .annotate(
            i_agreements=Count("agreements", distinct=True),
            i_requests=Count("requests", distinct=True),
            i_agreed=Count(
                "requests", filter=Q(requests__reply=OrganisationRequest.Reply.YES), distinct=True
            ),
            i_partly=Count(
                "requests",
                filter=Q(requests__reply=OrganisationRequest.Reply.PARTLY),
                distinct=True,
            ),
        )
        .order_by()
    ):
        counted: dict[str, Any] = dict(plan)
        for key in ("agreements", "requests", "agreed", "partly"):
            _add(items.setdefault(plan["case_id"], {}), {f"i.{key}": counted[f"i_{key}"]})
    approved = Q(decision=Funding.Decision.APPROVED)
    pending = Q(decision=Funding.Decision.PENDING)
    money: dict[int, dict[int, Data]] = defaultdict(dict)
    for funding in (
        Funding.objects.filter(case__in=scope)
        .values("case_id", "organisation_id")
        .annotate(
            approved_amount=Sum("amount", filter=approved),
            approved_n=Count("pk", filter=approved),
            pending_amount=Sum("amount", filter=pending),
            pending_n=Count("pk", filter=pending),
            refused_n=Count("pk", filter=Q(decision=Funding.Decision.REFUSED)),
        )
        .order_by()
    ):
        money[funding["case_id"]][funding["organisation_id"]] = {
            "m.approved_amount": _cents(funding["approved_amount"]),
            "m.approved_n": funding["approved_n"],
            "m.pending_amount": _cents(funding["pending_amount"]),
            "m.pending_n": funding["pending_n"],
            "m.refused_n": funding["refused_n"],
        }
    for cost in (
        CostItem.objects.filter(case__in=scope, funding__isnull=False)
        .values("case_id", financier=F("funding__organisation_id"))
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by()
    ):
        funded = money[cost["case_id"]]
        if cost["financier"] in funded:  # the costs of a case this financier funds
            _add(
                funded[cost["financier"]],
                {"c.total": _cents(cost["total"]), "c.items": cost["count"]},
            )

    for row in rows:
        pk, day = row["c_pk"], _day(row["c_requested"])
        if day is None:
            continue
        area = area_of(row["c_region"])
        common: Data = {"n": 1, f"nr.{area}": 1, "f.requested": 1}
        for key, _label, _status in STAGES:
            if key != "requested" and row.get(f"r_{key}"):
                common[f"f.{key}"] = 1
        _add(common, answers.get(pk, {}))
        figures_part = dict(common)
        _add(figures_part, _phases(row, rules, calendar))
        _add(figures_part, meetings.get(pk, {}))
        for where in (ALL, area):
            _add(buckets[(where, None, day)], figures_part)
        for financier, own in money.get(pk, {}).items():
            report = dict(common)
            _add(report, items.get(pk, {}))
            _add(report, own)
            for where in (ALL, area):
                _add(buckets[(where, financier, day)], report)
    return _Collected(buckets)


def _cents(amount: Decimal | None) -> int:
    return int((amount * 100).to_integral_value()) if amount is not None else 0


def _phases(row: dict[str, Any], rules: list[figures._PhaseRule], calendar: _Calendar) -> Data:
    """As :func:`figures._phase_sql`, for one case."""
    data: Data = {}
    status = row["c_status"]
    for rule in rules:
        start = _day(row[f"c_{rule.start}"])
        if start is None:
            continue
        end = _day(row[f"c_{rule.end}"])
        if end is not None:
            days = (end - start).days
            if days >= 0:
                _add(data, {f"p.{rule.key}.v.{days}": 1})
                if _late(rule, start, end, calendar):
                    _add(data, {f"p.{rule.key}.o": 1})
            continue
        waiting = status in rule.waiting or (
            rule.key == "intake" and status == Status.INTAKE and row["c_intake_on"] is None
        )
        if waiting:
            _add(data, {f"p.{rule.key}.w.{start.isoformat()}": 1})
    return data


# --- Writing buckets ----------------------------------------------------------------------


def _months_of(buckets: dict[tuple[str, int | None, dt.date], Data]) -> dict[Any, Data]:
    months: dict[tuple[str, int | None, dt.date], Data] = defaultdict(dict)
    for (area, financier, day), data in buckets.items():
        _add(months[(area, financier, month_start(day))], data)
    return months


def _rows(buckets: dict[Any, Data], *, month: bool) -> list[FigureBucket]:
    return [
        FigureBucket(
            area=area,
            financier_id=financier,
            month=month,
            day=day,
            data=data,
            cases=data.get("n", 0),
        )
        for (area, financier, day), data in buckets.items()
        if data
    ]


def _lock() -> None:
    """One refresh or rebuild at a time (PostgreSQL; SQLite writes one at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(18001)")


def rebuild() -> int:
    """Compute every bucket anew from the cases; returns the number of cases read."""
    with transaction.atomic():
        _lock()
        FigureDirty.objects.all().delete()
        FigureBucket.objects.all().delete()
        span = Case.objects.order_by().values_list("requested_at", flat=True)
        first = span.order_by("requested_at").first()
        last = span.order_by("-requested_at").first()
        if first is None or last is None:
            return 0
        month = month_start(timezone.localdate(first) - dt.timedelta(days=1))
        end = timezone.localdate(last) + dt.timedelta(days=1)
        while month <= end:
            following = month_start(month, REBUILD_MONTHS)
            collected = _collect(
                Case.objects.filter(Period(month, following - dt.timedelta(days=1)).requested())
            )
            FigureBucket.objects.bulk_create(_rows(collected.buckets, month=False), batch_size=2000)
            FigureBucket.objects.bulk_create(
                _rows(_months_of(collected.buckets), month=True), batch_size=2000
            )
            month = following
    return Case.objects.count()


def refresh() -> int:
    """Recompute the buckets of the cases marked since the last refresh; returns how many
    marks it took. One query when nothing is marked."""
    marks = list(FigureDirty.objects.values_list("pk", "case_id", "day"))
    if not marks:
        return 0
    with transaction.atomic():
        _lock()
        ids = [pk for pk, _case, _day_ in marks]
        days = {day for _pk, _case, day in marks if day is not None}
        case_ids = [case for _pk, case, _day_ in marks if case is not None]
        for start in Case.objects.filter(pk__in=case_ids).values_list("requested_at", flat=True):
            days.add(timezone.localdate(start))
        if days:
            _recompute(sorted(days))
        FigureDirty.objects.filter(pk__in=ids).delete()
    return len(marks)


def _ranges(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if ranges and ranges[-1][1] + dt.timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _recompute(days: list[dt.date]) -> None:
    """The day buckets of ``days`` from their cases, then their months from their days."""
    within = Q()
    for first, last in _ranges(days):
        within |= Period(first, last).requested()
    collected = _collect(Case.objects.filter(within))
    FigureBucket.objects.filter(month=False, day__in=days).delete()
    FigureBucket.objects.bulk_create(_rows(collected.buckets, month=False), batch_size=2000)
    months = sorted({month_start(day) for day in days})
    month_days = Q()
    for month in months:
        month_days |= Q(day__gte=month, day__lt=month_start(month, 1))
    merged: dict[tuple[str, int | None, dt.date], Data] = defaultdict(dict)
    for area, financier, day, data in (
        FigureBucket.objects.filter(month=False)
        .filter(month_days)
        .values_list("area", "financier_id", "day", "data")
    ):
        _add(merged[(area, financier, month_start(day))], data)
    FigureBucket.objects.filter(month=True, day__in=months).delete()
    FigureBucket.objects.bulk_create(_rows(merged, month=True), batch_size=2000)


# --- Reading: the figures of a scope and a period -----------------------------------------


def _covering(period: ClosedPeriod) -> Q:
    """The buckets that cover ``period`` exactly: its whole months, and the days of the months
    it covers in part."""
    whole: list[dt.date] = []
    days = Q()
    for month in period.months():
        last = month_start(month, 1) - dt.timedelta(days=1)
        if period.start <= month and last <= period.end:
            whole.append(month)
        else:
            days |= Q(
                month=False, day__gte=max(month, period.start), day__lte=min(last, period.end)
            )
    return Q(month=True, day__in=whole) | days


def _read(areas: Sequence[str], financier: Organisation | None, period: ClosedPeriod) -> list[Any]:
    """(area, day, month, data) of the buckets of ``areas`` covering ``period``. One query."""
    if not areas:
        return []
    rows = FigureBucket.objects.filter(area__in=list(areas)).filter(_covering(period))
    rows = rows.filter(financier=financier) if financier else rows.filter(financier__isnull=True)
    return list(rows.values_list("area", "day", "data"))


def _median(histogram: dict[int, int]) -> float | None:
    """As :func:`statistics.median` over the values the histogram counts."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = {(total - 1) // 2, total // 2}
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for index in sorted(wanted):
            if seen <= index < seen + count:
                found.append(value)
        seen += count
    return sum(found) / len(found)


def _histogram(data: Data, prefix: str) -> dict[int, int]:
    return {
        int(key[len(prefix) :]): count
        for key, count in data.items()
        if key.startswith(prefix) and count
    }


def _funnel(data: Data) -> list[Stage]:
    requested = data.get("f.requested", 0)
    return [
        Stage(key, str(label), data.get(f"f.{key}", 0), percent(data.get(f"f.{key}", 0), requested))
        for key, label, _status in STAGES
    ]


def _phases_from(data: Data, today: dt.date) -> list[Phase]:
    rules = figures._rules()
    waiting: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for key, count in data.items():
        if key.startswith("p.") and ".w." in key and count:
            phase, _w, day = key[2:].split(".", 2)
            waiting[phase][dt.date.fromisoformat(day)] = count
    starts = {day for days in waiting.values() for day in days}
    calendar = _Calendar.of({*starts, today})
    result = []
    for rule in rules:
        values = _histogram(data, f"p.{rule.key}.v.")
        over_now = sum(
            count
            for start, count in waiting.get(rule.key, {}).items()
            if _late(rule, start, today, calendar)
        )
        median = _median(values)
        result.append(
            Phase(
                rule.key,
                str(rule.label),
                rule.norm_text(),
                rule.norm_days(),
                median,
                sum(values.values()),
                data.get(f"p.{rule.key}.o", 0),
                over_now,
            )
        )
    return result


def _attendance_from(data: Data) -> Attendance:
    parts = []
    for key, label in PARTS:
        values = _histogram(data, f"a.{key}.")
        count = sum(values.values())
        mean = sum(v * n for v, n in values.items()) / count if count else None
        parts.append(PartAttendance(key, str(label), mean, _median(values)))
    sizes = [
        SizeBucket(size_label(low, high), data.get(f"a.size{index}", 0))
        for index, (low, high) in enumerate(SIZE_BUCKETS)
    ]
    recorded = sum(_histogram(data, "a.present.").values())
    return Attendance(recorded, data.get("a.unrecorded", 0), parts, sizes)


def _execution_from(data: Data) -> Execution:
    by_outcome = {
        key: data.get(f"e.o.{key}", 0) for key, _label in AgreementOutcome.Outcome.choices
    }
    rated = sum(by_outcome.values())
    satisfaction_answers = data.get("e.sat_n", 0)
    return Execution(
        [
            OutcomeCount(key, str(label), by_outcome[key], percent(by_outcome[key], rated))
            for key, label in AgreementOutcome.Outcome.choices
        ],
        rated,
        data.get("e.respondents", 0),
        data.get("e.cases", 0),
        data.get("e.sat_sum", 0) / satisfaction_answers if satisfaction_answers else None,
        satisfaction_answers,
        data.get("e.better", 0),
        data.get("e.better_n", 0),
    )


def _requests_from(rows: list[Any], period: ClosedPeriod, names: dict[str, str]) -> MonthlyRequests:
    months = period.months()
    position = {month: i for i, month in enumerate(months)}
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0] * len(months))
    for area, day, data in rows:
        index = position.get(month_start(day))
        if index is None:
            continue
        if area == ALL:
            for key, count in data.items():
                if key.startswith("nr.") and count:
                    counts[names.get(key[3:])][index] += count
        else:
            counts[names.get(area)][index] += data.get("n", 0)
    named = sorted((name for name in counts if name is not None), key=str.casefold)
    series = [Series(name, counts[name]) for name in named]
    if None in counts:
        series.append(Series(national_inbox_label(), counts[None]))
    return MonthlyRequests(months, series)


def _area_names() -> dict[str, str]:
    """The region of each area, by name (one query); the national inbox has none."""
    return {area_of(pk): name for pk, name in Region.objects.values_list("pk", "name")}


def _merged(rows: list[Any]) -> Data:
    data: Data = {}
    for _area, _bucket_day, row in rows:
        _add(data, row)
    return data


def dashboard(
    areas: Sequence[str], period: ClosedPeriod, today: dt.date | None = None
) -> Dashboard:
    """The figures of :func:`figures.dashboard` over the cases of ``areas`` (``[ALL]``: every
    case; region areas and ``inbox`` otherwise): a fixed number of queries, over at most
    ``len(areas)`` times (the period's months + 62 days) rows, whatever the number of cases."""
    refresh()
    today = today or timezone.localdate()
    rows = _read(areas, None, period)
    data = _merged(rows)
    return Dashboard(
        period,
        _requests_from(rows, period, _area_names()),
        _funnel(data),
        _phases_from(data, today),
        _attendance_from(data),
        _execution_from(data),
    )


@dataclass(frozen=True)
class ReportFigures:
    funnel: list[Stage]
    execution: Execution
    items: Data
    money: dict[str, Decimal | int]


def report(areas: Sequence[str], organisation: Organisation, period: ClosedPeriod) -> ReportFigures:
    """What :func:`kring.research.report.financier_report` shows, from the financier's
    buckets: two queries (the refresh's check and the read)."""
    refresh()
    data = _merged(_read(areas, organisation, period))
    money: dict[str, Decimal | int] = {
        "approved_amount": _amount(data.get("m.approved_amount", 0)),
        "approved_fundings": data.get("m.approved_n", 0),
        "pending_amount": _amount(data.get("m.pending_amount", 0)),
        "pending_fundings": data.get("m.pending_n", 0),
        "refused_fundings": data.get("m.refused_n", 0),
        "costs": _amount(data.get("c.total", 0)),
        "cost_items": data.get("c.items", 0),
    }
    items = {key: data.get(f"i.{key}", 0) for key in ("agreements", "requests", "agreed", "partly")}
    return ReportFigures(_funnel(data), _execution_from(data), items, money)


def _amount(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2) if cents else Decimal(0)


def financier_buckets(areas: Sequence[str]) -> QuerySet[FigureBucket]:
    """The month buckets of the financiers with cases in ``areas`` (after a refresh): at most
    financiers × months × areas rows, whatever the number of cases."""
    refresh()
    return FigureBucket.objects.filter(area__in=list(areas), month=True, financier__isnull=False)


def financier_case_count(areas: Sequence[str]) -> Subquery:
    """For ``Organisation.objects.annotate()``: how many cases in ``areas`` the financier
    funds (or was asked to), from its month buckets. A case is in one area of a scope (a
    scope is ``all``, or regions and the national inbox), so the sum counts it once."""
    return Subquery(
        FigureBucket.objects.filter(area__in=list(areas), month=True, financier=OuterRef("pk"))
        .order_by()
        .values("financier")
        .annotate(total=Sum("cases"))
        .values("total")
    )
