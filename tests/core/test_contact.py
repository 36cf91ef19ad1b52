"""Someone to contact (issue 13, points 9 and 10): the organisation's and each region's office
details in the footer, on the contact page, under every email and on every letter; the
coordinator's own profile page; the pages a Dutch public service must have."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kring.accounts.models import CoordinatorProfile
from kring.cases import contact as case_contact
from kring.cases import emails
from kring.circle.models import Category, Participant
from kring.core import contact
from kring.meetings.letters import invitation_letter_pdf
from kring.meetings.models import Meeting
from kring.messaging import outbox

WEST_OFFICE = {"phone": "020 555 01 23", "email": "west@kring.test"}


@pytest.fixture
def offices(world, settings):
    settings.KRING_CONTACT_NAME = "Kring"
    settings.KRING_CONTACT_PHONE = "030 555 00 00"
    settings.KRING_CONTACT_EMAIL = "contact@kring.test"
    settings.KRING_CONTACT_ADDRESS = ["Postbus 100", "3500 AA Utrecht"]
    world.west.phone = WEST_OFFICE["phone"]
    world.west.email = WEST_OFFICE["email"]
    world.west.postal_address = "Postbus 1234\n1000 AB Amsterdam\n"
    world.west.save()
    world.coordinator.phone = "06 11 22 33 44"
    world.coordinator.save(update_fields=["phone"])
    return world


# --- Who to reach ------------------------------------------------------------------------


def test_a_region_office_fills_its_gaps_from_the_organisation(offices):
    office = contact.office(offices.west)
    assert office.name == "Kring West"
    assert office.phone == WEST_OFFICE["phone"]
    assert office.address == ("Postbus 1234", "1000 AB Amsterdam")
    zuid = contact.office(offices.zuid)  # no details of its own
    assert (zuid.phone, zuid.email) == ("030 555 00 00", "contact@kring.test")
    assert zuid.address == ("Postbus 100", "3500 AA Utrecht")
    assert contact.office(None) == contact.organisation()


def test_only_a_participant_is_given_the_coordinators_number(offices):
    for_participant = case_contact.for_case(offices.case, participant=True)
    assert for_participant.coordinator is not None
    assert for_participant.coordinator.phone == "06 11 22 33 44"
    assert case_contact.for_case(offices.case).coordinator is None
    offices.coordinator.phone = ""
    offices.coordinator.save(update_fields=["phone"])
    assert case_contact.for_case(offices.case, participant=True).coordinator is None


def test_the_footer_names_a_number_an_address_and_the_required_pages(offices, client):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="nl")
    assert 'href="tel:0305550000"' in page.text
    assert "mailto:contact@kring.test" in page.text
    for name in ("contact", "privacy", "accessibility_statement", "request_form"):
        assert f'href="{reverse(name)}"' in page.text
    assert '<meta name="description" content="Kring: ' in page.text
    assert 'rel="icon"' in page.text


def test_the_contact_page_lists_every_office(offices, client):
    page = client.get(reverse("contact"), HTTP_ACCEPT_LANGUAGE="nl")
    assert page.status_code == 200
    assert "Kring West" in page.text and "Kring Zuid" in page.text
    assert WEST_OFFICE["phone"] in page.text
    assert "1000 AB Amsterdam" in page.text
    assert "Regiokantoren" in page.text


# --- Emails ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_requesters_email_names_the_office_and_replies_reach_it(offices, smtp):
    emails.request_received(offices.case)
    outbox.sweep()
    (received,) = smtp.messages
    assert received["Reply-To"] == WEST_OFFICE["email"]
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert WEST_OFFICE["phone"] in body
        assert "1000 AB Amsterdam" in body
        assert "06 11 22 33 44" not in body  # a requester is not given the coordinator's number
    assert html.rstrip().endswith("</html>")


@pytest.mark.django_db
def test_a_participants_email_names_their_coordinator(offices, smtp):
    anna = Participant.objects.create(
        case=offices.case, name="Anna de Boer", email="anna@voorbeeld.test", language="nl"
    )
    emails.personal_link(anna, "https://kring.test/p/x/")
    outbox.sweep()
    (received,) = smtp.messages
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert "Fatima El Amrani" in text and "06 11 22 33 44" in text
    assert "Vragen? Bel uw coördinator" in text
    assert WEST_OFFICE["phone"] in text


# --- Letters -----------------------------------------------------------------------------


def test_a_letter_carries_the_offices_postal_address_and_phone(offices):
    meeting = Meeting.objects.create(
        case=offices.case,
        starts_at=timezone.now() + dt.timedelta(days=20),
        ends_at=timezone.now() + dt.timedelta(days=20, hours=3),
        venue_name="Buurthuis",
    )
    henk = Participant.objects.create(
        case=offices.case,
        name="Henk Mulder",
        postal_address="Molenstraat 3\n3512 AC Utrecht",
        language="nl",
        category=Category.NEIGHBOUR,
    )
    pdf = invitation_letter_pdf(meeting, henk, kind="invitation", portal_url="https://k.test/p/x")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Kring West" in text
    assert "Postbus 1234" in text and "1000 AB Amsterdam" in text
    assert WEST_OFFICE["phone"] in text
    assert "06 11 22 33 44" in text  # the coordinator, who can be called


# --- Public pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_accessibility_statement_follows_the_model(offices, client):
    page = client.get(reverse("accessibility_statement"), HTTP_ACCEPT_LANGUAGE="nl")
    assert page.status_code == 200
    for part in (
        "Toegankelijkheidsverklaring",
        "Status C",
        "axe-core",
        "Nog niet getest",
        "Nationale ombudsman",
        "contact@kring.test",
    ):
        assert part in page.text, part
    english = client.get(reverse("accessibility_statement"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Accessibility statement" in english.text


@pytest.mark.django_db
def test_security_txt_follows_rfc_9116(offices, client, settings):
    settings.KRING_SECURITY_CONTACT = "security@kring.test"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    fields = dict(line.split(": ", 1) for line in response.text.strip().splitlines())
    assert fields["Contact"] == "mailto:security@kring.test"
    expires = dt.datetime.fromisoformat(fields["Expires"].replace("Z", "+00:00"))
    assert timezone.now() < expires < timezone.now() + dt.timedelta(days=365)
    assert fields["Canonical"] == f"{settings.SITE_URL}/.well-known/security.txt"


@pytest.mark.django_db
def test_the_favicon_is_a_real_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    path = finders.find("kring/favicon.ico")
    assert path
    with open(path, "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # the ICO header


# --- The coordinator's profile -----------------------------------------------------------


def _profile_data(profile: CoordinatorProfile, **changes: object) -> dict[str, object]:
    return {
        "phone": "06 98 76 54 32",
        "languages": ["nl", "ar"],
        "availability": "limited",
        "version": profile.version,
        **changes,
    }


def test_a_coordinator_keeps_their_profile_up_to_date(world, client):
    client.force_login(world.coordinator)
    page = client.get(reverse("coordinator_profile"), HTTP_ACCEPT_LANGUAGE="nl")
    assert page.status_code == 200
    assert "Mijn profiel" in page.text
    profile = world.coordinator.coordinator_profile
    response = client.post(reverse("coordinator_profile"), _profile_data(profile))
    assert response.status_code == 302
    profile.refresh_from_db()
    world.coordinator.refresh_from_db()
    assert world.coordinator.phone == "06 98 76 54 32"
    assert profile.languages == ["nl", "ar"]
    assert profile.availability == "limited"
    assert profile.version == 2


def test_a_bad_phone_number_is_explained_and_changes_nothing(world, client):
    client.force_login(world.coordinator)
    profile = world.coordinator.coordinator_profile
    response = client.post(
        reverse("coordinator_profile"),
        _profile_data(profile, phone="bel me"),
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 400
    assert "telefoonnummer" in response.text
    assert 'value="bel me"' in response.text  # what was typed is kept
    world.coordinator.refresh_from_db()
    assert world.coordinator.phone == ""
    profile.refresh_from_db()
    assert profile.version == 1


def test_a_stale_profile_form_is_refused_not_lost(world, client):
    client.force_login(world.coordinator)
    profile = world.coordinator.coordinator_profile
    first = _profile_data(profile, phone="06 12 12 12 12")
    second = _profile_data(profile, phone="06 34 34 34 34", availability="unavailable")
    assert client.post(reverse("coordinator_profile"), first).status_code == 302
    response = client.post(reverse("coordinator_profile"), second, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 409
    world.coordinator.refresh_from_db()
    assert world.coordinator.phone == "06 12 12 12 12"
    profile.refresh_from_db()
    assert profile.availability == "limited"


def test_other_roles_have_no_coordinator_profile(world, client):
    client.force_login(world.manager)
    assert client.get(reverse("coordinator_profile")).status_code == 404
    assert client.post(reverse("coordinator_profile"), {}).status_code == 404


def test_with_two_coordinators_the_first_asked_is_the_one_to_call_and_both_are_named(
    offices, client
):
    """Read as values (name and phone), not as accounts: the first accepted assignment gives
    the number to call, every accepted coordinator is named, an offered one is not."""
    from kring.cases.models import Assignment
    from kring.circle import links

    second = offices.other_coordinator
    second.phone = "06 99 88 77 66"
    second.save(update_fields=["phone"])
    Assignment.objects.create(
        case=offices.case, coordinator=second, state=Assignment.State.ACCEPTED
    )
    found = case_contact.accepted_coordinators(offices.case)
    assert [c.name for c in found] == [offices.coordinator.full_name, second.full_name]
    assert case_contact.for_case(offices.case, participant=True).coordinator == contact.Contact(
        name=offices.coordinator.full_name, phone="06 11 22 33 44"
    )
    anna = Participant.objects.create(
        case=offices.case, name="Anna de Boer", email="anna@voorbeeld.test", language="nl"
    )
    page = client.get(reverse("portal", args=[links.issue(anna)]))
    assert f"{offices.coordinator.full_name}, {second.full_name}" in unescape(page.text)
    assert 'href="tel:0611223344"' in page.text and "0699887766" not in page.text
    # Asked but not yet accepted: neither named nor given.
    Assignment.objects.filter(coordinator=second).update(state=Assignment.State.OFFERED)
    assert [c.name for c in case_contact.accepted_coordinators(offices.case)] == [
        offices.coordinator.full_name
    ]


def test_the_own_page_says_whom_to_call(offices, client):
    from kring.circle import links

    anna = Participant.objects.create(
        case=offices.case, name="Anna de Boer", email="anna@voorbeeld.test", language="nl"
    )
    page = client.get(reverse("portal", args=[links.issue(anna)]))
    assert page.status_code == 200
    assert "Bel uw coördinator, Fatima El Amrani:" in page.text
    assert 'href="tel:0611223344"' in page.text
    assert WEST_OFFICE["phone"] in page.text and "1000 AB Amsterdam" in page.text


def test_a_letter_carries_a_qr_code_of_the_personal_link():
    import segno
    from django.template.loader import render_to_string

    url = "https://kring.test/p/" + "A" * 43 + "/"
    html = render_to_string(
        "letters/portal_link.html",
        {"portal_url": url, "portal_code": "ABCDE-FGHJK", "code_url": "https://kring.test/code/"},
    )
    (src,) = re.findall(r'<img class="qr" src="([^"]+)"', html)
    # The code encodes the personal link itself (not the /code/ page).
    assert unescape(src) == segno.make(url, error="m").svg_data_uri(border=2, dark="#000")
    assert 'alt="QR code with the link to your own page"' in html
    assert "ABCDE-FGHJK" in html


def test_the_information_letter_can_be_printed_at_the_informed_step(offices, client):
    from kring.cases.models import CaseEvent
    from kring.circle.models import PersonalLink

    henk = Participant.objects.create(
        case=offices.case,
        name="Henk Mulder",
        postal_address="Molenstraat 3\n3512 AC Utrecht",
        language="nl",
        category=Category.NEIGHBOUR,
    )
    client.force_login(offices.coordinator)
    url = reverse("participant_information_letter", args=[offices.case.reference, henk.pk])
    assert client.get(url).status_code == 405  # making a letter makes a link: POST only
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    squeezed = " ".join(text.split())
    assert "Eigen Kracht-conferentie Bewoners van de Molenstraat: doet u mee?" in squeezed
    assert "Wat is een Eigen Kracht-conferentie?" in squeezed
    assert "Henk Mulder" in text and "3512 AC Utrecht" in text
    assert "06 11 22 33 44" in squeezed  # the coordinator to call
    (code,) = re.findall(r"\b[A-Z2-9]{5}-[A-Z2-9]{5}\b", text)
    client.logout()
    typed = client.post(reverse("portal_code"), {"code": code.lower().replace("-", " ")})
    assert typed.status_code == 302
    assert client.get(typed["Location"]).status_code == 200  # Henk's own page
    assert CaseEvent.objects.filter(action="participant.information_letter").count() == 1
    # Someone who said no gets no letter.
    client.force_login(offices.coordinator)
    Participant.objects.filter(pk=henk.pk).update(willingness="no")
    links_before = PersonalLink.objects.filter(participant=henk).count()
    assert client.post(url).status_code == 409
    assert PersonalLink.objects.filter(participant=henk).count() == links_before
