"""The dashboard's phases and attendance as they were computed before issue 18: in Python,
over one row per case (or per meeting) of the cohort. Kept as the reference the SQL versions
in :mod:`kring.research.figures` must agree with (tests/research/test_figures_sql.py)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from kring.cases.models import Case, CaseEvent, Status
from kring.followup.models import Respondent
from kring.meetings.models import Meeting
from kring.research import figures
from kring.research.figures import (
    PARTS,
    SIZE_BUCKETS,
    Attendance,
    PartAttendance,
    Phase,
    SizeBucket,
    size_label,
)
from kring.research.period import ClosedPeriod


def _day(value: dt.datetime | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def phase_rows(cases: QuerySet[Case], period: ClosedPeriod) -> list[dict[str, Any]]:
    first = figures._first
    rows = (
        period.apply(cases)
        .annotate(
            intake_started=first(Status.INTAKE),
            accepted_at=first(Status.ACCEPTED),
            asked_at=first(Status.COORDINATOR_ASSIGNED),
            held_at=first(Status.HELD),
            plan_at=first(Status.PLAN_DISTRIBUTED),
            aftercare_at=first(Status.AFTERCARE),
            answered_at=Subquery(
                Respondent.objects.filter(follow_up__case=OuterRef("pk"), answered_at__isnull=False)
                .order_by("answered_at")
                .values("answered_at")[:1]
            ),
        )
        .values_list(
            "status",
            "requested_at",
            "intake_on",
            "intake_started",
            "accepted_at",
            "asked_at",
            "held_at",
            "plan_at",
            "aftercare_at",
            "answered_at",
        )
        .order_by()
    )
    return [
        {
            "status": status,
            "requested": _day(requested),
            "intake": intake_on or _day(intake_started),
            "intake_on": intake_on,
            "accepted": _day(accepted),
            "asked": _day(asked),
            "held": _day(held),
            "plan": _day(plan),
            "aftercare": _day(aftercare),
            "answered": _day(answered),
        }
        for (
            status,
            requested,
            intake_on,
            intake_started,
            accepted,
            asked,
            held,
            plan,
            aftercare,
            answered,
        ) in rows
    ]


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def phases(
    cases: QuerySet[Case], period: ClosedPeriod, today: dt.date | None = None
) -> list[Phase]:
    today = today or timezone.localdate()
    rows = phase_rows(cases, period)
    result = []
    for rule in figures._rules():
        durations: list[int] = []
        over = waiting_over = 0
        for row in rows:
            start, end = row[rule.start], row[rule.end]
            if start is None:
                continue
            if end is not None:
                days = (end - start).days
                if days < 0:
                    continue
                durations.append(days)
                over += bool(rule.late and rule.late(start, end))
                continue
            waiting = row["status"] in rule.waiting or (
                rule.key == "intake" and row["status"] == Status.INTAKE and not row["intake_on"]
            )
            if waiting and rule.late is not None and rule.late(start, today):
                waiting_over += 1
        result.append(
            Phase(
                rule.key,
                str(rule.label),
                rule.norm_text(),
                rule.norm_days(),
                _median(durations),
                len(durations),
                over,
                waiting_over,
            )
        )
    return result


def attendance(cases: QuerySet[Case], period: ClosedPeriod) -> Attendance:
    present = Q(attendance__information=True) | Q(attendance__private_time=True)
    present |= Q(attendance__plan=True)
    rows = list(
        Meeting.objects.filter(case__in=period.apply(cases), cancelled_at__isnull=True)
        .filter(Exists(CaseEvent.objects.filter(case=OuterRef("case"), to_status=Status.HELD)))
        .annotate(
            information=Count("attendance", filter=Q(attendance__information=True)),
            private_time=Count("attendance", filter=Q(attendance__private_time=True)),
            plan=Count("attendance", filter=Q(attendance__plan=True)),
            present=Count("attendance", filter=present),
        )
        .values_list("information", "private_time", "plan", "present")
        .order_by()
    )
    recorded = [row for row in rows if row[3] > 0]
    parts = []
    for index, (key, label) in enumerate(PARTS):
        values = [row[index] for row in recorded]
        parts.append(
            PartAttendance(
                key,
                str(label),
                statistics.fmean(values) if values else None,
                _median(values),
            )
        )
    sizes = [
        SizeBucket(
            size_label(low, high),
            sum(1 for row in recorded if row[3] >= low and (high is None or row[3] <= high)),
        )
        for low, high in SIZE_BUCKETS
    ]
    return Attendance(len(recorded), len(rows) - len(recorded), parts, sizes)
