"""The rights of the people in the data: an export of everything about one person (JSON and a
readable PDF), and erasure with safeguards (export first, a reason, a second person)."""

import io
import json

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kring.audit.models import AccessLog, ErasureRequest
from kring.cases.models import Case
from kring.circle import links
from kring.circle.models import ContactMoment, Participant, PersonalLink
from kring.messaging.models import OutboxMessage
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def ahmed(world):
    person = Participant.objects.create(
        case=world.case,
        name="Ahmed Bakkali",
        email="ahmed@voorbeeld.test",
        phone="06-11223344",
        postal_address="Molenstraat 7\n1053 AB Amsterdam",
        category="neighbour",
        written_view="Ik wil rust in de straat.",
    )
    ContactMoment.objects.create(
        participant=person, channel="phone", outcome="reached", note="bel na 18u"
    )
    links.issue(person)
    OutboxMessage.objects.create(
        purpose="circle.link",
        case=world.case,
        participant=person,
        from_address="kring@test",
        to_addresses=[person.email],
        subject="Uw uitnodiging",
        body_text="Beste Ahmed",
    )
    return person


def export(client, world, kind, pk, fmt):
    url = reverse("person_export", args=[world.case.reference, kind, pk, fmt])
    return client.get(url)


@pytest.mark.django_db
def test_an_export_holds_everything_about_the_person(world, client, ahmed):
    client.force_login(world.coordinator)
    client.get(reverse("participant_detail", args=[world.case.reference, ahmed.pk]))
    client.force_login(world.manager)
    response = export(client, world, "participant", ahmed.pk, "json")
    assert response.status_code == 200
    data = json.loads(response.content)
    person = data["person"]
    assert (person["name"], person["email"], person["phone"]) == (
        "Ahmed Bakkali",
        "ahmed@voorbeeld.test",
        "06-11223344",
    )
    assert person["written_view"] == "Ik wil rust in de straat."
    assert person["contacts"][0]["note"] == "bel na 18u"
    assert data["messages"][0]["subject"] == "Uw uitnodiging"
    assert any(v["who"] == world.coordinator.full_name for v in data["viewed_by"])
    pdf = export(client, world, "participant", ahmed.pk, "pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ahmed Bakkali" in text and "Molenstraat 7" in text
    assert AccessLog.objects.filter(action="export", person_id=str(ahmed.pk)).count() == 2
    requester = json.loads(export(client, world, "requester", world.case.pk, "json").content)
    assert requester["person"]["name"] == world.case.requester_name
    assert export(client, world, "participant", ahmed.pk, "xml").status_code == 404


@pytest.mark.django_db
def test_erasure_needs_an_export_a_reason_and_a_second_person(world, client, ahmed):
    client.force_login(world.manager)
    url = reverse("person_rights", args=[world.case.reference, "participant", ahmed.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"reason": "Verzoek van betrokkene"})
    assert refused.status_code == 409 and "export first" in refused.text
    export(client, world, "participant", ahmed.pk, "json")
    assert client.post(url, {"reason": " "}).status_code == 409
    assert client.post(url, {"reason": "Verzoek van betrokkene (art. 17)"}).status_code == 302
    erasure = ErasureRequest.objects.get()
    confirm = reverse("erasure_confirm", args=[world.case.reference, erasure.pk])
    client.post(confirm)  # the same person cannot confirm
    assert Participant.objects.get(pk=ahmed.pk).name == "Ahmed Bakkali"
    colleague = UserFactory(is_regional_manager=True)
    colleague.managed_regions.set([world.west])
    client.force_login(colleague)
    assert world.case.reference in client.get(reverse("erasure_requests")).text
    assert client.post(confirm).status_code == 302
    erased = Participant.objects.get(pk=ahmed.pk)
    for value in (
        "Ahmed",
        "ahmed@voorbeeld.test",
        "06-11223344",
        "Molenstraat",
        "rust in de straat",
    ):
        row = " ".join(str(v) for v in Participant.objects.values_list().get(pk=ahmed.pk))
        assert value not in row
    assert erased.category == "neighbour"  # the shape of the case stays for research
    assert ContactMoment.objects.get(participant=ahmed).note == ""
    assert not PersonalLink.objects.filter(participant=ahmed).exists()
    assert not any("ahmed@voorbeeld.test" in m.to_addresses for m in OutboxMessage.objects.all())
    assert world.case.events.filter(action="person.erased", actor=colleague).exists()
    # It happens once.
    assert client.post(confirm).status_code == 302
    assert ErasureRequest.objects.get().confirmed_by == colleague


@pytest.mark.django_db
def test_an_administrator_may_confirm_a_requester_erasure(world, client):
    client.force_login(world.manager)
    export(client, world, "requester", world.case.pk, "json")
    url = reverse("person_rights", args=[world.case.reference, "requester", world.case.pk])
    client.post(url, {"reason": "Aanvrager wil gewist worden"})
    client.force_login(world.administrator)
    page = client.get(reverse("erasure_requests")).text
    assert world.case.requester_name not in page  # the administrator sees no names
    erasure = ErasureRequest.objects.get()
    client.post(reverse("erasure_confirm", args=[world.case.reference, erasure.pk]))
    case = Case.objects.get(pk=world.case.pk)
    assert case.requester_name == "[gewist]" and case.requester_email == ""
    assert len(case.postcode) == 4


@pytest.mark.django_db
def test_nobody_else_reaches_a_persons_data(world, client, ahmed):
    url = reverse("person_rights", args=[world.case.reference, "participant", ahmed.pk])
    for user in (world.other_manager, world.coordinator, world.researcher):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert export(client, world, "participant", ahmed.pk, "json").status_code == 404
    client.force_login(world.manager)
    other = reverse("person_rights", args=[world.case.reference, "participant", 999999])
    assert client.get(other).status_code == 404


@pytest.mark.django_db
def test_erasure_reaches_messages_to_an_old_address_and_the_requesters_story(world, client, ahmed):
    from kring.cases import emails

    emails.personal_link(ahmed, "https://kring.test/p/x/")
    Participant.objects.filter(pk=ahmed.pk).update(email="nieuw@voorbeeld.test")
    client.force_login(world.manager)
    export(client, world, "participant", ahmed.pk, "json")
    url = reverse("person_rights", args=[world.case.reference, "participant", ahmed.pk])
    client.post(url, {"reason": "Verzoek"})
    export(client, world, "requester", world.case.pk, "json")
    url = reverse("person_rights", args=[world.case.reference, "requester", world.case.pk])
    client.post(url, {"reason": "Verzoek"})
    client.force_login(world.administrator)
    for erasure in ErasureRequest.objects.all():
        client.post(reverse("erasure_confirm", args=[world.case.reference, erasure.pk]))
    assert not OutboxMessage.objects.filter(participant=ahmed).exists()
    assert not any("Ahmed" in m.body_text for m in OutboxMessage.objects.all())
    case = Case.objects.get(pk=world.case.pk)
    assert case.description == "[gewist]" and case.involved == "" and case.intake_notes == ""


@pytest.mark.django_db
def test_erasure_reaches_the_plan_and_its_kept_versions(world, client, ahmed):
    from kring.plans.models import Agreement, Plan, PlanVersion
    from kring.plans.services import snapshot

    plan = Plan.objects.create(case=world.case, contingency="Ahmed Bakkali belt de wijkagent.")
    agreement = Agreement.objects.create(plan=plan, what="Ahmed Bakkali veegt de stoep.")
    agreement.who.add(ahmed)
    plan.monitors.add(ahmed)
    PlanVersion.objects.create(plan=plan, number=1, content=snapshot(plan))
    assert "Ahmed Bakkali" in json.dumps(PlanVersion.objects.get().content)
    client.force_login(world.manager)
    export(client, world, "participant", ahmed.pk, "json")
    url = reverse("person_rights", args=[world.case.reference, "participant", ahmed.pk])
    client.post(url, {"reason": "Verzoek van betrokkene (art. 17)"})
    colleague = UserFactory(is_regional_manager=True)
    colleague.managed_regions.set([world.west])
    client.force_login(colleague)
    erasure = ErasureRequest.objects.get()
    assert (
        client.post(reverse("erasure_confirm", args=[world.case.reference, erasure.pk])).status_code
        == 302
    )
    assert "Ahmed Bakkali" not in json.dumps(PlanVersion.objects.get().content)
    assert "Ahmed Bakkali" not in Agreement.objects.get().what
    assert "Ahmed Bakkali" not in Plan.objects.get().contingency
    # The agreement still says who does it: the erased person, by their label.
    assert list(Agreement.objects.get().who.all()) == [Participant.objects.get(pk=ahmed.pk)]
