import pytest
from django.core.management import call_command
from django.db.models import Count

from kring.accounts.models import PostcodeRange, Region, User
from kring.cases.models import Assignment, Case, CaseEvent, Status, Variant
from kring.core import demo


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
    for persona in demo.PERSONAS:
        user = User.objects.get(email=persona.email)
        assert user.check_password(demo.DEMO_PASSWORD)


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
    call_command("seed", cases=1200)
    assert Case.objects.count() == 1200
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(set(references)) == 1200
    assert all(r.startswith("EK-20") for r in references)


@pytest.mark.django_db
def test_postcodes_route_to_regions():
    demo.ensure_reference_data()
    assert getattr(Region.for_postcode("1011 AB"), "slug", None) == "west"
    assert getattr(Region.for_postcode("5611AA"), "slug", None) == "zuid"
    assert getattr(Region.for_postcode("9711 AA"), "slug", None) == "noord"
    assert Region.for_postcode("abc") is None
