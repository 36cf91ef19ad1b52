"""The case's state machine.

A case's status changes only through :func:`change_status`: it checks that the move is
allowed and that the user may make it, writes the new status with an optimistic check on the
version (a change based on a stale copy is refused), records the history entry, and ends the
coordinator's assignment where their role ends — all in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import Role, User
from kring.cases.access import coordinates, manages
from kring.cases.models import Assignment, Case, Status
from kring.messaging import emails


class CaseError(Exception):
    """A domain error with a message fit to show the user (translated)."""

    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    label: Promise
    roles: frozenset[Role]
    reason_required: bool = False


M = frozenset({Role.REGIONAL_MANAGER})
C = frozenset({Role.COORDINATOR})
MC = frozenset({Role.REGIONAL_MANAGER, Role.COORDINATOR})
R = frozenset({Role.RESEARCHER})
S = Status

_TRANSITIONS = [
    Transition(S.REQUESTED, S.INTAKE, _("Start the intake"), M),
    Transition(S.REQUESTED, S.DECLINED, _("Decline the request"), M, reason_required=True),
    Transition(S.REQUESTED, S.WITHDRAWN, _("Record withdrawal"), M, reason_required=True),
    Transition(S.INTAKE, S.ACCEPTED, _("Accept the case"), M),
    Transition(S.INTAKE, S.DECLINED, _("Decline the request"), M, reason_required=True),
    Transition(S.INTAKE, S.WITHDRAWN, _("Record withdrawal"), M, reason_required=True),
    Transition(S.ACCEPTED, S.COORDINATOR_ASSIGNED, _("Ask a coordinator"), M),
    Transition(S.ACCEPTED, S.WITHDRAWN, _("Record withdrawal"), M, reason_required=True),
    Transition(S.COORDINATOR_ASSIGNED, S.PREPARATION, _("Start the preparation"), C),
    Transition(
        S.COORDINATOR_ASSIGNED, S.ACCEPTED, _("Return to the manager"), MC, reason_required=True
    ),
    Transition(
        S.COORDINATOR_ASSIGNED, S.WITHDRAWN, _("Record withdrawal"), M, reason_required=True
    ),
    Transition(S.PREPARATION, S.SCHEDULED, _("Schedule the conference"), C),
    Transition(
        S.PREPARATION,
        S.PLAN_WITHOUT_MEETING,
        _("Make a plan without a meeting"),
        C,
        reason_required=True,
    ),
    Transition(S.PREPARATION, S.STOPPED, _("Stop the preparation"), MC, reason_required=True),
    Transition(S.PREPARATION, S.WITHDRAWN, _("Record withdrawal"), MC, reason_required=True),
    Transition(S.SCHEDULED, S.HELD, _("Record that the conference was held"), C),
    Transition(S.SCHEDULED, S.PREPARATION, _("Cancel the date"), C, reason_required=True),
    Transition(S.SCHEDULED, S.STOPPED, _("Stop the preparation"), MC, reason_required=True),
    Transition(S.SCHEDULED, S.WITHDRAWN, _("Record withdrawal"), MC, reason_required=True),
    Transition(S.HELD, S.PLAN_DISTRIBUTED, _("Record that everyone has the plan"), C),
    Transition(S.HELD, S.CLOSED, _("Close: no plan, or not accepted"), MC, reason_required=True),
    Transition(
        S.PLAN_WITHOUT_MEETING, S.PLAN_DISTRIBUTED, _("Record that everyone has the plan"), C
    ),
    Transition(
        S.PLAN_WITHOUT_MEETING, S.CLOSED, _("Close without a plan"), MC, reason_required=True
    ),
    Transition(S.PLAN_DISTRIBUTED, S.AFTERCARE, _("Start aftercare"), C),
    Transition(S.AFTERCARE, S.FOLLOW_UP, _("Hand over after aftercare"), MC),
    Transition(
        S.FOLLOW_UP,
        S.CLOSED,
        _("Close the case"),
        frozenset({Role.RESEARCHER, Role.REGIONAL_MANAGER}),
    ),
]

TRANSITIONS: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in _TRANSITIONS}

FINAL_STATUSES = frozenset({S.DECLINED, S.WITHDRAWN, S.STOPPED, S.CLOSED})
# Once a case reaches one of these, the coordinator's role — and their access — ends.
COORDINATION_ENDED = FINAL_STATUSES | {S.FOLLOW_UP}
# Who is expected to act next, by status: drives each role's start page.
ACTION_BY = {
    S.REQUESTED: Role.REGIONAL_MANAGER,
    S.INTAKE: Role.REGIONAL_MANAGER,
    S.ACCEPTED: Role.REGIONAL_MANAGER,
    S.COORDINATOR_ASSIGNED: Role.COORDINATOR,
    S.PREPARATION: Role.COORDINATOR,
    S.SCHEDULED: Role.COORDINATOR,
    S.HELD: Role.COORDINATOR,
    S.PLAN_WITHOUT_MEETING: Role.COORDINATOR,
    S.PLAN_DISTRIBUTED: Role.COORDINATOR,
    S.AFTERCARE: Role.COORDINATOR,
    S.FOLLOW_UP: Role.RESEARCHER,
}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in _TRANSITIONS if t.source == status]


def user_may(user: User, transition: Transition, case: Case) -> bool:
    """Whether ``user`` may make this move on a case they can already see."""
    if (
        Role.REGIONAL_MANAGER in transition.roles
        and user.is_regional_manager
        and manages(user, case)
    ):
        return True
    offered_too = transition.source == S.COORDINATOR_ASSIGNED
    if (
        Role.COORDINATOR in transition.roles
        and user.is_coordinator
        and coordinates(user, case, include_offered=offered_too)
    ):
        return True
    return Role.RESEARCHER in transition.roles and user.is_researcher


def available_transitions(case: Case, user: User) -> list[Transition]:
    return [t for t in transitions_from(case.status) if user_may(user, t, case)]


def change_status(
    case: Case,
    target: str,
    *,
    user: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> Case:
    """Move ``case`` to ``target``; raise :class:`CaseError` and change nothing if not allowed.

    ``user`` is None only for the system itself (the worker, a data migration).
    """
    transition = TRANSITIONS.get((case.status, target))
    if transition is None:
        raise CaseError(
            _("A case with status “%(source)s” cannot move to “%(target)s”.")
            % {"source": Status(case.status).label, "target": _label(target)}
        )
    if user is not None and not user_may(user, transition, case):
        raise CaseError(_("You may not make this change to this case."))
    reason = reason.strip()
    if transition.reason_required and not reason:
        raise CaseError(_("Give a reason for this step."))

    now = timezone.now()
    with transaction.atomic():
        source = case.status
        moved = Case.objects.filter(pk=case.pk, status=case.status, version=case.version).update(
            status=target, status_changed_at=now, version=F("version") + 1
        )
        if moved != 1:
            raise CaseError(
                _("Someone else changed this case in the meantime. Look at it again and retry.")
            )
        case.status, case.status_changed_at, case.version = target, now, case.version + 1
        if target in COORDINATION_ENDED or (source, target) == (S.COORDINATOR_ASSIGNED, S.ACCEPTED):
            case.assignments.filter(
                state__in=[Assignment.State.OFFERED, Assignment.State.ACCEPTED]
            ).update(
                state=Assignment.State.ENDED
                if target in COORDINATION_ENDED
                else Assignment.State.DECLINED,
                ended_at=now,
            )
        if target == S.PREPARATION:
            case.assignments.filter(state=Assignment.State.OFFERED).update(
                state=Assignment.State.ACCEPTED, accepted_at=now
            )
        case.log(
            "status.changed",
            user=user,
            reason=reason,
            data=data,
            from_status=source,
            to_status=target,
        )
    return case


def assign_coordinator(case: Case, coordinator: User, *, user: User) -> Assignment:
    """Ask a coordinator to take a case (the case moves to ‘coordinator asked’)."""
    if not coordinator.is_coordinator or not coordinator.is_active:
        raise CaseError(_("%(name)s is not an active coordinator.") % {"name": coordinator})
    with transaction.atomic():
        change_status(case, S.COORDINATOR_ASSIGNED, user=user, data={"coordinator": coordinator.pk})
        assignment = Assignment.objects.create(case=case, coordinator=coordinator)
        emails.coordinator_asked(assignment)
        return assignment


def _label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status
