import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kring.cases.lifecycle import (
    TRANSITIONS,
    CaseError,
    accept_assignment,
    assign_coordinator,
    available_transitions,
    change_status,
    decline_assignment,
)
from kring.cases.models import (
    Assignment,
    Case,
    CaseEvent,
    ConferenceQuestion,
    ConflictOfInterest,
    ReferenceCounter,
    Status,
)
from kring.demo.vocabulary import PATHS
from tests.factories import CaseFactory, CoordinatorProfileFactory, case_in_status


def test_every_status_is_reachable_and_every_path_is_allowed():
    reachable = {target for (_source, target) in TRANSITIONS} | {Status.REQUESTED}
    assert reachable == set(Status.values)
    for status, path in PATHS.items():
        assert path[-1] == status
        for source, target in itertools.pairwise(path):
            assert (source, target) in TRANSITIONS, (source, target)


@pytest.mark.django_db
def test_reference_numbers_count_up_per_year():
    first, second = CaseFactory(), CaseFactory()
    year = first.requested_at.year
    assert first.reference == f"EK-{year}-00001"
    assert second.reference == f"EK-{year}-00002"
    assert list(ReferenceCounter.reserve(year, 3)) == [3, 4, 5]


@pytest.mark.django_db
def test_a_manager_walks_a_request_to_accepted(world):
    case = case_in_status(Status.REQUESTED, region=world.west)
    change_status(case, Status.INTAKE, user=world.manager)
    ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?")
    change_status(case, Status.ACCEPTED, user=world.manager, reason="Gesprek gehad")
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert case.version == 3
    moves = list(
        case.events.filter(action="status.changed").values_list(
            "from_status", "to_status", "actor", "reason"
        )
    )
    assert moves == [
        (Status.REQUESTED, Status.INTAKE, world.manager.pk, ""),
        (Status.INTAKE, Status.ACCEPTED, world.manager.pk, "Gesprek gehad"),
    ]


@pytest.mark.django_db
def test_a_disallowed_move_changes_nothing(world):
    case = world.case
    events = CaseEvent.objects.count()
    with pytest.raises(CaseError, match="cannot move"):
        change_status(case, Status.CLOSED, user=world.coordinator)
    case.refresh_from_db()
    assert case.status == Status.PREPARATION
    assert CaseEvent.objects.count() == events


@pytest.mark.django_db
def test_the_error_is_translated(world):
    from django.utils import translation

    with translation.override("nl"), pytest.raises(CaseError) as error:
        change_status(world.case, Status.CLOSED, user=world.coordinator)
    assert "kan niet" in str(error.value.message)


@pytest.mark.django_db
def test_a_reason_is_required_for_side_exits(world):
    with pytest.raises(CaseError, match="reason"):
        change_status(world.case, Status.STOPPED, user=world.coordinator, reason="  ")
    change_status(world.case, Status.STOPPED, user=world.coordinator, reason="Niemand wil")
    assert Case.objects.get(pk=world.case.pk).status == Status.STOPPED


@pytest.mark.django_db
def test_only_the_right_roles_may_move(world):
    with pytest.raises(CaseError, match="may not"):
        change_status(world.case, Status.SCHEDULED, user=world.manager)
    with pytest.raises(CaseError, match="may not"):
        change_status(world.case, Status.SCHEDULED, user=world.other_coordinator)
    with pytest.raises(CaseError, match="may not"):
        change_status(world.case, Status.STOPPED, user=world.other_manager, reason="x")
    assert [t.target for t in available_transitions(world.case, world.researcher)] == []


@pytest.mark.django_db
def test_a_stale_copy_is_refused(world):
    stale = Case.objects.get(pk=world.case.pk)
    change_status(world.case, Status.SCHEDULED, user=world.coordinator, dedicated=True)
    with pytest.raises(CaseError, match="Someone else"):
        change_status(stale, Status.STOPPED, user=world.coordinator, reason="Te laat")
    assert Case.objects.get(pk=world.case.pk).status == Status.SCHEDULED


@pytest.mark.django_db
def test_a_case_is_not_accepted_without_a_conference_question(world):
    case = case_in_status(Status.INTAKE, region=world.west)
    with pytest.raises(CaseError, match="conference question"):
        change_status(case, Status.ACCEPTED, user=world.manager)
    assert Case.objects.get(pk=case.pk).status == Status.INTAKE


