"""Real Chromium: the API documentation works under Kring's Content-Security-Policy (the page
fixture fails on any violation) and can call the API; the administrators' client page passes
axe-core and shows a new secret once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kring.accounts.models import Organisation
from kring.api.models import ApiClient, hash_secret
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_the_documentation_page_runs_under_the_csp_and_calls_the_api(page, transactional_db, world):
    page.goto("/api/v1/docs")
    page.get_by_text("Kring API").first.wait_for()
    operation = page.locator("#operations-openbaar-kring_api_api_regions")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    operation.locator(".live-responses-table tbody .response-col_status").first.wait_for()
    assert (
        "200"
        in operation.locator(".live-responses-table tbody .response-col_status").first.inner_text()
    )
    assert "West" in operation.locator(".live-responses-table").inner_text()


def test_an_administrator_registers_a_client_on_an_accessible_page(page, transactional_db, world):
    Organisation.objects.create(name="Gemeente Amsterdam", kind="gemeente")
    sign_in(page, world.administrator)
    page.goto("/beheer/api-clients/")
    assert_accessible(page)
    page.get_by_label("Naam van de client").fill("Wijkteam Oost")
    page.get_by_label("Organisatie", exact=True).select_option(label="Gemeente Amsterdam")
    # Scopes are checkboxes: a client may have two.
    page.get_by_label("aanvragen indienen").check()
    page.get_by_label("de fase van de eigen aanvragen volgen").check()
    assert page.get_by_label("aanvragen indienen").is_checked()
    page.get_by_label("Geldig tot en met").fill(
        (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    )
    page.get_by_role("button", name="Registreren en het geheim tonen").click()
    page.wait_for_load_state()
    secret = page.locator("code").inner_text()
    client = ApiClient.objects.get(name="Wijkteam Oost")
    assert client.secret_hash == hash_secret(secret)
    assert sorted(client.scopes) == ["aanvragen:indienen", "aanvragen:volgen"]
    assert_accessible(page)
