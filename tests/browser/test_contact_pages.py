"""Real Chromium: the contact page, the accessibility statement and a coordinator's profile
pass axe-core and fit a 320 px screen."""

from __future__ import annotations

import pytest

from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_the_public_contact_pages_fit_a_phone_and_pass_axe(page, transactional_db, world):
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/contact/", "/toegankelijkheidsverklaring/", "/"):
        page.goto(path)
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
    page.goto("/contact/")
    assert page.get_by_role("heading", name="Regiokantoren").is_visible()


def test_a_coordinator_sets_the_number_participants_see(page, transactional_db, world):
    sign_in(page, world.coordinator)
    page.get_by_role("link", name=world.coordinator.full_name).click()
    page.wait_for_url("**/profiel/")
    assert_accessible(page)
    page.get_by_label("Telefoonnummer voor deelnemers").fill("bel me")
    page.get_by_role("button", name="Mijn profiel opslaan").click()
    page.wait_for_load_state()
    assert_accessible(page)  # the error state too
    page.get_by_label("Telefoonnummer voor deelnemers").fill("06 12 34 56 78")
    # Languages are checkboxes: ticking two keeps the Dutch already ticked.
    assert page.get_by_label("Nederlands", exact=True).is_checked()
    page.get_by_label("Arabisch").check()
    page.get_by_label("Turks").check()
    assert page.get_by_label("Nederlands", exact=True).is_checked()
    page.get_by_role("button", name="Mijn profiel opslaan").click()
    page.wait_for_load_state()
    assert page.get_by_text("Uw profiel is opgeslagen.").is_visible()
    world.coordinator.refresh_from_db()
    assert world.coordinator.phone == "06 12 34 56 78"
    assert sorted(world.coordinator.coordinator_profile.languages) == ["ar", "nl", "tr"]
    assert page.get_by_label("Turks").is_checked() and page.get_by_label("Arabisch").is_checked()
