"""The figures of the dashboards and the financiers' reports.

Every function takes a scoped case QuerySet (:func:`kring.research.access.research_cases`, perhaps
narrowed further) and a :class:`~kring.research.period.ClosedPeriod`, and describes a *cohort*:
the cases requested in the period, and how far they have come so far. One definition for every
figure keeps them comparable: the funnel, the time per phase and the follow-up answers are all
about the same cases.

Each function runs a fixed number of queries, however much data there is: counting happens in
the database (``values()``/``annotate()``/``aggregate()``), and so are the medians
(``percentile_cont`` on PostgreSQL, a window function on SQLite) and the norms (working
days from :class:`~kring.research.models.WorkingDayCount`): no loop over the cohort in
Python. Nothing here returns a name, a reference or any way to reach a person.
"""

# The SQL below is put together from constants and Django-compiled SQL; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case, CaseEvent, Status
from kring.cases.norms import working_days_between
from kring.followup.models import AgreementOutcome, Respondent
from kring.meetings.models import Meeting
from kring.research.models import WorkingDayCount
from kring.research.period import ClosedPeriod, month_start
from kring.research.sqlite_days import LocalDay

#: The upper end of the 6–10 weeks from request to meeting that the Eigen Kracht Centrale
#: reports as usual.
MEETING_NORM_DAYS = 70


def percent(part: int | float, whole: int | float) -> int | None:
    """``part`` as a whole percentage of ``whole`` (None when there is no whole)."""
    return round(100 * part / whole) if whole else None


def _reached(status: str) -> Exists:
    return Exists(CaseEvent.objects.filter(case=OuterRef("pk"), to_status=status))


def _answered() -> Exists:
    return Exists(
        Respondent.objects.filter(follow_up__case=OuterRef("pk"), answered_at__isnull=False)
    )


# --- 1. Requests per month per region -----------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class MonthlyRequests:
    months: list[dt.date]
    series: list[Series]  # one per region (the national inbox last), only those with requests

    @property
    def totals(self) -> list[int]:
        return [sum(column) for column in zip(*(s.values for s in self.series), strict=True)] or [
            0 for _month in self.months
        ]

    @property
    def total(self) -> int:
        return sum(s.total for s in self.series)

    def rows(self) -> list[tuple[dt.date, list[int], int]]:
        """Per month: the count per series, and the month's total (for the table)."""
        return [
            (month, [s.values[i] for s in self.series], self.totals[i])
            for i, month in enumerate(self.months)
        ]


def national_inbox_label() -> str:
    return gettext("national inbox")


