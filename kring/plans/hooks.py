"""The plan's part in the case lifecycle (registered by PlansConfig.ready())."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.cases.lifecycle import check_before
from kring.cases.models import Case, Status
from kring.cases.next_step import NextStep, coordinator_step, link, move
from kring.plans import distribution
from kring.plans.models import AftercareCall, Plan
from kring.plans.services import latest_version, plan_of


@check_before(Status.PLAN_DISTRIBUTED)
def everyone_has_the_plan(case: Case) -> Promise | None:
    """Everyone-has-the-plan is recorded only for a finalised plan that everyone has."""
    plan = plan_of(case)
    if plan.outcome != Plan.Outcome.ACCEPTED or distribution.latest_version(plan) is None:
        return _("Finalise the plan first.")
    if distribution.missing(plan):
        return _("Not everyone has the plan yet: see who does not have it on the plan page.")
    return None


@coordinator_step(Status.HELD, Status.PLAN_WITHOUT_MEETING)
def write_and_distribute_the_plan(case: Case, user: User) -> NextStep | None:
    """The plan written down and finalised, a copy for everyone, then the move that says so."""
    plan = plan_of(case)
    if plan.outcome != Plan.Outcome.ACCEPTED or latest_version(plan) is None:
        return link(
            "plan",
            case,
            _("Write down the plan and finalise it once the circle accepted it."),
            _("Write and finalise the plan"),
        )
    if distribution.missing(plan):
        return link(
            "plan_distribution",
            case,
            _("Give everyone in the circle a copy of the plan."),
            _("A copy for everyone"),
        )
    return move(case, user, Status.PLAN_DISTRIBUTED, _("Everyone has the plan: record it."))


@coordinator_step(Status.PLAN_DISTRIBUTED, Status.AFTERCARE)
def record_the_aftercare_call(case: Case, user: User) -> NextStep | None:
    """The call about four weeks after the meeting, until it is recorded."""
    if AftercareCall.objects.filter(case=case).exists():
        return None
    return link(
        "aftercare",
        case,
        _("Call the circle about four weeks after the meeting, and record the call."),
        _("Record the aftercare call"),
    )
