"""Follow-up's part in the case lifecycle (registered by FollowupConfig.ready())."""

from __future__ import annotations

from kring.cases.lifecycle import on_enter
from kring.cases.models import FINAL_STATUSES, Case, Status
from kring.followup.services import cancel_planned, schedule


@on_enter(Status.PLAN_DISTRIBUTED)
def plan_the_follow_up(case: Case, source: str) -> None:
    """Once everyone has the plan, the follow-up moments are planned."""
    schedule(case)


@on_enter(*FINAL_STATUSES)
def cancel_the_follow_up(case: Case, source: str) -> None:
    """A case that ends asks nobody anything more."""
    cancel_planned(case)
