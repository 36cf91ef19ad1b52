"""Issue 14 point 1: the case page's "Next step" names the one thing due now, for this user,
with its button — never "nothing to do" while a step of theirs waits."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kring.cases.models import Assignment, Case, ConferenceQuestion, Status
from kring.circle.models import Participant
from kring.meetings.models import DateOption
from tests.factories import case_in_status


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _next(client, case):
    response = client.get(reverse("case_detail", args=[case.reference]))
    assert response.status_code == 200
    return response


@pytest.mark.django_db
def test_an_offered_coordinator_is_sent_to_the_declaration(world, client):
    case = case_in_status(
        Status.COORDINATOR_ASSIGNED, coordinator=world.coordinator, region=world.west
    )
    client.force_login(world.coordinator)
    response = _next(client, case)
    step = response.context["next_step"]
    assert step.url == "#asked" and not step.waiting
    assert "There is no step for you to take on this case now." not in response.text
    assert 'href="#asked"' in response.text
    assert "sign the independence declaration" in response.text
    # The manager, meanwhile, waits for the coordinator.
    client.force_login(world.manager)
    step = _next(client, case).context["next_step"]
    assert step.waiting and "Waiting for the coordinator" in str(step.text)


@pytest.mark.django_db
def test_preparation_leads_to_the_circle_then_dates_then_choosing(world, client):
    client.force_login(world.coordinator)
    case = world.case
    circle = reverse("circle", args=[case.reference])
    dates = reverse("dates", args=[case.reference])
    assert _next(client, case).context["next_step"].url == circle
    Participant.objects.create(case=case, name="Ayse Kaya", category="resident")
    step = _next(client, case).context["next_step"]
    assert step.url == dates and str(step.button) == "Propose dates"
    start = timezone.now() + dt.timedelta(days=10)
    DateOption.objects.create(case=case, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    step = _next(client, case).context["next_step"]
    assert step.url == dates and str(step.button) == "Choose a date"


@pytest.mark.django_db
def test_held_without_a_plan_offers_the_plan_not_recording_everyone_has_it(world, client):
    Case.objects.filter(pk=world.case.pk).update(status=Status.HELD)
    client.force_login(world.coordinator)
    response = _next(client, world.case)
    step = response.context["next_step"]
    assert step.url == reverse("plan", args=[world.case.reference])
    assert "Record that everyone has the plan" not in response.text
    assert all(t.target != Status.PLAN_DISTRIBUTED for t in response.context["transitions"])


@pytest.mark.django_db
def test_plan_distributed_leads_to_the_aftercare_call(world, client):
    Case.objects.filter(pk=world.case.pk).update(status=Status.PLAN_DISTRIBUTED)
    client.force_login(world.coordinator)
    response = _next(client, world.case)
    step = response.context["next_step"]
    assert step.url == reverse("aftercare", args=[world.case.reference])
    assert "Record the aftercare call" in response.text
    assert "There is no step for you to take on this case now." not in response.text


@pytest.mark.django_db
def test_the_manager_is_led_through_intake_acceptance_and_matching(world, client):
    case = case_in_status(Status.REQUESTED, region=world.west)
    client.force_login(world.manager)
    assert _next(client, case).context["next_step"].url == reverse(
        "case_intake", args=[case.reference]
    )
    Case.objects.filter(pk=case.pk).update(status=Status.INTAKE)
    assert _next(client, case).context["next_step"].url == reverse(
        "case_intake", args=[case.reference]
    )
    ConferenceQuestion.objects.create(case=case, text="Hoe gaan we verder?")
    step = _next(client, case).context["next_step"]
    assert step.transition is not None and step.transition.target == Status.ACCEPTED
    Case.objects.filter(pk=case.pk).update(status=Status.ACCEPTED)
    assert _next(client, case).context["next_step"].url == reverse(
        "case_match", args=[case.reference]
    )
    assert not Assignment.objects.filter(case=case).exists()