@pytest.mark.django_db
def test_assigning_asks_the_coordinator_and_accepting_starts_preparation(world):
    case = case_in_status(Status.ACCEPTED, region=world.west)
    assignment = assign_coordinator(case, world.other_coordinator, user=world.manager)
    assert assignment.state == Assignment.State.OFFERED
    assert assignment.asked_by == world.manager
    assert case.messages.filter(purpose="assignment.offered").count() == 1
    accept_assignment(assignment, user=world.other_coordinator, declaration="Ik verklaar …")
    case.refresh_from_db()
    assert case.status == Status.PREPARATION
    assert assignment.state == Assignment.State.ACCEPTED
    assert assignment.accepted_at is not None
    assert assignment.declaration == "Ik verklaar …"
    assert case.messages.filter(purpose="assignment.answered").count() == 1  # to the manager


@pytest.mark.django_db
def test_accepting_needs_the_declaration_and_the_own_page(world):
    case = case_in_status(Status.ACCEPTED, region=world.west)
    assignment = assign_coordinator(case, world.other_coordinator, user=world.manager)
    with pytest.raises(CaseError, match="declaration"):
        accept_assignment(assignment, user=world.other_coordinator, declaration="  ")
    with pytest.raises(CaseError, match="own page"):
        change_status(case, Status.PREPARATION, user=world.other_coordinator)
    with pytest.raises(CaseError, match="not been asked"):
        accept_assignment(assignment, user=world.coordinator, declaration="x")
    assert Case.objects.get(pk=case.pk).status == Status.COORDINATOR_ASSIGNED


@pytest.mark.django_db
def test_declining_returns_the_case_to_the_manager(world):
    case = case_in_status(Status.ACCEPTED, region=world.west)
    assignment = assign_coordinator(case, world.other_coordinator, user=world.manager)
    decline_assignment(
        assignment, user=world.other_coordinator, reason="Ken de buren", conflict=True
    )
    assert assignment.state == Assignment.State.DECLINED
    assert assignment.decline_reason == "Ken de buren"
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert ConflictOfInterest.objects.filter(case=case, coordinator=world.other_coordinator)
    with pytest.raises(CaseError, match="conflict of interest"):
        assign_coordinator(case, world.other_coordinator, user=world.manager)


@pytest.mark.django_db
def test_a_second_coordinator_joins_without_changing_the_status(world):
    third = CoordinatorProfileFactory(user__full_name="Derde").user
    assignment = assign_coordinator(world.case, world.other_coordinator, user=world.manager)
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION
    with pytest.raises(CaseError, match="at most two"):
        assign_coordinator(world.case, third, user=world.manager)
    decline_assignment(assignment, user=world.other_coordinator, reason="Geen tijd")
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION
    world.case.refresh_from_db()
    assign_coordinator(world.case, third, user=world.manager)


@pytest.mark.django_db
def test_only_a_manager_of_the_region_may_ask(world):
    case = case_in_status(Status.ACCEPTED, region=world.west)
    with pytest.raises(CaseError, match="may not"):
        assign_coordinator(case, world.other_coordinator, user=world.other_manager)
    assert not case.assignments.exists()


@pytest.mark.django_db
def test_the_handover_ends_the_coordinators_role(world):
    case = case_in_status(Status.AFTERCARE, coordinator=world.coordinator, region=world.west)
    change_status(case, Status.FOLLOW_UP, user=world.coordinator)
    assert case.assignments.get().state == Assignment.State.ENDED
    assert case.assignments.get().ended_at is not None


@pytest.mark.django_db
def test_a_transition_is_one_transaction(world, monkeypatch):
    """If recording the history fails, the status change is rolled back too."""

    def broken_log(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Case, "log", broken_log)
    with pytest.raises(RuntimeError):
        change_status(world.case, Status.SCHEDULED, user=world.coordinator, dedicated=True)
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION


@pytest.mark.django_db
def test_a_transition_takes_a_fixed_number_of_queries(world):
    with CaptureQueriesContext(connection) as queries:
        change_status(world.case, Status.SCHEDULED, user=world.coordinator, dedicated=True)
    assert len(queries) <= 8
