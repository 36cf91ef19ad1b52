"""The bulk seeder (``seed --cases N``, kring.demo.bulk): its cases have the demo's shape —
every phase with what belongs to it, in the demo generator's proportions — and Kring's pages,
the CSV export and the API's dataset work on them. No timings here: ``manage.py bench``."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count, Max, Min

from kring.accounts.models import Region, User
from kring.bench.benchmark import PERSONA_KEYS, _export, _paths, _queries, _session
from kring.cases import tally
from kring.cases.models import Assignment, Case, CaseEvent, Status
from kring.circle.models import Participant
from kring.demo import bulk, generator, personas, vocabulary
from kring.followup.models import AgreementOutcome, FollowUp, Respondent
from kring.meetings.models import Meeting
from kring.plans.models import Agreement, Plan, PlanVersion
from kring.plans.services import snapshot
from tests.api.support import make_client
from tests.api.test_api import _all_pages

COUNT = 200


def _rows_per_case(cases: list[int]) -> dict[str, float]:
    return {
        model._meta.db_table: model._default_manager.filter(**{_case_path(model): cases}).count()
        / len(cases)
        for model in bulk.MODELS
        if _case_path(model)
    }


def _case_path(model) -> str:
    """How a table's rows reach their case (for the tables the comparison counts)."""
    return {
        Case: "pk__in",
        CaseEvent: "case__in",
        Participant: "case__in",
        Meeting: "case__in",
        Plan: "case__in",
        Agreement: "plan__case__in",
        PlanVersion: "plan__case__in",
        FollowUp: "case__in",
        Respondent: "follow_up__case__in",
        AgreementOutcome: "respondent__follow_up__case__in",
    }.get(model, "")


@pytest.mark.django_db
def test_bulk_cases_have_every_phase_and_what_belongs_to_it():
    call_command("seed")
    before = Case.objects.aggregate(last=Max("pk"))["last"]
    call_command("seed", cases=COUNT, batch=70)  # three batches, the last one short
    cases = Case.objects.filter(pk__gt=before)
    assert cases.count() == COUNT
    assert len(set(cases.values_list("reference", flat=True))) == COUNT
    # The status counts followed the demo and the seed (kring.cases.tally's triggers).
    areas = [0, *Region.objects.values_list("pk", flat=True)]
    direct = Counter((case.region_id or 0, case.status) for case in Case.objects.all())
    assert {(a, s): n for a in areas for s, n in tally.counts([a]).items()} == dict(direct)
    # Each case's history walks the demo's path to its status, one event per step.
    for walked in cases.annotate(steps=Count("events")):
        assert walked.steps == len(vocabulary.PATHS[walked.status])
    first_and_last = (
        CaseEvent.objects.filter(case__in=cases)
        .values("case")
        .annotate(first=Min("at"), last=Max("at"))
    )
    times = {row["case"]: (row["first"], row["last"]) for row in first_and_last}
    for case in cases:
        assert times[case.pk] == (case.requested_at, case.status_changed_at)
    # What belongs to a phase is there exactly when the case reached it.
    with_circle = set(cases.filter(participants__isnull=False).values_list("status", flat=True))
    assert with_circle <= vocabulary.WITH_CIRCLE
    for status, kind in ((vocabulary.WITH_MEETING, Meeting), (vocabulary.WITH_PLAN, Plan)):
        owners = set(kind.objects.filter(case__in=cases).values_list("case__status", flat=True))
        assert owners <= status
    accepted = cases.filter(status__in=vocabulary.PLAN_ACCEPTED)
    assert PlanVersion.objects.filter(plan__case__in=cases).count() == accepted.count()
    assert FollowUp.objects.filter(case__in=cases).count() == accepted.count()
    for plan in Plan.objects.filter(case__in=cases).annotate(n=Count("agreements")):
        assert plan.n >= 3
        assert plan.monitors.count() == 1
    # An answer covers every agreement of its plan.
    answered = Respondent.objects.filter(follow_up__case__in=cases, answered_at__isnull=False)
    assert answered.exists()
    for respondent in answered.select_related("follow_up"):
        agreements = Agreement.objects.filter(plan__case=respondent.follow_up.case_id)
        assert set(respondent.outcomes.values_list("agreement", flat=True)) == set(
            agreements.values_list("pk", flat=True)
        )
    # New rows made the ordinary way get ids after the seeded ones.
    highest = max(cases.values_list("pk", flat=True))
    made = Case.objects.create(
        reference="EK-1999-00001", place="x", description="x", requester_name="x"
    )
    assert made.pk > highest


