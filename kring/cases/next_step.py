"""The one thing due now on a case, for the user looking at it.

The case page's "Next step" box names it with its button: a link to the page where it is
done, or the status move itself. When nothing is due for this user, it says who is expected
to act instead (never "nothing to do" while a step of theirs waits elsewhere on the page).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
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


def _move(case: Case, user: User, target: str, text: Promise) -> NextStep | None:
    transition = TRANSITIONS.get((case.status, target))
    if transition is None or not user_may(user, transition, case):
        return None
    if _precondition(case, target) is not None:
        return None
    return NextStep(text=text, button=transition.label, transition=transition)


def _link(name: str, case: Case, text: Promise, button: Promise, anchor: str = "") -> NextStep:
    return NextStep(text=text, button=button, url=reverse(name, args=[case.reference]) + anchor)


def _manager_step(case: Case, user: User) -> NextStep | None:
    status = case.status
    if status == S.REQUESTED:
        return _link(
            "case_intake",
            case,
            _("Talk with the requester and record the intake conversation."),
            _("Record the intake conversation"),
        )
    if status == S.INTAKE:
        if not case.questions.exists():
            return _link(
                "case_intake",
                case,
                _("Put the conference question, then accept the case."),
                _("Put the conference question"),
            )
        return _move(case, user, S.ACCEPTED, _("The question is put: accept the case."))
    if status == S.ACCEPTED:
        return _link(
            "case_match",
            case,
            _("Choose a coordinator and ask them to take the case."),
            _("Choose a coordinator"),
        )
    return None


def _coordinator_step(case: Case, user: User) -> NextStep | None:
    from kring.meetings.models import Meeting
    from kring.plans import distribution
    from kring.plans.models import AftercareCall, Plan
    from kring.plans.services import latest_version, plan_of

    status = case.status
    if status == S.PREPARATION:
        if not case.participants.exists():
            return _link(
                "circle",
                case,
                _("Map the circle: add the people who belong to it."),
                _("Add people to the circle"),
            )
        if not case.date_options.exists():
            return _link(
                "dates",
                case,
                _("Propose dates for the meeting and ask the circle which suit them."),
                _("Propose dates"),
            )
        return _link(
            "dates",
            case,
            _("Choose the date that suits the circle best."),
            _("Choose a date"),
        )
    if status == S.SCHEDULED:
        meeting = Meeting.objects.filter(case=case, cancelled_at__isnull=True).first()
        if meeting is not None and meeting.starts_at and meeting.starts_at <= timezone.now():
            return _link(
                "conference",
                case,
                _("The meeting has taken place: record who came and what was decided."),
                _("Record the conference"),
            )
        if meeting is not None and not meeting.invitations.exists():
            return _link(
                "meeting",
                case,
                _("Set the place and food, then send the invitations."),
                _("Place, food and invitations"),
            )
        return _link(
            "meeting",
            case,
            _("Prepare the meeting: the place, the food, the invitations."),
            _("Place, food and invitations"),
        )
    if status in (S.HELD, S.PLAN_WITHOUT_MEETING):
        plan = plan_of(case)
        if plan.outcome != Plan.Outcome.ACCEPTED or latest_version(plan) is None:
            return _link(
                "plan",
                case,
                _("Write down the plan and finalise it once the circle accepted it."),
                _("Write and finalise the plan"),
            )
        if distribution.missing(plan):
            return _link(
                "plan_distribution",
                case,
                _("Give everyone in the circle a copy of the plan."),
                _("A copy for everyone"),
            )
        return _move(case, user, S.PLAN_DISTRIBUTED, _("Everyone has the plan: record it."))
    if (
        status in (S.PLAN_DISTRIBUTED, S.AFTERCARE)
        and not AftercareCall.objects.filter(case=case).exists()
    ):
        return _link(
            "aftercare",
            case,
            _("Call the circle about four weeks after the meeting, and record the call."),
            _("Record the aftercare call"),
        )
    return None


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