def requests_per_month(cases: QuerySet[Case], period: ClosedPeriod) -> MonthlyRequests:
    """How many requests came in each month of ``period``, per region. One query."""
    months = period.months()
    position = {month: i for i, month in enumerate(months)}
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0] * len(months))
    rows = (
        period.apply(cases)
        .annotate(month=TruncMonth("requested_at"))
        .values("month", "region__name")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = timezone.localtime(month) if timezone.is_aware(month) else month
            month = month.date()
        index = position.get(month_start(month))
        if index is not None:
            counts[row["region__name"]][index] += row["count"]
    named = sorted((name for name in counts if name is not None), key=str.casefold)
    series = [Series(name, counts[name]) for name in named]
    if None in counts:
        series.append(Series(national_inbox_label(), counts[None]))
    return MonthlyRequests(months, series)


# --- 2. The funnel ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int
    share: int | None  # percent of the requests


# (key, label, the status whose first CaseEvent marks the stage as reached)
STAGES: list[tuple[str, Promise, str | None]] = [
    ("requested", _("request"), None),
    ("accepted", _("accepted"), Status.ACCEPTED),
    ("coordinator", _("coordinator accepted"), Status.PREPARATION),
    ("meeting", _("conference held"), Status.HELD),
    ("plan", _("plan distributed"), Status.PLAN_DISTRIBUTED),
    ("follow_up", _("follow-up answered"), None),
]


def funnel(cases: QuerySet[Case], period: ClosedPeriod) -> list[Stage]:
    """How many of the cases requested in ``period`` reached each stage, counted from the
    history (every status change is a ``CaseEvent`` with ``to_status``) and, for the last
    stage, from the follow-up answers. Each case counts once per stage. One query."""
    aggregates: dict[str, Any] = {"requested": Count("pk")}
    for key, _label, status in STAGES:
        if status is not None:
            aggregates[key] = Count("pk", filter=Q(_reached(status)))
    aggregates["follow_up"] = Count("pk", filter=Q(_answered()))
    counts = period.apply(cases).aggregate(**aggregates)
    requested = counts["requested"] or 0
    return [
        Stage(key, str(label), counts[key] or 0, percent(counts[key] or 0, requested))
        for key, label, _status in STAGES
    ]


# --- 3. Time per phase against the norm ---------------------------------------------------


@dataclass(frozen=True)
class Phase:
    key: str
    label: str
    norm_text: str  # the norm in words, "" without a norm
    norm_days: float | None  # where the norm lies on an axis of calendar days
    median: float | None  # days, over the cases that completed the phase
    count: int  # cases that completed the phase
    over: int  # of those, how many took longer than the norm
    waiting_over: int  # cases still waiting for the end of the phase, already past the norm

    @property
    def share_over(self) -> int | None:
        return percent(self.over, self.count)


@dataclass(frozen=True)
class _PhaseRule:
    key: str
    label: Promise
    start: str  # a field of the row (a date)
    end: str
    waiting: frozenset[str]  # statuses in which a case still waits for the end
    late: Callable[[dt.date, dt.date], bool] | None  # (start, end or today) -> over the norm
    norm_text: Callable[[], str]
    norm_days: Callable[[], float | None]
    # The same norm for SQL: ("working", days), ("days", days), ("months", months) or None.
    norm: tuple[str, int] | None = None


def _working_days_norm(days: int) -> Callable[[dt.date, dt.date], bool]:
    return lambda start, end: working_days_between(start, end) > days


def _days_norm(days: int) -> Callable[[dt.date, dt.date], bool]:
    return lambda start, end: (end - start).days > days


def _about_days(working_days: int) -> float:
    """Working days as calendar days, for a marker on a days axis (5 working days: a week)."""
    return float(math.ceil(working_days * 7 / 5))


def follow_up_months() -> int:
    """The first follow-up moment, in months (3 unless configured otherwise)."""
    moments = [m for months in settings.KRING_FOLLOW_UP_MONTHS.values() for m in months]
    return min(moments) if moments else 3


def _months_later(day: dt.date, months: int) -> dt.date:
    first = month_start(day, months)
    following = month_start(day, months + 1)
    return first.replace(day=min(day.day, (following - dt.timedelta(days=1)).day))


def _working_days_text(days: int) -> str:
    return ngettext(
        "%(days)s working day (about %(about)s days)",
        "%(days)s working days (about %(about)s days)",
        days,
    ) % {"days": days, "about": int(_about_days(days))}


def _days_text(days: int) -> str:
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


BEFORE_MEETING = frozenset(
    {
        Status.REQUESTED,
        Status.INTAKE,
        Status.ACCEPTED,
        Status.COORDINATOR_ASSIGNED,
        Status.PREPARATION,
        Status.SCHEDULED,
    }
)


def _rules() -> list[_PhaseRule]:
    intake_days = settings.KRING_NORM_INTAKE_DAYS
    assignment_days = settings.KRING_NORM_ASSIGNMENT_DAYS
    aftercare_days = settings.KRING_AFTERCARE_DAYS
    months = follow_up_months()
    return [
        _PhaseRule(
            "intake",
            _("request → intake"),
            "requested",
            "intake",
            frozenset({Status.REQUESTED}),  # and INTAKE without a date: see phases()
            _working_days_norm(intake_days),
            lambda: _working_days_text(intake_days),
            lambda: _about_days(intake_days),
            ("working", intake_days),
        ),
        _PhaseRule(
            "assignment",
            _("accepted → coordinator asked"),
            "accepted",
            "asked",
            frozenset({Status.ACCEPTED}),
            _working_days_norm(assignment_days),
            lambda: _working_days_text(assignment_days),
            lambda: _about_days(assignment_days),
            ("working", assignment_days),
        ),
        _PhaseRule(
            "meeting",
            _("request → conference"),
            "requested",
            "held",
            BEFORE_MEETING,
            _days_norm(MEETING_NORM_DAYS),
            lambda: gettext("6–10 weeks: at most %(days)s days") % {"days": MEETING_NORM_DAYS},
            lambda: float(MEETING_NORM_DAYS),
            ("days", MEETING_NORM_DAYS),
        ),
        _PhaseRule(
            "plan",
            _("conference → plan distributed"),
            "held",
            "plan",
            frozenset({Status.HELD}),
            None,
            lambda: "",
            lambda: None,
        ),
        _PhaseRule(
            "aftercare",
            _("conference → aftercare"),
            "held",
            "aftercare",
            frozenset({Status.HELD, Status.PLAN_DISTRIBUTED}),
            _days_norm(aftercare_days),
            lambda: _days_text(aftercare_days),
            lambda: float(aftercare_days),
            ("days", aftercare_days),
        ),
        _PhaseRule(
            "follow_up",
            _("plan → follow-up answered"),
            "plan",
            "answered",
            frozenset({Status.PLAN_DISTRIBUTED, Status.AFTERCARE, Status.FOLLOW_UP}),
            lambda start, end: end > _months_later(start, months),
            lambda: ngettext("%(months)s month", "%(months)s months", months) % {"months": months},
            lambda: float((_months_later(dt.date(2001, 1, 1), months) - dt.date(2001, 1, 1)).days),
            ("months", months),
        ),
    ]


def _first(status: str) -> Subquery:
    return Subquery(
        CaseEvent.objects.filter(case=OuterRef("pk"), to_status=status)
        .order_by("at")
        .values("at")[:1]
    )


# --- Medians and day arithmetic in SQL, on PostgreSQL and on SQLite ----------------------


def _vendor() -> str:
    return connection.vendor


def _date_param(day: dt.date) -> tuple[str, list[Any]]:
    """A date as an SQL parameter that compares with the cohort's days."""
    if _vendor() == "postgresql":
        return "CAST(%s AS date)", [day.isoformat()]
    return "%s", [day.isoformat()]


def _days_sql(end: str, start: str) -> str:
    """Calendar days from ``start`` to ``end`` (two date expressions), as an integer."""
    if _vendor() == "postgresql":
        return f"({end} - {start})"
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


def _working_sql(day: str) -> str:
    """The running count of working days up to ``day`` (see :class:`WorkingDayCount`)."""
    table = WorkingDayCount._meta.db_table
    return f"(SELECT wdc.working FROM {table} wdc WHERE wdc.day = {day})"


def _month_key_sql(day: str) -> str:
    """year * 384 + month * 32 + day of month: ``b > months_later(a, m)`` exactly when
    ``key(b) > key(a) + 32 * m`` (a day past the end of the target month clamps alike)."""
    if _vendor() == "postgresql":
        return (
            f"(CAST(EXTRACT(YEAR FROM {day}) AS integer) * 384"
            f" + CAST(EXTRACT(MONTH FROM {day}) AS integer) * 32"
            f" + CAST(EXTRACT(DAY FROM {day}) AS integer))"
        )
    return (
        f"(CAST(strftime('%%Y', {day}) AS INTEGER) * 384"
        f" + CAST(strftime('%%m', {day}) AS INTEGER) * 32"
        f" + CAST(strftime('%%d', {day}) AS INTEGER))"
    )


def _month_key(day: dt.date) -> int:
    return day.year * 384 + day.month * 32 + day.day


def _grouped_figures(source: str, aggregates: str) -> str:
    """Per ``k`` of the rows ``source`` (columns ``k`` and ``v``): ``aggregates`` and the
    median of ``v`` (as :func:`statistics.median`: the mean of the two middle values), as the
    last column. PostgreSQL takes ``percentile_cont``; SQLite, which has none, numbers the
    values per group with a window function and averages the middle one or two."""
    if _vendor() == "postgresql":
        return (
            f"SELECT k, {aggregates}, percentile_cont(0.5) WITHIN GROUP (ORDER BY v)"
            f" FROM {source} src GROUP BY k"
        )
    return (
        f"SELECT a.*, med.m FROM (SELECT k, {aggregates} FROM {source} src GROUP BY k) a"
        " LEFT JOIN (SELECT k, AVG(v) AS m FROM (SELECT k, v,"
        " ROW_NUMBER() OVER (PARTITION BY k ORDER BY v) AS rn,"
        " COUNT(*) OVER (PARTITION BY k) AS n"
        f" FROM {source} src WHERE v IS NOT NULL) ranked"
        " WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY k) med ON med.k = a.k"
    )


def _float_sql(column: str) -> str:
    kind = "double precision" if _vendor() == "postgresql" else "REAL"
    return f"CAST({column} AS {kind})"


def _sql(queryset: QuerySet[Any]) -> tuple[str, list[Any]] | None:
    """The queryset's SQL, or None when it can match nothing (a manager of no region)."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return None
    return sql, list(params)


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if _vendor() != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    # PostgreSQL's planner thinks these grouped queries expensive and compiles them with its
    # JIT first, which takes many times the query itself (10,000 cases: 770 ms against 90).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# --- 3 (continued): the phases in SQL -----------------------------------------------------


def _cohort_days(cases: QuerySet[Case], period: ClosedPeriod) -> QuerySet[Case, Any]:
    """Per case of the cohort: its status, its intake date and the (local) day each step was
    first reached, as columns ``c_<name>`` (the steps are correlated subqueries, so no row is
    multiplied)."""
    return _case_days(period.apply(cases))


def _case_days(cases: QuerySet[Case], **extra: Any) -> QuerySet[Case, Any]:
    """:func:`_cohort_days` over ``cases``, whenever they were requested (with ``extra``
    columns)."""
    answered = Subquery(
        Respondent.objects.filter(follow_up__case=OuterRef("pk"), answered_at__isnull=False)
        .order_by("answered_at")
        .values("answered_at")[:1]
    )
    return cases.order_by().values(
        c_status=F("status"),
        c_intake_on=F("intake_on"),
        c_requested=LocalDay("requested_at"),
        # The day of the intake conversation; without it, the day the intake started.
        c_intake=Coalesce(F("intake_on"), LocalDay(_first(Status.INTAKE))),
        c_accepted=LocalDay(_first(Status.ACCEPTED)),
        c_asked=LocalDay(_first(Status.COORDINATOR_ASSIGNED)),
        c_held=LocalDay(_first(Status.HELD)),
        c_plan=LocalDay(_first(Status.PLAN_DISTRIBUTED)),
        c_aftercare=LocalDay(_first(Status.AFTERCARE)),
        c_answered=LocalDay(answered),
        **extra,
    )


def _late_sql(
    rule: _PhaseRule, start: str, end: str, end_is_today: dt.date | None
) -> tuple[str, list[Any]]:
    """Whether the step from ``start`` to ``end`` (or to today) took longer than the norm."""
    if rule.norm is None:
        return "1 = 0", []
    kind, amount = rule.norm
    params: list[Any] = []
    if end_is_today is not None:
        end, params = _date_param(end_is_today)
    if kind == "working":
        return f"{_working_sql(end)} - {_working_sql(start)} > {int(amount)}", params
    if kind == "days":
        return f"{_days_sql(end, start)} > {int(amount)}", params
    if end_is_today is not None:
        return f"%s > {_month_key_sql(start)} + {32 * int(amount)}", [_month_key(end_is_today)]
    return f"{_month_key_sql(end)} > {_month_key_sql(start)} + {32 * int(amount)}", []


def _phase_sql(rule: _PhaseRule, today: dt.date) -> tuple[str, list[Any]]:
    """One row per case of the cohort (``c``) that started the phase: ``k`` (the phase),
    ``v`` (its days, when completed in order), ``o`` (1 when completed over the norm) and ``w``
    (1 when still waiting and already past the norm)."""
    statuses = sorted(rule.waiting)
    waiting = f"x.st IN ({', '.join(['%s'] * len(statuses))})"
    waiting_params: list[Any] = list(statuses)
    if rule.key == "intake":
        waiting = f"({waiting} OR (x.st = %s AND x.io IS NULL))"
        waiting_params.append(Status.INTAKE)
    late_done, late_done_params = _late_sql(rule, "x.s", "x.e", None)
    late_now, late_now_params = _late_sql(rule, "x.s", "", today)
    sql = (
        f"SELECT '{rule.key}' AS k,"
        " CASE WHEN x.e IS NOT NULL AND x.d >= 0 THEN x.d END AS v,"
        f" CASE WHEN x.e IS NOT NULL AND x.d >= 0 AND {late_done} THEN 1 ELSE 0 END AS o,"
        f" CASE WHEN x.e IS NULL AND {waiting} AND {late_now} THEN 1 ELSE 0 END AS w"
        f" FROM (SELECT c.c_{rule.start} AS s, c.c_{rule.end} AS e, c.c_status AS st,"
        f" c.c_intake_on AS io, {_days_sql(f'c.c_{rule.end}', f'c.c_{rule.start}')} AS d"
        f" FROM c WHERE c.c_{rule.start} IS NOT NULL) x"
    )
    return sql, [*late_done_params, *waiting_params, *late_now_params]


def phases(
    cases: QuerySet[Case], period: ClosedPeriod, today: dt.date | None = None
) -> list[Phase]:
    """The median number of days per phase, over the cases that completed it, with how many
    took longer than the norm; and how many are still waiting although past the norm. One
    query, counted and sorted in the database (no loop over the cohort here).

    Working-day norms (intake, asking a coordinator) are checked in working days; their
    place on a days axis is approximate (5 working days: about 7 days)."""
    today = today or timezone.localdate()
    rules = _rules()
    found: dict[str, tuple[Any, ...]] = {}
    cohort = _sql(_cohort_days(cases, period))
    if cohort is not None:
        cohort_sql, params = cohort
        selects = []
        for rule in rules:
            select, select_params = _phase_sql(rule, today)
            selects.append(select)
            params += select_params
        sql = f"WITH c AS ({cohort_sql}), p AS ({' UNION ALL '.join(selects)}) "
        sql += _grouped_figures("p", "COUNT(v) AS n_done, SUM(o) AS n_over, SUM(w) AS n_waiting")
        found = {row[0]: row[1:] for row in _fetch(sql, params)}
    result = []
    for rule in rules:
        count, over, waiting_over, median = found.get(rule.key, (0, 0, 0, None))
        result.append(
            Phase(
                rule.key,
                str(rule.label),
                rule.norm_text(),
                rule.norm_days(),
                float(median) if median is not None else None,
                int(count or 0),
                int(over or 0),
                int(waiting_over or 0),
            )
        )
    return result


# --- 4. Attendance ------------------------------------------------------------------------


@dataclass(frozen=True)
class PartAttendance:
    key: str
    label: str
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class SizeBucket:
    label: str
    count: int


@dataclass(frozen=True)
class Attendance:
    meetings: int  # held meetings with attendance recorded
    unrecorded: int  # held meetings without any attendance recorded
    parts: list[PartAttendance]
    sizes: list[SizeBucket]  # meetings by the number of people present at any part


PARTS: list[tuple[str, Promise]] = [
    ("information", _("information")),
    ("private_time", _("private time")),
    ("plan", _("presentation of the plan")),
    ("present", _("any part")),
]
# (lowest, highest or None) people present
SIZE_BUCKETS: list[tuple[int, int | None]] = [(1, 5), (6, 10), (11, 15), (16, 20), (21, None)]


def size_label(low: int, high: int | None) -> str:
    if high is None:
        return gettext("%(low)s or more") % {"low": low}
    return f"{low}–{high}"


def attendance(cases: QuerySet[Case], period: ClosedPeriod) -> Attendance:
    """How many people were at each part of the held meetings of the cohort. One query: the
    people per meeting are counted, and their means, medians and sizes taken, in the
    database."""
    present = Q(attendance__information=True) | Q(attendance__private_time=True)
    present |= Q(attendance__plan=True)
    per_meeting = (
        Meeting.objects.filter(case__in=period.apply(cases), cancelled_at__isnull=True)
        .filter(Exists(CaseEvent.objects.filter(case=OuterRef("case"), to_status=Status.HELD)))
        .order_by()
        .values("pk")
        .annotate(
            m_information=Count("attendance", filter=Q(attendance__information=True)),
            m_private_time=Count("attendance", filter=Q(attendance__private_time=True)),
            m_plan=Count("attendance", filter=Q(attendance__plan=True)),
            m_present=Count("attendance", filter=present),
        )
    )
    found: dict[str, tuple[Any, ...]] = {}
    meetings = _sql(per_meeting)
    if meetings is not None:
        meetings_sql, params = meetings
        # Per part: the people at each meeting with attendance recorded; per size bucket and for
        # the meetings without attendance: one row per meeting (the count is what matters).
        rows = [
            f"SELECT '{key}' AS k, m.m_{key} AS v FROM m WHERE m.m_present > 0" for key, _ in PARTS
        ]
        for index, (low, high) in enumerate(SIZE_BUCKETS):
            upper = f" AND m.m_present <= {int(high)}" if high is not None else ""
            rows.append(
                f"SELECT 'size{index}' AS k, NULL AS v FROM m"
                f" WHERE m.m_present >= {int(low)}{upper}"
            )
        rows.append("SELECT 'unrecorded' AS k, NULL AS v FROM m WHERE m.m_present = 0")
        sql = f"WITH m AS ({meetings_sql}), u AS ({' UNION ALL '.join(rows)}) " + _grouped_figures(
            "u", f"COUNT(*) AS n, AVG({_float_sql('v')}) AS mean"
        )
        found = {row[0]: row[1:] for row in _fetch(sql, params)}
    parts = []
    for key, label in PARTS:
        _count, mean, median = found.get(key, (0, None, None))
        parts.append(
            PartAttendance(
                key,
                str(label),
                float(mean) if mean is not None else None,
                float(median) if median is not None else None,
            )
        )
    sizes = [
        SizeBucket(size_label(low, high), int(found.get(f"size{index}", (0,))[0]))
        for index, (low, high) in enumerate(SIZE_BUCKETS)
    ]
    recorded = int(found.get("present", (0,))[0])
    return Attendance(recorded, int(found.get("unrecorded", (0,))[0]), parts, sizes)


# --- 5. The plan at the follow-up ---------------------------------------------------------


@dataclass(frozen=True)
class OutcomeCount:
    key: str
    label: str
    count: int
    share: int | None  # percent of all outcomes given


@dataclass(frozen=True)
class Execution:
    outcomes: list[OutcomeCount]
    rated: int  # answers about agreements (one per respondent and agreement)
    respondents: int  # respondents who answered
    cases: int  # cases with at least one answer
    mean_satisfaction: float | None  # 1–10
    satisfaction_answers: int
    better: int  # "better" or "much better"
    better_answers: int
    # Fewer answers than MIN_RESPONDENTS, shown to someone outside research: the figures could
    # point at one person's answers, so the page shows none of them.
    suppressed: bool = False

    @property
    def share_better(self) -> int | None:
        return percent(self.better, self.better_answers)

    def protected(self) -> Execution:
        """This, or the same with ``suppressed`` set when too few answered."""
        return replace(self, suppressed=self.respondents < MIN_RESPONDENTS)


#: The fewest answers whose figures a manager or a financier's report shows.
MIN_RESPONDENTS = 5


def execution(cases: QuerySet[Case], period: ClosedPeriod) -> Execution:
    """What the respondents of the cohort's follow-ups said: per agreement done, partly, not
    or no longer relevant; how satisfied they are; whether things are better. Two queries."""
    cohort = period.apply(cases)
    by_outcome = dict(
        AgreementOutcome.objects.filter(
            respondent__follow_up__case__in=cohort, respondent__answered_at__isnull=False
        )
        .values("outcome")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("outcome", "count")
    )
    rated = sum(by_outcome.values())
    outcomes = [
        OutcomeCount(
            key, str(label), by_outcome.get(key, 0), percent(by_outcome.get(key, 0), rated)
        )
        for key, label in AgreementOutcome.Outcome.choices
    ]
    answers = Respondent.objects.filter(
        follow_up__case__in=cohort, answered_at__isnull=False
    ).aggregate(
        respondents=Count("pk"),
        cases=Count("follow_up__case", distinct=True),
        mean_satisfaction=Avg("satisfaction"),
        satisfaction_answers=Count("satisfaction"),
        better_count=Count("pk", filter=Q(better__gte=Respondent.Better.BETTER)),
        better_answers=Count("better"),
    )
    satisfaction = answers["mean_satisfaction"]
    return Execution(
        outcomes,
        rated,
        answers["respondents"] or 0,
        answers["cases"] or 0,
        float(satisfaction) if satisfaction is not None else None,
        answers["satisfaction_answers"] or 0,
        answers["better_count"] or 0,
        answers["better_answers"] or 0,
    )


# --- All of it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    period: ClosedPeriod
    requests: MonthlyRequests
    funnel: list[Stage]
    phases: list[Phase]
    attendance: Attendance
    execution: Execution


def dashboard(
    cases: QuerySet[Case], period: ClosedPeriod, today: dt.date | None = None
) -> Dashboard:
    """Every figure of the dashboard: six queries, whatever the amount of data."""
    return Dashboard(
        period,
        requests_per_month(cases, period),
        funnel(cases, period),
        phases(cases, period, today),
        attendance(cases, period),
        execution(cases, period),
    )
