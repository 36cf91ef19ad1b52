"""The lifecycle knows no phase (issue 15, point 1): each later phase registers its own checks
and effects on the case's moves. A phase whose hooks were not registered fails here — the move
would otherwise pass silently without them."""

from kring.cases import lifecycle, next_step
from kring.cases.models import FINAL_STATUSES, Status


def test_the_plan_is_checked_before_everyone_has_it():
    assert lifecycle.registered(Status.PLAN_DISTRIBUTED)["checks"] == [
        "kring.plans.hooks.everyone_has_the_plan"
    ]


def test_the_follow_up_is_planned_when_everyone_has_the_plan():
    assert lifecycle.registered(Status.PLAN_DISTRIBUTED)["effects"] == [
        "kring.followup.hooks.plan_the_follow_up"
    ]


def test_a_case_that_ends_ends_its_links_and_its_follow_up():
    for status in FINAL_STATUSES:
        assert sorted(lifecycle.registered(status)["effects"]) == [
            "kring.circle.hooks.end_the_links",
            "kring.followup.hooks.cancel_the_follow_up",
        ], status


def test_the_meeting_and_the_plan_name_the_coordinator_s_next_step():
    assert next_step.registered() == {
        Status.SCHEDULED: "kring.meetings.hooks.prepare_or_record_the_meeting",
        Status.HELD: "kring.plans.hooks.write_and_distribute_the_plan",
        Status.PLAN_WITHOUT_MEETING: "kring.plans.hooks.write_and_distribute_the_plan",
        Status.PLAN_DISTRIBUTED: "kring.plans.hooks.record_the_aftercare_call",
        Status.AFTERCARE: "kring.plans.hooks.record_the_aftercare_call",
    }


def test_other_moves_have_no_hooks():
    hooked = FINAL_STATUSES | {Status.PLAN_DISTRIBUTED}
    for status in set(Status) - hooked:
        assert lifecycle.registered(status) == {"checks": [], "effects": []}, status


def test_the_lifecycle_imports_no_later_phase():
    """Not even inside a function: the bottom of the process does not know the phases."""
    import ast
    from pathlib import Path

    source = Path(lifecycle.__file__).read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    later = {"plans", "followup", "circle", "meetings", "research", "audit"}
    assert {m for m in imported if m.split(".")[1:2] and m.split(".")[1] in later} == set()
