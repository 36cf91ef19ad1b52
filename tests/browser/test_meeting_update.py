# The fixtures come from tests/meetings/test_meetings.py; ruff reads their use as redefinitions.
# ruff: noqa: F811
"""Real Chromium: after a change of place the meeting page says who has the old details, and
its one button sends the update; the page passes axe-core and the CSP before and after."""

from __future__ import annotations

import pytest

from kring.meetings import invitations, services
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from tests.browser.test_staff_journeys import assert_accessible, sign_in
from tests.meetings.test_meetings import circle, scheduled  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_the_update_button_sends_the_new_place(page, transactional_db, world, scheduled, smtp):
    invitations.send(scheduled, user=world.coordinator)
    services.save_venue(
        scheduled,
        {
            "venue_name": "Wijkcentrum Oost",
            "venue_address": "Dapperstraat 1, Amsterdam",
            "venue_accessibility": "",
            "venue_capacity": None,
            "catering": "",
            "catering_for": None,
            "interpreters": "",
        },
        user=world.coordinator,
        version=scheduled.version,
    )
    sign_in(page, world.coordinator)
    page.goto(f"/zaken/{world.case.reference}/bijeenkomst/")
    alert = page.locator("#outdated-count")
    assert "3 personen hebben de oude gegevens." in alert.inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Wijziging versturen").click()
    page.wait_for_selector("text=2 wijzigingen per e-mail verstuurd.")
    assert page.locator("#outdated-count").count() == 0
    assert_accessible(page)
    outbox.sweep()
    updates = OutboxMessage.objects.filter(purpose="meeting.update", status="sent")
    assert sorted(m.to_addresses[0] for m in updates) == [
        "ayse@voorbeeld.test",
        "bram@voorbeeld.test",
    ]
