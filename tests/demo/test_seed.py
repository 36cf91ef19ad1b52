import pytest
from django.core.management import call_command
from django.db.models import Count

from kring.accounts.models import PostcodeRange, Region, User
from kring.cases.models import Assignment, Case, CaseEvent, Status, Variant
from kring.demo import generator, personas, vocabulary
from kring.plans.models import PlanVersion
from kring.plans.services import snapshot


@pytest.mark.django_db
def test_seed_is_idempotent_and_covers_every_state_and_variant():
    call_command("seed")
    counts = (
        User.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
        Region.objects.count(),
        PostcodeRange.objects.count(),
    )
    call_command("seed")
    assert counts == (
        User.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
        Region.objects.count(),
        PostcodeRange.objects.count(),
    )
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(Case.objects.values_list("variant", flat=True)) == set(Variant.values)
    for persona in personas.PERSONAS:
        user = User.objects.get(email=persona.email)
        assert user.check_password(personas.DEMO_PASSWORD)


@pytest.mark.django_db
def test_every_demo_case_has_a_consistent_history():
    call_command("seed")
    for case in Case.objects.prefetch_related("events"):
        events = list(case.events.all())
        assert events[0].to_status == Status.REQUESTED
        assert events[-1].to_status == case.status
        assert [e.at for e in events] == sorted(e.at for e in events)
    # Each case with a coordinator past the request has exactly one assignment.
    assert not Assignment.objects.values("case").annotate(n=Count("pk")).filter(n__gt=1)


@pytest.mark.django_db
def test_seed_cases_adds_in_bulk():
    # Few cases: what the bulk seeder makes is checked in tests/demo/test_bulk_seed.py.
    call_command("seed", cases=150)
    assert Case.objects.count() == 150
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(set(references)) == 150
    assert all(r.startswith("EK-20") for r in references)


@pytest.mark.django_db
def test_the_demo_s_plan_versions_are_what_finalising_the_plan_freezes():
    call_command("seed")
    versions = list(PlanVersion.objects.select_related("plan__case"))
    assert versions
    for version in versions:
        assert version.content == snapshot(version.plan), version.plan.case.reference


@pytest.mark.django_db
def test_postcodes_route_to_regions():
    personas.ensure_reference_data()
    assert getattr(Region.for_postcode("1011 AB"), "slug", None) == "west"
    assert getattr(Region.for_postcode("5611AA"), "slug", None) == "zuid"
    assert getattr(Region.for_postcode("9711 AA"), "slug", None) == "noord"
    assert Region.for_postcode("abc") is None


@pytest.mark.django_db
def test_the_demo_has_research_consent_and_follow_ups_in_every_state():
    from django.utils import timezone

    from kring.circle.models import Participant, Willingness
    from kring.followup.models import ConsentChange, ContactAttempt, FollowUp, Respondent
    from kring.plans.models import Agreement

    call_command("seed")
    today, now = timezone.localdate(), timezone.now()
    states = set(FollowUp.objects.values_list("case__status", "state"))
    assert states == {
        (Status.PLAN_DISTRIBUTED, FollowUp.State.PLANNED),
        (Status.AFTERCARE, FollowUp.State.PLANNED),
        (Status.FOLLOW_UP, FollowUp.State.PLANNED),
        (Status.FOLLOW_UP, FollowUp.State.OPEN),
        (Status.CLOSED, FollowUp.State.CLOSED),
    }
    # A planned moment lies ahead (the worker would open it at once otherwise); an open one
    # has passed its day.
    assert not FollowUp.objects.filter(state=FollowUp.State.PLANNED, due_on__lte=today).exists()
    assert not FollowUp.objects.filter(state=FollowUp.State.OPEN, due_on__gt=today).exists()
    # The demo manager's region has an open moment with answers and with answers to come.
    west = FollowUp.objects.filter(state=FollowUp.State.OPEN, case__region__slug="west")
    asked = Respondent.objects.filter(follow_up__in=west)
    assert asked.filter(answered_at__isnull=False).exists()
    assert asked.filter(answered_at__isnull=True, declined_at__isnull=True).exists()
    assert Respondent.objects.filter(follow_up__state=FollowUp.State.CLOSED).exists()

    # Consent: most of those who took part, each with its log; only they are asked.
    past_plan = Participant.objects.filter(
        case__status__in=vocabulary.PLAN_ACCEPTED,
        willingness=Willingness.YES,
    )
    share = past_plan.filter(research_consent=True).count() / past_plan.count()
    assert 0.55 < share < 0.85, share
    for person in Participant.objects.filter(research_consent__isnull=False):
        log = list(ConsentChange.objects.filter(participant=person))
        assert [c.given for c in log] == [person.research_consent]
        assert log[0].via == ConsentChange.Via.OWN_PAGE and log[0].at < now
    assert not Respondent.objects.exclude(participant__research_consent=True).exists()
    assert not Respondent.objects.filter(participant__willingness=Willingness.NO).exists()

    # Answers: an outcome for every agreement of the plan, in time, without a name.
    first_names = set(vocabulary.FIRST_NAMES)
    for respondent in Respondent.objects.select_related("follow_up").prefetch_related(
        "outcomes", "attempts"
    ):
        follow_up = respondent.follow_up
        assert follow_up.opened_at is not None
        end = follow_up.closed_at or now
        attempts = list(respondent.attempts.all())
        assert all(follow_up.opened_at <= a.at <= end for a in attempts)
        reminders = [a for a in attempts if a.kind == ContactAttempt.Kind.REMINDER]
        assert len(reminders) == respondent.reminders <= 2
        if respondent.invited_at is not None:
            assert sum(a.kind == ContactAttempt.Kind.INVITATION for a in attempts) == 1
        if respondent.answered_at is None:
            assert not respondent.outcomes.all()
            continue
        assert respondent.invited_at is not None
        assert respondent.invited_at <= respondent.answered_at <= end
        plan = Agreement.objects.filter(plan__case=follow_up.case_id)
        assert {o.agreement_id for o in respondent.outcomes.all()} == set(
            plan.values_list("pk", flat=True)
        )
        assert respondent.better and respondent.satisfaction and respondent.new_conference
        assert not set(respondent.remark.replace(".", " ").split()) & first_names


@pytest.mark.django_db
def test_generated_cases_have_follow_ups_too():
    from kring.followup.models import AgreementOutcome, FollowUp, Respondent

    personas.ensure_staff(personas.ensure_reference_data())
    for _done in generator.generate(300, seed=7, batch=100):
        pass
    assert FollowUp.objects.filter(state=FollowUp.State.CLOSED).count() > 50
    assert FollowUp.objects.filter(state=FollowUp.State.PLANNED).exists()
    assert Respondent.objects.filter(answered_at__isnull=False).count() > 100
    assert AgreementOutcome.objects.exists()
