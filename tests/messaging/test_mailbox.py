"""The mailbox (outbox): search by recipient, case and kind of message; the HTML version in a
sandboxed frame; attachments to download; and a coordinator who sees exactly what a participant
of their case received — and nothing of anyone else's."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kring.audit.models import AccessLog
from kring.cases.models import Status
from kring.circle.models import Participant
from kring.messaging import outbox
from kring.messaging.models import OutboxAttachment, OutboxMessage
from tests.factories import case_in_status

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}
TOKEN = "GEHEIMTOKENGEHEIMTOKENGEHEIMTOKEN12345"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def participant_of(case, name="Ria de Wit", email="ria@voorbeeld.test"):
    return Participant.objects.create(case=case, name=name, category="family", email=email)


def send(case=None, participant=None, purpose="meeting.invitation", subject="Uitnodiging", to=None):
    email = mail.EmailMultiAlternatives(
        subject=subject,
        body=f"Beste Ria, open https://kring.test/p/{TOKEN}/ voor uw pagina.",
        to=[to or (participant.email if participant else "iemand@voorbeeld.test")],
    )
    email.attach_alternative(
        f'<p>Beste Ria,</p><script>alert(1)</script><a href="https://kring.test/p/{TOKEN}/">'
        "uw pagina</a>",
        "text/html",
    )
    email.attach("uitnodiging.ics", ICS, "text/calendar; method=REQUEST")
    email.attach("plan.pdf", PDF, "application/pdf")
    return outbox.store(email, purpose=purpose, case=case, participant=participant)


def rows(response) -> list[str]:
    return re.findall(
        r'<th class="utrecht-table__cell" scope="row"><a[^>]*>([^<]*)</a>', response.text
    )


@pytest.mark.django_db
def test_the_mailbox_searches_by_recipient_case_and_kind(world, client):
    other = case_in_status(
        Status.PREPARATION, coordinator=world.other_coordinator, region=world.zuid
    )
    ria = participant_of(world.case)
    send(world.case, ria, subject="Uitnodiging voor Ria")
    send(world.case, ria, purpose="plan.copy", subject="Het plan voor Ria")
    send(other, participant_of(other, "Kees", "kees@elders.test"), subject="Uitnodiging Kees")
    send(purpose="account", subject="Wachtwoord", to="medewerker@kring.test")
    client.force_login(world.administrator)
    url = reverse("outbox_list")

    assert set(rows(client.get(url, **EN))) == {
        "Uitnodiging voor Ria",
        "Het plan voor Ria",
        "Uitnodiging Kees",
        "Wachtwoord",
    }
    assert set(rows(client.get(url, {"recipient": "RIA@voorbeeld"}, **EN))) == {
        "Uitnodiging voor Ria",
        "Het plan voor Ria",
    }
    by_case = client.get(url, {"case": other.reference.lower()}, **EN)
    assert rows(by_case) == ["Uitnodiging Kees"]
    by_kind = client.get(url, {"purpose": "plan.copy"}, **EN)
    assert rows(by_kind) == ["Het plan voor Ria"]
    both = client.get(url, {"purpose": "meeting.invitation", "case": world.case.reference}, **EN)
    assert rows(both) == ["Uitnodiging voor Ria"]
    # The kinds are words, not codes: in the list and in the choice.
    page = client.get(url, **NL).text
    assert "Uitnodiging voor de conferentie" in page
    assert "Kopie van het plan" in page
    assert ">meeting.invitation<" not in page and ">plan.copy<" not in page
    assert '<option value="plan.copy">Kopie van het plan</option>' in page
    # Paging keeps the search.
    assert 'name="recipient"' in page


@pytest.mark.django_db
def test_a_wrong_search_is_refused_with_a_message(world, client):
    send(purpose="account", subject="Wachtwoord")
    client.force_login(world.administrator)
    response = client.get(reverse("outbox_list"), {"purpose": "geen.code"}, **EN)
    assert response.status_code == 400
    assert "Select a valid choice." in response.text
    assert rows(response) == []


@pytest.mark.django_db
def test_the_mailbox_takes_the_same_queries_at_5_and_60_messages(world, client):
    client.force_login(world.administrator)
    url = reverse("outbox_list")
    client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"recipient": "voorbeeld"}).status_code == 200
        return len(captured)

    ria = participant_of(world.case)
    for i in range(5):
        send(world.case, ria, subject=f"Bericht {i}")
    small = queries()
    for i in range(55):
        send(world.case, ria, subject=f"Bericht {i}")
    large = queries()
    assert small == large
    response = client.get(url, {"recipient": "voorbeeld"}, **EN)
    assert len(rows(response)) == 25
    assert "page=2" in response.text and "recipient=voorbeeld" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("demo", [True, False])
def test_the_html_version_is_shown_in_a_sandboxed_frame(world, client, settings, demo):
    settings.KRING_DEMO_MAILBOX = demo
    message = send(world.case, participant_of(world.case))
    client.force_login(world.administrator)
    page = client.get(reverse("outbox_message", args=[message.pk]), **EN)
    html_url = reverse("outbox_message_html", args=[message.pk])
    frame = re.search(r"<iframe[^>]*>", page.text)
    assert frame is not None
    assert " sandbox " in frame[0] and f'src="{html_url}"' in frame[0] and "title=" in frame[0]
    # The email's own HTML never reaches Kring's page itself.
    assert "<script>alert(1)</script>" not in page.text

    response = client.get(html_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    policy = response["Content-Security-Policy"]
    assert policy.split("; ")[0] == "sandbox"
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "<p>Beste Ria,</p>" in response.text
    # A personal link is readable only in the demo mailbox, where it is followed.
    assert (TOKEN in response.text) is demo
    assert (TOKEN in page.text) is demo


@pytest.mark.django_db
def test_a_message_without_html_has_no_frame(world, client):
    message = outbox.store(
        mail.EmailMessage("Alleen tekst", "Hallo", to=["a@b.test"]), purpose="account"
    )
    client.force_login(world.administrator)
    assert "<iframe" not in client.get(reverse("outbox_message", args=[message.pk])).text
    assert client.get(reverse("outbox_message_html", args=[message.pk])).status_code == 404


@pytest.mark.django_db
def test_attachments_download_as_sent_and_are_logged(world, client, settings):
    settings.KRING_DEMO_MAILBOX = True
    message = send(world.case, participant_of(world.case))
    ics, pdf = OutboxAttachment.objects.filter(message=message).order_by("pk")
    client.force_login(world.administrator)
    page = client.get(reverse("outbox_message", args=[message.pk]), **EN).text
    for attachment in (ics, pdf):
        url = reverse("outbox_attachment", args=[message.pk, attachment.pk])
        assert f'href="{url}"' in page
    assert f"Download {ics.filename}" in page and "application/pdf" in page

    response = client.get(reverse("outbox_attachment", args=[message.pk, pdf.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert response.content == PDF
    response = client.get(reverse("outbox_attachment", args=[message.pk, ics.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == 'attachment; filename="uitnodiging.ics"'
    assert response.content == ICS
    logged = AccessLog.objects.filter(
        user=world.administrator, action="download", object_type="attachment"
    )
    assert logged.count() == 2
    assert set(logged.values_list("case_reference", flat=True)) == {world.case.reference}
    # An attachment of another message is not reachable through this one.
    other = send(world.case, participant_of(world.case, "Piet", "piet@voorbeeld.test"))
    foreign = OutboxAttachment.objects.filter(message=other).first()
    assert foreign is not None
    url = reverse("outbox_attachment", args=[message.pk, foreign.pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_calendar_attachment_keeps_its_link_out_of_sight_outside_the_demo(
    world, client, settings
):
    settings.KRING_DEMO_MAILBOX = False
    email = mail.EmailMessage("Uitnodiging", "Zie bijlage", to=["a@b.test"])
    email.attach(
        "uitnodiging.ics",
        f"BEGIN:VCALENDAR\r\nURL:https://kring.test/p/{TOKEN}/\r\nEND:VCALENDAR\r\n".encode(),
        "text/calendar",
    )
    message = outbox.store(email, purpose="meeting.invitation")
    attachment = message.attachments.get()
    client.force_login(world.administrator)
    response = client.get(reverse("outbox_attachment", args=[message.pk, attachment.pk]))
    assert response.status_code == 200
    assert TOKEN.encode() not in response.content
    assert b"BEGIN:VCALENDAR" in response.content


@pytest.mark.django_db
def test_a_coordinator_sees_what_a_participant_of_their_case_received(world, client, settings):
    settings.KRING_DEMO_MAILBOX = False
    ria = participant_of(world.case)
    to_ria = send(world.case, ria, subject="Uitnodiging voor Ria")
    staff_mail = send(
        world.case, None, purpose="assignment.offered", subject="Verzoek", to="x@k.test"
    )
    other = case_in_status(
        Status.PREPARATION, coordinator=world.other_coordinator, region=world.zuid
    )
    elsewhere = send(other, participant_of(other, "Kees", "kees@elders.test"), subject="Kees")

    client.force_login(world.coordinator)
    detail = client.get(reverse("participant_detail", args=[world.case.reference, ria.pk]), **EN)
    assert detail.status_code == 200
    assert "Messages sent" in detail.text
    assert f'href="{reverse("outbox_message", args=[to_ria.pk])}"' in detail.text
    assert "Uitnodiging voor Ria" in detail.text
    assert "Verzoek" not in detail.text

    message = client.get(reverse("outbox_message", args=[to_ria.pk]), **EN)
    assert message.status_code == 200
    assert "Beste Ria" in message.text
    assert TOKEN not in message.text  # outside the demo, the link stays out of sight
    assert "Send again" not in message.text and 'href="/beheer/berichten/"' not in message.text
    assert client.get(reverse("outbox_message_html", args=[to_ria.pk])).status_code == 200
    attachment = to_ria.attachments.first()
    assert (
        client.get(reverse("outbox_attachment", args=[to_ria.pk, attachment.pk])).status_code == 200
    )
    # Not the mail between staff, not another case's, not the mailbox itself.
    for pk in (staff_mail.pk, elsewhere.pk):
        assert client.get(reverse("outbox_message", args=[pk])).status_code == 404
        assert client.get(reverse("outbox_message_html", args=[pk])).status_code == 404
    assert client.get(reverse("outbox_list")).status_code == 404

    client.force_login(world.other_coordinator)
    assert client.get(reverse("outbox_message", args=[to_ria.pk])).status_code == 404
    client.force_login(world.manager)
    assert client.get(reverse("outbox_message", args=[to_ria.pk])).status_code == 200
    client.force_login(world.administrator)
    for pk in (to_ria.pk, staff_mail.pk, elsewhere.pk):
        assert client.get(reverse("outbox_message", args=[pk])).status_code == 200
    assert OutboxMessage.objects.count() == 3
