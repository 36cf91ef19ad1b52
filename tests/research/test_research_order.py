"""Impossible orders in the research data (issue 17, point 9): the demo put the meeting after
the plan was distributed (negative days_meeting_to_plan_distributed in 7 of 60 cases). Over
generated data: every meeting lies between scheduling and the meeting's record, no duration in
the dataset is negative, and the dataset refuses (leaves empty) a span that runs backwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from kring.cases.models import Case, CaseEvent, Status
from kring.meetings.models import Meeting
from kring.research import dataset


@pytest.mark.django_db
def test_generated_cases_have_their_meeting_before_the_plan_and_no_negative_durations():
    call_command("seed", "--cases", "150")
    meetings = dict(Meeting.objects.values_list("case_id", "starts_at"))
    checked = 0
    for case_id, status, at in CaseEvent.objects.filter(
        to_status__in=[Status.HELD, Status.PLAN_DISTRIBUTED]
    ).values_list("case_id", "to_status", "at"):
        starts_at = meetings.get(case_id)
        if starts_at is not None:
            assert starts_at <= at, (case_id, status)
            checked += 1
    assert checked > 20
    columns = [c.name for c in dataset.CASES.columns]
    days = [name for name in columns if name.startswith("days_")]
    rows = [dict(zip(columns, row, strict=True)) for row in dataset.CASES.rows(Case.objects.all())]
    assert rows
    values = [(r["study_id"], n, r[n]) for r in rows for n in days]
    negative = [v for v in values if isinstance(v[2], int) and v[2] < 0]
    assert negative == []


@pytest.mark.django_db
def test_a_span_that_runs_backwards_is_refused(world):
    """Three days forward, none, and backwards (the preparation before the acceptance): 3, 0
    and empty — computed in SQL since issue 18 (kring/research/case_sql.py)."""
    start = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    Case.objects.filter(pk=world.case.pk).update(requested_at=start)
    for days, status in [(3, Status.INTAKE), (3, Status.ACCEPTED), (1, Status.PREPARATION)]:
        CaseEvent.objects.create(
            case=world.case,
            action="status.changed",
            to_status=status,
            at=start + dt.timedelta(days),
        )
    columns = [c.name for c in dataset.CASES.columns]
    (row,) = [dict(zip(columns, r, strict=True)) for r in dataset.CASES.rows(Case.objects.all())]
    assert row["days_request_to_intake"] == 3
    assert row["days_intake_to_accepted"] == 0
    assert row["days_accepted_to_coordinator"] is None
