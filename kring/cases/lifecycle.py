"""The case's state machine.

A case's status changes only through :func:`change_status`: it checks that the move is
allowed and that the user may make it, writes the new status with an optimistic check on the
version (a change based on a stale copy is refused), records the history entry, and ends the
coordinator's assignment where their role ends — all in one transaction.

The lifecycle knows no phase. A later phase hooks into a move from its own ``hooks.py``
(imported by its ``AppConfig.ready()``): :func:`check_before` registers a check that may refuse
a move with a message, :func:`on_enter` an effect that runs inside the move's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import Role, User
from kring.cases import emails, requester_news
from kring.cases.access import coordinates, manages
from kring.cases.models import (
    ACTIVE_ASSIGNMENT_STATES,
    COORDINATION_ENDED,
    Assignment,
    Case,
    CaseAction,
    ConflictOfInterest,
    Status,
)
from kring.core.prepared import SQL, Prepared


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
    # Made only on its own page, which asks for more than a reason (a coordinator chosen, an
    # independence declaration): the generic status form refuses it.
    dedicated: bool = False


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
    Transition(S.ACCEPTED, S.COORDINATOR_ASSIGNED, _("Ask a coordinator"), M, dedicated=True),
    Transition(S.ACCEPTED, S.WITHDRAWN, _("Record withdrawal"), M, reason_required=True),
    Transition(S.COORDINATOR_ASSIGNED, S.PREPARATION, _("Accept the case"), C, dedicated=True),
    # The manager withdraws the question; a coordinator declines on their own form instead.
    Transition(
        S.COORDINATOR_ASSIGNED,
        S.ACCEPTED,
        _("Withdraw the request to the coordinator"),
        M,
        reason_required=True,
    ),
    Transition(
        S.COORDINATOR_ASSIGNED, S.WITHDRAWN, _("Record withdrawal"), M, reason_required=True
    ),
    # Scheduling picks a date from the poll; cancelling sends the cancellations.
    Transition(S.PREPARATION, S.SCHEDULED, _("Schedule the conference"), C, dedicated=True),
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
    Transition(
        S.SCHEDULED,
        S.PREPARATION,
        _("Cancel the date"),
        C,
        reason_required=True,
        dedicated=True,
    ),
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
    # Recording the aftercare call makes both moves: the call, then the handover.
    Transition(S.PLAN_DISTRIBUTED, S.AFTERCARE, _("Start aftercare"), C, dedicated=True),
    Transition(S.AFTERCARE, S.FOLLOW_UP, _("Hand over after aftercare"), MC),
    Transition(
        S.FOLLOW_UP,
        S.CLOSED,
        _("Close the case"),
        frozenset({Role.RESEARCHER, Role.REGIONAL_MANAGER}),
    ),
]

TRANSITIONS: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in _TRANSITIONS}

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


STALE = _("Someone else changed this case in the meantime. Look at it again and retry.")


Check = Callable[[Case], Promise | str | None]
Effect = Callable[[Case, str], None]
_checks: dict[str, list[Check]] = defaultdict(list)
_effects: dict[str, list[Effect]] = defaultdict(list)


def check_before(*targets: str) -> Callable[[Check], Check]:
    """Register ``check(case)``, asked before a move to one of ``targets``: it returns a
    message fit for the user to refuse the move, or None to let it pass."""

    def register(check: Check) -> Check:
        for target in targets:
            if check not in _checks[target]:
                _checks[target].append(check)
        return check

    return register


def on_enter(*targets: str) -> Callable[[Effect], Effect]:
    """Register ``effect(case, source)``, run inside the transaction of every move to one of
    ``targets``, after the history entry: an exception undoes the whole move."""

    def register(effect: Effect) -> Effect:
        for target in targets:
            if effect not in _effects[target]:
                _effects[target].append(effect)
        return effect

    return register


def registered(target: str) -> dict[str, list[str]]:
    """The checks and effects on a move to ``target``, by ``module.function`` (for tests)."""
    name = lambda hook: f"{hook.__module__}.{hook.__qualname__}"  # noqa: E731
    return {
        "checks": [name(check) for check in _checks[target]],
        "effects": [name(effect) for effect in _effects[target]],
    }


def _precondition(case: Case, target: str) -> Promise | str | None:
    """What must be true of the case before this move, beyond who makes it."""
    if target == S.ACCEPTED and case.status == S.INTAKE and not case.questions.exists():
        return _("Put at least one conference question before accepting the case.")
    for check in _checks[target]:
        problem = check(case)
        if problem is not None:
            return problem
    return None


def touch(case: Case, version: int) -> None:
    """Claim an edit of ``case`` based on ``version``: raise the version, or refuse (stale)."""
    if Case.objects.filter(pk=case.pk, version=version).update(version=F("version") + 1) != 1:
        raise CaseError(STALE)
    case.version = version + 1


def change_status(
    case: Case,
    target: str,
    *,
    user: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    dedicated: bool = False,
    actor: User | None = None,
) -> Case:
    """Move ``case`` to ``target``; raise :class:`CaseError` and change nothing if not allowed.

    ``user`` is None only for the system itself (the worker, a data migration), or for a
    function that checked the user itself and names them as ``actor`` for the history.
    ``dedicated`` is set by the functions that make a move with its own page and checks.
    """
    transition = TRANSITIONS.get((case.status, target))
    if transition is None:
        raise CaseError(
            _("A case with status “%(source)s” cannot move to “%(target)s”.")
            % {"source": Status(case.status).label, "target": _label(target)}
        )
    if user is not None and not user_may(user, transition, case):
        raise CaseError(_("You may not make this change to this case."))
    if transition.dedicated and not dedicated:
        raise CaseError(_("This step has its own page: use the button on the case."))
    reason = reason.strip()
    if transition.reason_required and not reason:
        raise CaseError(_("Give a reason for this step."))
    problem = _precondition(case, target)
    if problem is not None:
        raise CaseError(problem)

    now = timezone.now()
    with transaction.atomic():
        source = case.status
        moved = Case.objects.filter(pk=case.pk, status=case.status, version=case.version).update(
            status=target, status_changed_at=now, version=F("version") + 1
        )
        if moved != 1:
            raise CaseError(STALE)
        case.status, case.status_changed_at, case.version = target, now, case.version + 1
        if target in COORDINATION_ENDED or (source, target) == (S.COORDINATOR_ASSIGNED, S.ACCEPTED):
            case.assignments.filter(state__in=ACTIVE_ASSIGNMENT_STATES).update(
                state=Assignment.State.ENDED
                if target in COORDINATION_ENDED
                else Assignment.State.DECLINED,
                ended_at=now,
            )
        case.log(
            CaseAction.STATUS_CHANGED,
            user=user or actor,
            reason=reason,
            data=data,
            from_status=source,
            to_status=target,
        )
        if target == S.DECLINED:
            emails.request_declined(case, reason)
        if (source, target) == (S.INTAKE, S.ACCEPTED):
            requester_news.request_accepted(case)
        for effect in _effects[target]:
            effect(case, source)
    return case


MAX_COORDINATORS = 2
# While the case is in one of these, a second coordinator may be asked to join.
SECOND_COORDINATOR_STATUSES = frozenset({S.COORDINATOR_ASSIGNED, S.PREPARATION, S.SCHEDULED})


def active_assignments(case: Case) -> list[Assignment]:
    return list(case.assignments.filter(state__in=ACTIVE_ASSIGNMENT_STATES))


# The SQL written once (kring.core.prepared): a page's 26 keys made the ORM's work most of it.
_COORDINATOR_NAMES = Prepared(
    lambda case_ids: (
        Assignment.objects.filter(case_id__in=case_ids, state__in=ACTIVE_ASSIGNMENT_STATES)
        .order_by("offered_at", "pk")
        .values_list("case_id", "coordinator__full_name")
    ),
    SQL,
)


def attach_coordinator_names(cases: Sequence[Case]) -> None:
    """Each case's coordinators (asked or working on it) as ``case.coordinator_names``, in the
    order they were asked, for a list's rows: one query for the names alone. A prefetch of the
    assignments with their coordinators made an instance of each and a tenth of the case list's
    CPU went to it (issue 18)."""
    names: dict[int, list[str]] = {case.pk: [] for case in cases}
    if names:
        for case_id, name in _COORDINATOR_NAMES(SQL.values(list(names))):
            names[case_id].append(name)
    for case in cases:
        case.coordinator_names = names[case.pk]  # type: ignore[attr-defined]


def declare_conflict(case: Case, coordinator: User, *, reason: str, user: User) -> None:
    """Record that ``coordinator`` has a conflict of interest for ``case`` (so is never proposed
    or asked for it), with its history entry. Not while they are asked or working on it."""
    if not manages(user, case):
        raise CaseError(_("You may not make this change to this case."))
    if any(a.coordinator_id == coordinator.pk for a in active_assignments(case)):
        raise CaseError(
            _(
                "%(name)s is asked for or working on this case. Withdraw that first, then "
                "record the conflict."
            )
            % {"name": coordinator.full_name}
        )
    with transaction.atomic():
        ConflictOfInterest.objects.update_or_create(
            case=case, coordinator=coordinator, defaults={"reason": reason, "declared_by": user}
        )
        case.log(
            CaseAction.CONFLICT_DECLARED,
            user=user,
            reason=reason,
            data={"coordinator": coordinator.pk},
        )


def assign_coordinator(
    case: Case, coordinator: User, *, user: User, version: int | None = None
) -> Assignment:
    """Ask a coordinator to take a case and email them.

    An accepted case moves to ‘coordinator asked’; on a case that already has one coordinator,
    this asks a second (at most two), and the status stays. Someone with a conflict of
    interest for the case, or who is already on it, cannot be asked.
    """
    from kring.cases.matching import exclusion_reason

    if not manages(user, case):
        raise CaseError(_("You may not make this change to this case."))
    if not coordinator.is_coordinator or not coordinator.is_active:
        raise CaseError(_("%(name)s is not an active coordinator.") % {"name": coordinator})
    excluded = exclusion_reason(case, coordinator)
    if excluded:
        raise CaseError(
            _("%(name)s cannot be asked: %(reason)s") % {"name": coordinator, "reason": excluded}
        )
    with transaction.atomic():
        if case.status == S.ACCEPTED:
            if version is not None and version != case.version:
                raise CaseError(STALE)
            change_status(
                case,
                S.COORDINATOR_ASSIGNED,
                user=user,
                data={"coordinator": coordinator.pk},
                dedicated=True,
            )
        elif case.status in SECOND_COORDINATOR_STATUSES:
            if len(active_assignments(case)) >= MAX_COORDINATORS:
                raise CaseError(_("A case has at most two coordinators."))
            touch(case, case.version if version is None else version)
            case.log(CaseAction.ASSIGNMENT_OFFERED, user=user, data={"coordinator": coordinator.pk})
        else:
            raise CaseError(_("A coordinator can be asked once the case is accepted."))
        assignment = Assignment.objects.create(case=case, coordinator=coordinator, asked_by=user)
        emails.coordinator_asked(assignment)
        return assignment


def accept_assignment(assignment: Assignment, *, user: User, declaration: str) -> Assignment:
    """The coordinator accepts, signing the independence declaration (its text is kept)."""
    if assignment.coordinator_id != user.pk or assignment.state != Assignment.State.OFFERED:
        raise CaseError(_("You have not been asked to coordinate this case."))
    if not declaration.strip():
        raise CaseError(_("Sign the independence declaration to accept."))
    case = assignment.case
    now = timezone.now()
    with transaction.atomic():
        updated = Assignment.objects.filter(
            pk=assignment.pk, state=Assignment.State.OFFERED
        ).update(state=Assignment.State.ACCEPTED, accepted_at=now, declaration=declaration)
        if updated != 1:
            raise CaseError(STALE)
        if case.status == S.COORDINATOR_ASSIGNED:
            change_status(case, S.PREPARATION, user=user, dedicated=True)
        else:
            touch(case, case.version)
            case.log(CaseAction.ASSIGNMENT_ACCEPTED, user=user)
        emails.assignment_answered(assignment, accepted=True)
        requester_news.coordinator_found(case)
    assignment.refresh_from_db()
    return assignment


def decline_assignment(
    assignment: Assignment, *, user: User, reason: str, conflict: bool = False
) -> Assignment:
    """The coordinator declines with a reason. If nobody else is asked, the case goes back to
    the manager's inbox (status ‘accepted’). ``conflict`` records a conflict of interest, so
    that matching excludes this coordinator from the case from now on."""
    if assignment.coordinator_id != user.pk or assignment.state != Assignment.State.OFFERED:
        raise CaseError(_("You have not been asked to coordinate this case."))
    reason = reason.strip()
    if not reason:
        raise CaseError(_("Give a reason for declining."))
    case = assignment.case
    now = timezone.now()
    declined = {"state": Assignment.State.DECLINED, "ended_at": now, "decline_reason": reason}
    with transaction.atomic():
        others = [a for a in active_assignments(case) if a.pk != assignment.pk]
        if case.status == S.COORDINATOR_ASSIGNED and not others:
            # Back to the manager's inbox; this declines the (only) open request as well.
            # Checked above: this is the asked coordinator's own open request.
            change_status(case, S.ACCEPTED, user=None, actor=user, reason=reason, dedicated=True)
            Assignment.objects.filter(pk=assignment.pk).update(**declined)
        else:
            updated = Assignment.objects.filter(
                pk=assignment.pk, state=Assignment.State.OFFERED
            ).update(**declined)
            if updated != 1:
                raise CaseError(STALE)
            touch(case, case.version)
            case.log(CaseAction.ASSIGNMENT_DECLINED, user=user, reason=reason)
        if conflict:
            ConflictOfInterest.objects.update_or_create(
                case=case,
                coordinator=user,
                defaults={"reason": reason[:300], "declared_by": user},
            )
        emails.assignment_answered(assignment, accepted=False, reason=reason)
    assignment.refresh_from_db()
    return assignment


def _label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status