@pytest.mark.django_db
def test_a_bulk_plan_version_holds_what_the_plan_services_freeze():
    """The seeder writes a version's content as rows, for speed: it must be what
    ``plans.services.snapshot`` makes of the same plan when it is finalised."""
    personas.ensure_staff(personas.ensure_reference_data())
    for _progress in bulk.seed(COUNT, seed=5, batch=70):
        pass
    versions = list(PlanVersion.objects.select_related("plan__case"))
    assert len(versions) > 20
    for version in versions:
        assert version.content == snapshot(version.plan), version.plan.case.reference


@pytest.mark.django_db
def test_bulk_cases_come_in_the_demo_generator_s_proportions():
    personas.ensure_staff(personas.ensure_reference_data())
    for _done in generator.generate(COUNT, seed=3):
        pass
    generated = list(Case.objects.values_list("pk", flat=True))
    for _progress in bulk.seed(COUNT, seed=3):
        pass
    seeded = list(Case.objects.exclude(pk__in=generated).values_list("pk", flat=True))
    assert len(seeded) == COUNT
    expected, found = _rows_per_case(generated), _rows_per_case(seeded)
    for table, per_case in expected.items():
        # Two random draws of 200 cases: the same order of magnitude, per table.
        assert found[table] == pytest.approx(per_case, rel=0.35), table
    statuses = dict(Case.objects.filter(pk__in=seeded).values_list("status").annotate(Count("pk")))
    assert statuses[Status.CLOSED] > statuses.get(Status.HELD, 0)  # 44 against 2 in 105


@pytest.mark.django_db
def test_pages_export_and_api_dataset_work_on_bulk_cases(client):
    call_command("seed")
    call_command("seed", cases=COUNT)
    users = {key: User.objects.get(email=p.email) for p in personas.PERSONAS for key in [p.key]}
    sessions = {key: _session(users[key]) for key in PERSONA_KEYS}
    # Every page of issue 18's table answers 200 (it raises otherwise).
    counts = _queries(sessions, _paths(users["manager"]))
    assert all(count > 0 for count in counts.values())
    export = _export()
    assert export["rows"] == Case.objects.count()
    caller = make_client(users["administrator"], "research")
    _columns, rows, _pages = _all_pages(client, caller, "zaken", 100)
    assert len(rows) == Case.objects.count()


@pytest.mark.django_db
def test_coordinators_hold_a_working_load_and_more_are_generated_as_needed(monkeypatch):
    """A decade of cases is not coordinated by the demo's five people with thousands of open
    cases each: past ``ACTIVE_CAP`` active cases a region gets a generated coordinator."""
    call_command("seed")
    active = [Assignment.State.OFFERED, Assignment.State.ACCEPTED]

    def loads() -> Counter[int]:
        return Counter(
            Assignment.objects.filter(state__in=active).values_list("coordinator_id", flat=True)
        )

    before, coordinators = loads(), set(User.objects.filter(is_coordinator=True))
    monkeypatch.setattr(bulk, "ACTIVE_CAP", 4)
    call_command("seed", cases=COUNT)
    after = loads()
    generated = set(User.objects.filter(is_coordinator=True)) - coordinators
    assert len(generated) >= 5
    for user in generated:
        assert 1 <= after[user.pk] <= 4
        assert not user.has_usable_password() and not user.daily_digest
        assert user.coordinator_profile.regions.count() == 1
    for user in coordinators:  # a coordinator of two regions may pass it by one in each
        assert after[user.pk] <= max(before[user.pk], 4 + 1)
    # Every active case has its coordinator in its region.
    for assignment in Assignment.objects.filter(state__in=active).select_related("case"):
        profile = assignment.coordinator.coordinator_profile
        assert assignment.case.region in profile.regions.all()
