"""The cases dataset as Kring computed it before issue 18 (nine grouped queries per chunk,
``values()`` dicts, Python per row): kept for the tests only, as the reference that the one
query per chunk (kring/research/case_sql.py) must equal cell for cell."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Avg, CharField, Count, Min, Q, QuerySet, Value
from django.utils import timezone

from kring.cases.models import Case, CaseEvent, Status
from kring.circle.models import Participant, Willingness
from kring.followup.models import AgreementOutcome, FollowUp, Respondent
from kring.followup.study import study_ids
from kring.meetings.models import Attendance
from kring.plans.models import (
    Agreement,
    Delivery,
    Evaluation,
    OrganisationRequest,
    PlanVersion,
)
from kring.research.dataset import (
    CASE_CHUNK,
    CASE_COLUMNS,
    CIRCLE_CATEGORY_COLUMNS,
    OUTCOMES,
    PHASES,
    PLAN_PARTS,
    STAGE_OF,
    STAGE_RANK,
    Cell,
    Period,
    Row,
)


def _records(rows: Any) -> list[dict[str, Any]]:
    return list(rows)


def _row(columns: Any, values: dict[str, Cell]) -> Row:
    return [values[column.name] for column in columns]


def _day(moment: dt.datetime | None, zone: dt.tzinfo) -> dt.date | None:
    # The zone is looked up once per chunk: timezone.localdate() per cell is a third of the time.
    return moment.astimezone(zone).date() if moment is not None else None


def _days(start: dt.date | None, end: dt.date | None) -> int | None:
    """Calendar days from one phase to the next; empty when either was not reached, and when
    the recorded order is impossible (a phase ending before it began): refused, never a
    negative duration in the data."""
    if start is None or end is None or end < start:
        return None
    return (end - start).days


def _quarter(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _mean(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _plan_counts(plan_ids: list[int]) -> list[tuple[int, str, int]]:
    """(plan, column, count) for each part of these plans that has any: one query."""
    parts: list[tuple[str, QuerySet[Any], str]] = [
        ("plan_agreements", Agreement.objects.filter(plan_id__one_of=plan_ids), "plan_id"),
        ("plan_requests", OrganisationRequest.objects.filter(plan_id__one_of=plan_ids), "plan_id"),
        ("plan_evaluations", Evaluation.objects.filter(plan_id__one_of=plan_ids), "plan_id"),
        ("plan_versions", PlanVersion.objects.filter(plan_id__one_of=plan_ids), "plan_id"),
        (
            "plan_copies_delivered",
            Delivery.objects.filter(version__plan_id__one_of=plan_ids, delivered_at__isnull=False),
            "version__plan_id",
        ),
    ]
    counted = [
        queryset.order_by()
        .values(link)
        .annotate(part=Value(name, output_field=CharField()), n=Count("pk"))
        .values_list(link, "part", "n")
        for name, queryset, link in parts
    ]
    if not plan_ids:
        return []
    return list(counted[0].union(*counted[1:], all=True))


def case_rows(
    cases: QuerySet[Case], period: Period, chunk_size: int | None = None
) -> Iterator[Row]:
    size = chunk_size or CASE_CHUNK
    scope = period.apply(cases)
    last = 0
    while True:
        chunk = _case_records(scope, last, size)
        if not chunk:
            return
        yield from _case_chunk(chunk)
        if len(chunk) < size:
            return
        last = chunk[-1]["pk"]


def _case_records(scope: QuerySet[Case], after: int, size: int) -> list[dict[str, Any]]:
    return _records(
        scope.filter(pk__gt=after)
        .order_by("pk")
        .values(
            "pk",
            "variant",
            "status",
            "requested_at",
            "region__name",
            "meeting__pk",
            "meeting__starts_at",
            "plan__pk",
            "plan__outcome",
        )[:size]
    )


def _case_chunk(chunk: list[dict[str, Any]]) -> Iterator[Row]:
    """The rows of one chunk of cases: nine queries at most, whatever the chunk holds (the
    attendance, the plan's parts, the answers and outcomes are not looked up when no case of
    the chunk has a meeting, a plan or a follow-up moment)."""
    ids = [case["pk"] for case in chunk]
    study = study_ids(ids)
    zone = timezone.get_current_timezone()

    reached: dict[tuple[int, str], dt.datetime] = {
        (e["case_id"], e["to_status"]): e["first"]
        for e in _records(
            CaseEvent.objects.filter(case_id__one_of=ids, to_status__in=PHASES)
            .values("case_id", "to_status")
            .annotate(first=Min("at"))
            .order_by()
        )
    }

    circle: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for group in _records(
        Participant.objects.filter(case_id__one_of=ids)
        .values("case_id", "category", "willingness")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        people = circle[group["case_id"]]
        people[f"circle_{group['category']}"] += group["n"]
        people["circle_total"] += group["n"]
        if group["willingness"] == Willingness.YES:
            people["took_part"] += group["n"]
        elif group["willingness"] == Willingness.NO:
            people["declined"] += group["n"]

    # Filtered on the indexed foreign keys themselves, not through a join to the case: a join
    # lets PostgreSQL scan the whole child table for every chunk.
    meetings = [case["meeting__pk"] for case in chunk if case["meeting__pk"] is not None]
    attendance = {
        row["meeting_id"]: row
        for row in _records(
            Attendance.objects.filter(meeting_id__one_of=meetings)
            .values("meeting_id")
            .annotate(
                n_information=Count("pk", filter=Q(information=True)),
                n_private_time=Count("pk", filter=Q(private_time=True)),
                n_plan=Count("pk", filter=Q(plan=True)),
            )
            .order_by()
        )
    }

    # The plan's parts, counted per plan in one query: a UNION ALL of grouped counts, each on
    # an indexed foreign key (correlated subqueries per plan let PostgreSQL, with stale
    # statistics, scan a child table once per plan).
    plan_ids = [case["plan__pk"] for case in chunk if case["plan__pk"] is not None]
    parts: dict[int, dict[str, int]] = defaultdict(dict)
    for plan_id, part, count in _plan_counts(plan_ids):
        parts[plan_id][part] = count

    earliest: dict[int, dict[str, Any]] = {}
    first_opened: dict[int, dt.datetime] = {}
    for moment in _records(
        FollowUp.objects.filter(case_id__one_of=ids)
        .values("pk", "case_id", "months", "state", "opened_at")
        .order_by("case_id", "months", "pk")
    ):
        earliest.setdefault(moment["case_id"], moment)
        opened = moment["opened_at"]
        if opened is not None and (
            moment["case_id"] not in first_opened or opened < first_opened[moment["case_id"]]
        ):
            first_opened[moment["case_id"]] = opened

    firsts = [moment["pk"] for moment in earliest.values()]
    answers = {
        row["follow_up_id"]: row
        for row in _records(
            Respondent.objects.filter(follow_up_id__one_of=firsts)
            .values("follow_up_id")
            .annotate(
                n_respondents=Count("pk"),
                n_answered=Count("pk", filter=Q(answered_at__isnull=False)),
                n_declined=Count("pk", filter=Q(declined_at__isnull=False)),
                mean_better=Avg("better"),
                mean_satisfaction=Avg("satisfaction"),
                n_recommend_yes=Count("pk", filter=Q(recommend=True)),
                n_new_conference_yes=Count("pk", filter=Q(new_conference=Respondent.Needed.YES)),
            )
            .order_by()
        )
    }
    outcomes: dict[int, dict[str, int]] = defaultdict(dict)
    for row in _records(
        AgreementOutcome.objects.filter(respondent__follow_up_id__one_of=firsts)
        .values("respondent__follow_up_id", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        outcomes[row["respondent__follow_up_id"]][row["outcome"]] = row["n"]

    # Plain strings, looked up once: an enum's attribute costs a descriptor call per row.
    phases = [str(status) for status in PHASES]
    stage_of = {str(status): stage for status, stage in STAGE_OF.items()}
    held_status, intake, accepted = str(Status.HELD), str(Status.INTAKE), str(Status.ACCEPTED)
    preparation, plan_distributed = str(Status.PREPARATION), str(Status.PLAN_DISTRIBUTED)
    for case in chunk:
        pk = case["pk"]
        held = (pk, held_status) in reached
        phase = {status: reached.get((pk, status)) for status in phases}
        meeting_at = (case["meeting__starts_at"] or phase[held_status]) if held else None
        stage = stage_of.get(case["status"], "request")
        for status in phases:
            if phase[status] is not None and STAGE_RANK[stage_of[status]] > STAGE_RANK[stage]:
                stage = stage_of[status]
        requested = case["requested_at"].astimezone(zone).date()
        on = {status: _day(phase[status], zone) for status in phases}
        meeting_on = _day(meeting_at, zone)
        values: dict[str, Cell] = {
            "study_id": study[pk],
            "variant": case["variant"],
            "region": case["region__name"] or "",
            "requested_quarter": _quarter(requested),
            "status": case["status"],
            "stage_reached": stage,
            "days_request_to_intake": _days(requested, on[intake]),
            "days_intake_to_accepted": _days(on[intake], on[accepted]),
            "days_accepted_to_coordinator": _days(on[accepted], on[preparation]),
            "days_coordinator_to_meeting": _days(on[preparation], meeting_on),
            "days_request_to_meeting": _days(requested, meeting_on),
            "days_meeting_to_plan_distributed": _days(meeting_on, on[plan_distributed]),
            "days_plan_distributed_to_follow_up": _days(
                on[plan_distributed], _day(first_opened.get(pk), zone)
            ),
        }
        people = circle.get(pk, {})
        for name in ("circle_total", "took_part", "declined"):
            values[name] = people.get(name, 0)
        for name in CIRCLE_CATEGORY_COLUMNS:
            values[name] = people.get(name, 0)

        present = attendance.get(case["meeting__pk"])
        for part in ("information", "private_time", "plan"):
            values[f"attended_{part}"] = (
                None if case["meeting__pk"] is None else (present[f"n_{part}"] if present else 0)
            )

        plan_id = case["plan__pk"]
        values["plan_outcome"] = None if plan_id is None else (case["plan__outcome"] or "undecided")
        for name in PLAN_PARTS:
            values[name] = None if plan_id is None else parts[plan_id].get(name, 0)

        first = earliest.get(pk)
        given = answers.get(first["pk"], {}) if first else {}
        done = outcomes.get(first["pk"], {}) if first else {}
        values["follow_up_months"] = first["months"] if first else None
        values["follow_up_state"] = first["state"] if first else None
        for name in ("respondents", "answered", "declined"):
            values[f"follow_up_{name}"] = given.get(f"n_{name}", 0) if first else None
        for outcome in OUTCOMES:
            values[f"agreements_{outcome}"] = done.get(outcome, 0) if first else None
        values["better_mean"] = _mean(given.get("mean_better"))
        values["satisfaction_mean"] = _mean(given.get("mean_satisfaction"))
        values["recommend_yes"] = given.get("n_recommend_yes", 0) if first else None
        values["new_conference_yes"] = given.get("n_new_conference_yes", 0) if first else None
        yield _row(CASE_COLUMNS, values)


def csv_pieces(columns: Any, rows: Any, dialect: Any) -> Iterator[bytes]:
    """The CSV as kring/research/exports.py wrote it before issue 18: every cell through
    csv_cell."""
    from kring.research import exports

    writer = exports._writer(dialect)
    yield (exports.BOM + writer.writerow([column.name for column in columns])).encode()
    piece: list[str] = []
    for row in rows:
        piece.append(writer.writerow([exports.csv_cell(value, dialect) for value in row]))
        if len(piece) >= exports.ROWS_PER_PIECE:
            yield "".join(piece).encode()
            piece = []
    if piece:
        yield "".join(piece).encode()
