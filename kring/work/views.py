"""‘Mijn zaken’ (/werk/): the staff's start page, per role the cases that need their action
first and what falls due (kring.work.due)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kring.accounts.auth import staff_user
from kring.accounts.models import Role
from kring.cases import tally
from kring.cases.access import coordinated_cases, managed_cases
from kring.cases.lifecycle import ACTION_BY, attach_coordinator_names
from kring.cases.models import Assignment, Case, Status
from kring.cases.norms import over_norm_pieces
from kring.followup.access import follow_ups_for
from kring.followup.views import section_counts
from kring.messaging.models import OutboxMessage
from kring.work import due

START_LIMIT = 15


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """‘Mijn zaken’: per role the cases that need this person's action first."""
    user = staff_user(request)
    context: dict[str, object] = {"roles": user.roles}
    if user.is_regional_manager:
        mine = managed_cases(user)
        counted = tally.counts(tally.manager_areas(user))
        waiting = [s for s, role in ACTION_BY.items() if role == Role.REGIONAL_MANAGER]
        listed = mine.select_related("region", "municipality")
        action = _earliest(
            [listed.filter(status=status) for status in waiting], "status_changed_at", START_LIMIT
        )
        attach_coordinator_names(action)
        context["manager_action"] = action
        context["manager_action_count"] = sum(counted.get(status, 0) for status in waiting)
        context["manager_late_count"] = sum(
            mine.filter(piece).count() for piece in over_norm_pieces()
        )
        context["manager_by_status"] = [
            (str(Status(s).label), counted[s]) for s in Status.values if counted.get(s)
        ]
        context["manager_norms"] = due.norms(user, timezone.localdate(), limit=START_LIMIT)
        context["manager_norms_count"] = due.norms_count(user, counted)
    if user.is_coordinator:
        context["aftercare_due"] = due.aftercare_due(user, timezone.localdate(), limit=START_LIMIT)
        context["aftercare_due_count"] = due.aftercare_due_count(user, timezone.localdate())
        context["meetings_this_week"] = due.meetings_this_week(user, timezone.now())
        mine = coordinated_cases(user)
        offered = list(
            mine.filter(
                status=Status.COORDINATOR_ASSIGNED,
                assignments__coordinator=user,
                assignments__state=Assignment.State.OFFERED,
            )
            .select_related("region", "municipality")
            .order_by("status_changed_at")[:START_LIMIT]
        )
        active = list(
            mine.exclude(status=Status.COORDINATOR_ASSIGNED)
            .select_related("region", "municipality")
            .order_by("status_changed_at")[:START_LIMIT]
        )
        attach_coordinator_names([*offered, *active])
        context["coordinator_offered"] = offered
        context["coordinator_active"] = active
    if user.is_researcher:
        counts = section_counts(follow_ups_for(user), timezone.localdate())
        context["follow_ups_due"] = counts["due"]
        context["follow_ups_overdue"] = counts["overdue"]
    if user.is_administrator:
        context["outbox_failed"] = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.FAILED
        ).count()
        context["outbox_waiting"] = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.QUEUED
        ).count()
    return render(request, "work/start.html", context)


def _earliest(pieces: list[QuerySet[Case]], field: str, limit: int) -> list[Case]:
    """The first ``limit`` cases of the pieces together by ``field`` (then id): each piece is
    one status, read along its own index, so the list costs what its rows cost however many
    cases wait (one query per piece; an IN of statuses sorted every waiting case)."""
    found: list[Case] = []
    for piece in pieces:
        found += piece.order_by(field, "pk")[:limit]
    found.sort(key=lambda case: (getattr(case, field), case.pk))
    return found[:limit]
