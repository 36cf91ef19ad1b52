"""The one thing due now on a case, for the user looking at it.

The case page's "Next step" box names it with its button: a link to the page where it is
done, or the status move itself. When nothing is due for this user, it says who is expected
to act instead (never "nothing to do" while a step of theirs waits elsewhere on the page).

The request's steps are the regional manager's and live here; from the preparation on, each
phase registers the coordinator's step for its statuses with ``coordinator_step`` in its
``hooks.py`` (meetings: the meeting; plans: the plan, its copies and the aftercare call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.cases.access import coordinates, manages
from kring.cases.lifecycle import TRANSITIONS, Transition, _precondition, user_may
from kring.cases.models import Assignment, Case, Status

S = Status


@dataclass(frozen=True)
class NextStep:
    """What is due now: ``text`` explains it; ``url`` and ``button`` lead there, or
    ``transition`` is the move to make here. ``waiting`` names someone else's turn."""

    text: Promise
    button: Promise | None = None
    url: str = ""
    transition: Transition | None = None
    waiting: bool = False


def move(case: Case, user: User, target: str, text: Promise) -> NextStep | None:
    transition = TRANSITIONS.get((case.status, target))
    if transition is None or not user_may(user, transition, case):
        return None
    if _precondition(case, target) is not None:
        return None
    return NextStep(text=text, button=transition.label, transition=transition)


def link(name: str, case: Case, text: Promise, button: Promise, anchor: str = "") -> NextStep:
    return NextStep(text=text, button=button, url=reverse(name, args=[case.reference]) + anchor)


def _manager_step(case: Case, user: User) -> NextStep | None:
    status = case.status
    if status == S.REQUESTED:
        return link(
            "case_intake",
            case,
            _("Talk with the requester and record the intake conversation."),
            _("Record the intake conversation"),
        )
    if status == S.INTAKE:
        if not case.questions.exists():
            return link(
                "case_intake",
                case,
                _("Put the conference question, then accept the case."),
                _("Put the conference question"),
            )
        return move(case, user, S.ACCEPTED, _("The question is put: accept the case."))
    if status == S.ACCEPTED:
        return link(
            "case_match",
            case,
            _("Choose a coordinator and ask them to take the case."),
            _("Choose a coordinator"),
        )
    return None


Step = Callable[[Case, User], NextStep | None]
_coordinator_steps: dict[str, Step] = {}


def coordinator_step(*statuses: str) -> Callable[[Step], Step]:
    """Register the coordinator's step for cases in ``statuses`` (one function per status)."""

    def register(step: Step) -> Step:
        for status in statuses:
            if status in _coordinator_steps:
                raise ValueError(f"A coordinator's step for {status} is registered already.")
            _coordinator_steps[status] = step
        return step

    return register


def registered() -> dict[str, str]:
    """Status -> the registered step's dotted name (for the tests)."""
    return {s: f"{f.__module__}.{f.__qualname__}" for s, f in sorted(_coordinator_steps.items())}


def _coordinator_step(case: Case, user: User) -> NextStep | None:
    status = case.status
    if status == S.PREPARATION:
        if not case.participants.exists():
            return link(
                "circle",
                case,
                _("Map the circle: add the people who belong to it."),
                _("Add people to the circle"),
            )
        if not case.date_options.exists():
            return link(
                "dates",
                case,
                _("Propose dates for the meeting and ask the circle which suit them."),
                _("Propose dates"),
            )
        return link(
            "dates",
            case,
            _("Choose the date that suits the circle best."),
            _("Choose a date"),
        )
    step = _coordinator_steps.get(status)
    return step(case, user) if step is not None else None


def next_step(case: Case, user: User) -> NextStep:
    """The one thing due now on ``case`` for ``user``."""
    offered = case.status == S.COORDINATOR_ASSIGNED and any(
        a.coordinator_id == user.pk and a.state == Assignment.State.OFFERED
        for a in case.assignments.all()
    )
    if offered:
        return NextStep(
            text=_("You are asked to coordinate this case: sign the independence declaration."),
            button=_("To the independence declaration"),
            url="#asked",
        )
    step: NextStep | None = None
    if user.is_regional_manager and manages(user, case):
        step = _manager_step(case, user)
    if step is None and user.is_coordinator and coordinates(user, case):
        step = _coordinator_step(case, user)
    if step is not None:
        return step
    if case.status == S.COORDINATOR_ASSIGNED:
        return NextStep(text=_("Waiting for the coordinator to accept the case."), waiting=True)
    if case.status in (
        S.PREPARATION,
        S.SCHEDULED,
        S.HELD,
        S.PLAN_WITHOUT_MEETING,
        S.PLAN_DISTRIBUTED,
        S.AFTERCARE,
    ):
        return NextStep(text=_("The coordinator takes the next step."), waiting=True)
    if case.status == S.FOLLOW_UP:
        return NextStep(text=_("The case is in the follow-up by the researchers."), waiting=True)
    return NextStep(text=_("There is no step for you to take on this case now."), waiting=True)
