"""Marks a case's figures as changed whenever something that feeds the dashboard or a
financier's report is saved or deleted (:mod:`kring.research.summary` recomputes them).

One insert per save: the case's id, found through the row's own foreign keys in SQL (no
read first). Most changes to a case are also a history entry (``CaseEvent``), so a change
made with ``QuerySet.update()`` (a status, a region, a funding's decision, a plan item) is
marked through the entry that records it."""

# The SQL below is put together from table names; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from kring.cases.models import Case, CaseEvent, Funding
from kring.followup.models import AgreementOutcome, FollowUp, Respondent
from kring.meetings.models import Attendance, CostItem, Meeting
from kring.plans.models import Agreement, OrganisationRequest, Plan
from kring.research.models import FigureDirty


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def mark_case(case_id: int | None) -> None:
    if case_id is not None:
        FigureDirty.objects.create(case_id=case_id)


def mark_cases(case_ids: list[int]) -> None:
    """Mark cases changed by bulk inserts or updates, which send no signals."""
    FigureDirty.objects.bulk_create([FigureDirty(case_id=pk) for pk in case_ids], batch_size=2000)


def _mark_through(sql_from: str, key: Any) -> None:
    """Mark the case that ``SELECT <case id> FROM <sql_from> WHERE … = key`` finds."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(FigureDirty)} (case_id, day) {sql_from}",
            [key],
        )


def _case_saved(sender: Any, instance: Case, **kwargs: Any) -> None:
    mark_case(instance.pk)


def _case_deleted(sender: Any, instance: Case, **kwargs: Any) -> None:
    if instance.requested_at is not None:
        FigureDirty.objects.create(day=timezone.localdate(instance.requested_at))


def _direct(sender: Any, instance: Any, **kwargs: Any) -> None:
    mark_case(instance.case_id)


def _attendance(sender: Any, instance: Attendance, **kwargs: Any) -> None:
    _mark_through(
        f"SELECT m.case_id, NULL FROM {_table(Meeting)} m WHERE m.id = %s", instance.meeting_id
    )


def _respondent(sender: Any, instance: Respondent, **kwargs: Any) -> None:
    _mark_through(
        f"SELECT f.case_id, NULL FROM {_table(FollowUp)} f WHERE f.id = %s", instance.follow_up_id
    )


def _outcome(sender: Any, instance: AgreementOutcome, **kwargs: Any) -> None:
    _mark_through(
        f"SELECT f.case_id, NULL FROM {_table(Respondent)} r"
        f" JOIN {_table(FollowUp)} f ON f.id = r.follow_up_id WHERE r.id = %s",
        instance.respondent_id,
    )


def _plan_item(sender: Any, instance: Agreement | OrganisationRequest, **kwargs: Any) -> None:
    _mark_through(f"SELECT p.case_id, NULL FROM {_table(Plan)} p WHERE p.id = %s", instance.plan_id)


def connect() -> None:
    uid = "kring.research.figures"
    post_save.connect(_case_saved, sender=Case, dispatch_uid=f"{uid}.case")
    post_delete.connect(_case_deleted, sender=Case, dispatch_uid=f"{uid}.case")
    direct: list[type[Model]] = [CaseEvent, Meeting, Funding, CostItem, Plan, FollowUp]
    for model in direct:
        post_save.connect(_direct, sender=model, dispatch_uid=f"{uid}.{model.__name__}")
        post_delete.connect(_direct, sender=model, dispatch_uid=f"{uid}.{model.__name__}")
    handlers: list[tuple[type[Model], Callable[..., None]]] = [
        (Attendance, _attendance),
        (Respondent, _respondent),
        (AgreementOutcome, _outcome),
        (Agreement, _plan_item),
        (OrganisationRequest, _plan_item),
    ]
    for model, handler in handlers:
        post_save.connect(handler, sender=model, dispatch_uid=f"{uid}.{model.__name__}")
        post_delete.connect(handler, sender=model, dispatch_uid=f"{uid}.{model.__name__}")
