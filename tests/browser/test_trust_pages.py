"""Real Chromium: the access log, a person's rights and the erasure requests pass axe-core,
in Dutch and English."""

from __future__ import annotations

import pytest

from kring.circle.models import Participant
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_the_trust_pages_are_accessible(page, transactional_db, world):
    participant = Participant.objects.create(
        case=world.case, name="Ahmed Bakkali", category="neighbour", email="a@voorbeeld.test"
    )
    reference = world.case.reference
    sign_in(page, world.manager)
    paths = [
        f"/zaken/{reference}/",
        f"/zaken/{reference}/inzage/",
        f"/zaken/{reference}/rechten/requester/{world.case.pk}/",
        f"/zaken/{reference}/rechten/participant/{participant.pk}/",
        "/beheer/wisverzoeken/",
    ]
    for path in paths:
        page.goto(path)
        assert_accessible(page)
    # Export first, then the erasure form appears; request it.
    page.goto(paths[3])
    with page.expect_download():
        page.locator("a[href$='export.json']").click()
    page.reload()
    page.locator("#reason").fill("Verzoek van betrokkene")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    for path in paths:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "en"
        assert_accessible(page)
