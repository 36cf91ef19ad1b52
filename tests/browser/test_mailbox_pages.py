"""Real Chromium: the mailbox with its search, a message with its HTML frame and attachments,
and the messages on a participant's page pass axe-core; the frame runs no script."""

from __future__ import annotations

import pytest
from django.core import mail

from kring.circle.models import Participant
from kring.messaging import outbox
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_the_mailbox_and_a_message_are_accessible(page, transactional_db, world):
    ria = Participant.objects.create(
        case=world.case, name="Ria de Wit", category="family", email="ria@voorbeeld.test"
    )
    email = mail.EmailMultiAlternatives(
        subject="Uitnodiging voor de conferentie", body="Beste Ria,", to=[ria.email]
    )
    email.attach_alternative(
        '<!DOCTYPE html><html lang="nl"><head><title>Uitnodiging</title></head><body>'
        "<p>Beste Ria,</p><script>document.title = 'gerund'</script></body></html>",
        "text/html",
    )
    email.attach("uitnodiging.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    message = outbox.store(email, purpose="meeting.invitation", case=world.case, participant=ria)

    sign_in(page, world.administrator)
    page.goto("/beheer/berichten/")
    page.get_by_label("Soort bericht").select_option("meeting.invitation")
    page.get_by_label("Ontvanger").fill("ria@")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url("**/beheer/berichten/?*")
    assert page.get_by_role("link", name="Uitnodiging voor de conferentie").count() == 1
    assert_accessible(page)
    page.get_by_role("link", name="Uitnodiging voor de conferentie").click()
    page.wait_for_url(f"**/beheer/berichten/{message.pk}/")
    frame = page.frame_locator("iframe.kring-mailframe")
    assert frame.locator("p").inner_text() == "Beste Ria,"
    assert page.locator("iframe.kring-mailframe").get_attribute("sandbox") == ""
    assert page.get_by_role("link", name="uitnodiging.ics downloaden").count() == 1
    assert_accessible(page)
    # The script in the email did not run (the sandbox allows none).
    titles = [f.evaluate("document.title") for f in page.frames[1:] if f.url.endswith("/html/")]
    assert titles == ["Uitnodiging"]
