"""The plan's part in the case lifecycle (registered by PlansConfig.ready())."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.cases.lifecycle import check_before
from kring.cases.models import Case, Status
from kring.plans import distribution
from kring.plans.models import Plan
from kring.plans.services import plan_of


@check_before(Status.PLAN_DISTRIBUTED)
def everyone_has_the_plan(case: Case) -> Promise | None:
    """Everyone-has-the-plan is recorded only for a finalised plan that everyone has."""
    plan = plan_of(case)
    if plan.outcome != Plan.Outcome.ACCEPTED or distribution.latest_version(plan) is None:
        return _("Finalise the plan first.")
    if distribution.missing(plan):
        return _("Not everyone has the plan yet: see who does not have it on the plan page.")
    return None
