"""Issue 14 point 4: someone added to the circle by mistake can be removed while nothing was
sent to them (with a history entry); after that, a duplicate is merged into the same
person."""

import pytest
from django.urls import reverse

from kring.cases.models import CaseEvent
from kring.circle import links
from kring.circle.models import ContactMoment, Participant, PersonalLink
from kring.messaging.models import OutboxMessage


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _url(name, participant):
    return reverse(name, args=[participant.case.reference, participant.pk])


@pytest.mark.django_db
def test_someone_added_by_mistake_is_removed_with_a_history_entry(world, client):
    mistake = Participant.objects.create(case=world.case, name="Per Ongeluk", category="resident")
    client.force_login(world.coordinator)
    page = client.get(_url("participant_detail", mistake))
    assert _url("participant_remove", mistake) in page.text
    # Without the reason and the tick nothing happens.
    refused = client.post(_url("participant_remove", mistake), {"reason": "Dubbel"})
    assert refused.status_code == 400
    assert "Tick the box to confirm the removal." in refused.text
    assert Participant.objects.filter(pk=mistake.pk).exists()
    data = {"reason": "Bij de verkeerde zaak toegevoegd", "understood": "on"}
    response = client.post(_url("participant_remove", mistake), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("circle", args=[world.case.reference])
    assert not Participant.objects.filter(pk=mistake.pk).exists()
    event = CaseEvent.objects.get(case=world.case, action="participant.removed")
    assert event.reason == "Bij de verkeerde zaak toegevoegd"
    assert event.actor == world.coordinator and event.data == {"participant": mistake.pk}
    assert "Per Ongeluk" not in str(event.data)


@pytest.mark.django_db
def test_once_something_was_sent_removal_is_refused(world, client):
    sent_to = Participant.objects.create(
        case=world.case, name="Ayse Kaya", category="resident", email="ayse@voorbeeld.test"
    )
    links.issue(sent_to)
    client.force_login(world.coordinator)
    page = client.get(_url("participant_detail", sent_to))
    assert _url("participant_remove", sent_to) not in page.text
    assert "Something was already sent to this person" in page.text
    data = {"reason": "Dubbel", "understood": "on"}
    response = client.post(_url("participant_remove", sent_to), data)
    assert response.status_code == 409
    assert Participant.objects.filter(pk=sent_to.pk).exists()
    assert not CaseEvent.objects.filter(action="participant.removed").exists()


@pytest.mark.django_db
def test_a_duplicate_is_merged_into_the_same_person(world, client):
    keep = Participant.objects.create(
        case=world.case, name="Ayse Kaya", category="resident", email="ayse@voorbeeld.test"
    )
    twice = Participant.objects.create(
        case=world.case,
        name="A. Kaya",
        category="resident",
        email="ayse@voorbeeld.test",
        phone="0612345678",
    )
    links.issue(twice)
    message = OutboxMessage.objects.create(
        purpose="circle.link",
        case=world.case,
        participant=twice,
        from_address="kring@test",
        to_addresses=["ayse@voorbeeld.test"],
        subject="Uw pagina",
        body_text="x",
    )
    ContactMoment.objects.create(participant=twice, channel="phone", outcome="reached")
    client.force_login(world.coordinator)
    page = client.get(_url("participant_detail", twice))
    assert _url("participant_merge", twice) in page.text
    refused = client.post(_url("participant_merge", twice), {"into": keep.pk})
    assert refused.status_code == 400 and "Tick the box to confirm the merge." in refused.text
    response = client.post(_url("participant_merge", twice), {"into": keep.pk, "understood": "on"})
    assert response.status_code == 302
    assert response["Location"] == _url("participant_detail", keep)
    assert not Participant.objects.filter(pk=twice.pk).exists()
    keep.refresh_from_db()
    assert keep.phone == "0612345678" and keep.name == "Ayse Kaya"
    assert PersonalLink.objects.filter(participant=keep).count() == 1
    message.refresh_from_db()
    assert message.participant_id == keep.pk
    assert ContactMoment.objects.filter(participant=keep).count() == 1
    event = CaseEvent.objects.get(case=world.case, action="participant.merged")
    assert event.data["participant"] == keep.pk and event.data["merged"] == twice.pk


@pytest.mark.django_db
def test_merging_with_someone_of_another_case_is_refused(world, client):
    from tests.factories import case_in_status

    other_case = case_in_status("preparation", coordinator=world.coordinator, region=world.west)
    elsewhere = Participant.objects.create(case=other_case, name="Elders", category="resident")
    mine = Participant.objects.create(case=world.case, name="Hier", category="resident")
    client.force_login(world.coordinator)
    response = client.post(
        _url("participant_merge", mine), {"into": elsewhere.pk, "understood": "on"}
    )
    assert response.status_code == 400
    assert Participant.objects.filter(pk__in=[mine.pk, elsewhere.pk]).count() == 2
