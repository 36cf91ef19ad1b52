"""Phase 0: the public request form, requests entered by staff, and routing by region."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from kring.cases.models import Case, CaseEvent, Channel, Status
from kring.core.models import RateLimitHit
from kring.core.ratelimit import sweep
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from tests.factories import CaseFactory, UserFactory

VALID = {
    "requester_name": "Sanne de Wit",
    "requester_email": "sanne@voorbeeld.test",
    "requester_phone": "",
    "requester_relation": "involved",
    "requester_organisation": "",
    "description": "Al maanden overlast van jongeren op het plein, 's avonds laat.",
    "postcode": "1053ab",
    "address": "Molenstraat 12",
    "municipality_name": "",
    "place": "De Molenstraat en omgeving",
    "variant": "buurt",
    "involved": "Bewoners 1-20, de jongeren, de school",
    "urgency": "soon",
    "coordinator_language": "tr",
    "coordinator_gender": "female",
    "consent": "on",
    "website": "",
}


def new_cases(world):
    """Cases made by the test (the world fixture has one of its own)."""
    return Case.objects.exclude(pk=world.case.pk)


def post(client, data, **extra):
    return client.post(reverse("request_form"), data, **extra)


@pytest.mark.django_db
def test_the_home_page_leads_to_the_request_form(client):
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="nl")
    assert reverse("request_form") in home.text
    form = client.get(reverse("request_form"), HTTP_ACCEPT_LANGUAGE="nl")
    assert form.status_code == 200
    assert "Vraag een Eigen Kracht-conferentie aan" in form.text
    assert "Hoe lang" in form.text  # the short privacy statement: what, who, how long
    assert 'name="website"' in form.text


@pytest.mark.django_db
def test_a_valid_request_is_stored_routed_and_confirmed(world, client):
    response = post(client, VALID, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == reverse("request_received")
    case = new_cases(world).get(requester_email="sanne@voorbeeld.test")
    assert case.status == Status.REQUESTED
    assert case.region == world.west  # 1053 lies in West's postcode range
    assert case.postcode == "1053 AB"
    assert case.channel == Channel.ONLINE
    assert case.consent_at is not None
    assert case.requester_language == "en"
    assert case.coordinator_language == "tr" and case.coordinator_gender == "female"
    assert CaseEvent.objects.filter(case=case, action="case.requested").count() == 1
    message = OutboxMessage.objects.get(case=case, purpose="request.received")
    assert message.to_addresses == ["sanne@voorbeeld.test"]
    assert case.reference in message.subject
    assert "working days" in message.body_text  # in the requester's language (English)
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert case.reference in page.text
    assert "What happens next" in page.text


@pytest.mark.django_db
def test_the_confirmation_reaches_a_real_smtp_server(world, client, smtp):
    post(client, VALID, HTTP_ACCEPT_LANGUAGE="nl")
    outbox.sweep()
    (received,) = [m for m in smtp.messages if m["To"] == "sanne@voorbeeld.test"]
    case = new_cases(world).get()
    assert received["To"] == "sanne@voorbeeld.test"
    assert case.reference in received["Subject"]
    assert "We hebben uw aanvraag ontvangen" in received["Subject"]


@pytest.mark.django_db
def test_bad_input_is_explained_per_field_keeps_the_input_and_stores_nothing(world, client):
    data = {
        **VALID,
        "requester_email": "niet-een-adres",
        "postcode": "12345",
        "variant": "iets",
        "consent": "",
        "requester_name": "",
    }
    response = post(client, data, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 400
    text = response.text
    assert "Voer een geldig e-mailadres in" in text
    assert "Vul een Nederlandse postcode in" in text
    assert "Zonder uw toestemming" in text
    assert "Dit veld is verplicht" in text
    assert 'value="niet-een-adres"' in text and "Al maanden overlast" in text  # kept
    assert 'href="#id_requester_email"' in text  # the error summary links to the field
    assert not new_cases(world).exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"requester_email": "", "requester_phone": ""}, "requester_email"),
        ({"requester_phone": "bel me"}, "requester_phone"),
        ({"requester_relation": "professional"}, "requester_organisation"),
        ({"postcode": "", "municipality_name": ""}, "postcode"),
        ({"requester_name": "x" * 121}, "requester_name"),
        ({"description": "x" * 4001}, "description"),
        ({"place": "x" * 201}, "place"),
        ({"involved": "x" * 2001}, "involved"),
        ({"address": "x" * 121}, "address"),
        ({"coordinator_language": "xx"}, "coordinator_language"),
    ],
)
def test_each_rule_and_length_limit(world, client, change, field):
    response = post(client, {**VALID, **change})
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.text
    assert not new_cases(world).exists()


@pytest.mark.django_db
def test_a_phone_number_alone_is_enough_and_gets_no_mail(world, client):
    response = post(client, {**VALID, "requester_email": "", "requester_phone": "06 12345678"})
    assert response.status_code == 302
    assert new_cases(world).get().requester_phone == "06 12345678"
    assert not OutboxMessage.objects.filter(purpose="request.received").exists()
    # The region's manager hears of it all the same.
    arrived = OutboxMessage.objects.get(purpose="request.arrived")
    assert arrived.to_addresses == [world.manager.email]


@pytest.mark.django_db
def test_the_honeypot_stores_and_sends_nothing(world, client):
    response = post(client, {**VALID, "website": "https://spam.example"})
    assert response.status_code == 302
    assert not new_cases(world).exists()
    assert not OutboxMessage.objects.exists()
    page = client.get(response["Location"])
    assert "EK-" not in page.text


@pytest.mark.django_db
def test_the_rate_limit_refuses_beyond_the_limit_per_address(world, client, settings):
    settings.KRING_REQUEST_LIMIT_PER_HOUR = 3
    start = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        # Mistakes do not count: a person who mistypes is not locked out.
        for _ in range(5):
            assert post(client, {**VALID, "postcode": "x"}).status_code == 400
        for _ in range(3):
            assert post(client, VALID).status_code == 302
        refused = post(client, VALID, HTTP_ACCEPT_LANGUAGE="nl")
        assert refused.status_code == 429
        assert "Probeer het over een uur opnieuw" in refused.text
        assert "Al maanden overlast" in refused.text  # what was typed stays
        assert new_cases(world).count() == 3
        assert OutboxMessage.objects.filter(purpose="request.received").count() == 3
        # Another address is not affected.
        assert post(client, VALID, REMOTE_ADDR="192.0.2.7").status_code == 302
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        assert post(client, VALID).status_code == 302
    assert new_cases(world).count() == 5
    # No address is stored, only a keyed hash.
    assert not RateLimitHit.objects.filter(key__contains="127.0.0.1").exists()
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        sweep()
    assert not RateLimitHit.objects.exists()


@pytest.mark.django_db
def test_a_trusted_proxy_gives_the_client_address(world, client, settings):
    settings.KRING_REQUEST_LIMIT_PER_HOUR = 1
    settings.KRING_TRUSTED_PROXIES = 1
    assert post(client, VALID, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 302
    assert post(client, VALID, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert post(client, VALID, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


@pytest.mark.django_db
def test_routing_by_postcode_municipality_or_national_inbox(world, client):
    post(client, {**VALID, "postcode": "5611 AA", "requester_email": "a@x.test"})
    post(
        client,
        {**VALID, "postcode": "", "municipality_name": "amsterdam", "requester_email": "b@x.test"},
    )
    post(
        client,
        {
            **VALID,
            "postcode": "9711 AA",
            "municipality_name": "Groningen",
            "requester_email": "c@x.test",
        },
    )
    by_email = {case.requester_email: case for case in new_cases(world).all()}
    assert by_email["a@x.test"].region == world.zuid
    assert by_email["b@x.test"].region == world.west
    assert by_email["b@x.test"].municipality.name == "Amsterdam"
    assert by_email["c@x.test"].region is None  # unknown: the national inbox
    assert by_email["c@x.test"].municipality_name == "Groningen"


@pytest.mark.django_db
def test_the_national_inbox_is_seen_only_by_its_holders(world, client):
    case = CaseFactory(region=None, place="Onbekende straat")
    national = UserFactory(is_regional_manager=True, sees_national_inbox=True)
    client.force_login(world.manager)
    assert client.get(case.get_absolute_url()).status_code == 404
    client.force_login(national)
    assert client.get(case.get_absolute_url()).status_code == 200
    assert case.reference in client.get(reverse("start")).text


@pytest.mark.django_db
def test_a_manager_moves_a_case_to_another_region(world, client):
    case = CaseFactory(region=world.west)
    client.force_login(world.manager)
    url = reverse("case_move", args=[case.reference])
    response = client.post(
        url, {"region": world.zuid.pk, "version": case.version, "reason": "Eindhoven"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.region == world.zuid
    event = case.events.get(action="case.moved")
    assert event.data == {"from": "West", "to": "Zuid"} and event.actor == world.manager
    assert client.get(case.get_absolute_url()).status_code == 404  # no longer theirs
    client.force_login(world.other_manager)
    assert client.get(case.get_absolute_url()).status_code == 200
    # A stale form is refused and changes nothing.
    stale = client.post(url, {"region": world.west.pk, "version": 1})
    assert stale.status_code == 409
    assert new_cases(world).get(pk=case.pk).region == world.zuid


@pytest.mark.django_db
def test_a_manager_records_a_phone_request(world, client):
    client.force_login(world.manager)
    assert client.get(reverse("case_create")).status_code == 200
    data = {
        **VALID,
        "channel": "phone",
        "requester_language": "nl",
        "send_confirmation": "",
        "requester_email": "bel@voorbeeld.test",
    }
    response = client.post(reverse("case_create"), data)
    case = new_cases(world).get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.channel == Channel.PHONE and case.entered_by == world.manager
    assert case.events.get(action="case.requested").actor == world.manager
    assert not OutboxMessage.objects.exists()  # no confirmation asked for


@pytest.mark.django_db
def test_a_staff_request_for_another_region_goes_there(world, client):
    client.force_login(world.manager)
    data = {
        **VALID,
        "channel": "email",
        "requester_language": "en",
        "postcode": "5611 AA",
        "send_confirmation": "on",
    }
    response = client.post(reverse("case_create"), data)
    assert response.status_code == 302 and response["Location"] == reverse("start")
    case = new_cases(world).get()
    assert case.region == world.zuid
    assert OutboxMessage.objects.get(purpose="request.received").to_addresses == [
        "sanne@voorbeeld.test"
    ]
    # The managers of Zuid hear of it; the manager who entered it does not need to.
    arrived = OutboxMessage.objects.get(purpose="request.arrived")
    assert arrived.to_addresses == [world.other_manager.email]


@pytest.mark.django_db
def test_a_staff_request_needs_the_same_checks_and_consent(world, client):
    client.force_login(world.manager)
    data = {**VALID, "channel": "phone", "requester_language": "nl", "consent": "", "postcode": "x"}
    response = client.post(reverse("case_create"), data)
    assert response.status_code == 400
    assert 'id="id_consent_error"' in response.text and 'id="id_postcode_error"' in response.text
    assert not new_cases(world).exists()
