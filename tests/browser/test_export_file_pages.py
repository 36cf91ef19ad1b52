"""Real Chromium without JavaScript: a researcher asks for an export file, follows it with the
refresh link, and downloads it; the pages pass axe-core (issue 18)."""

from __future__ import annotations

import pytest

from kring.research import export_files
from kring.research.models import ExportFile
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_a_researcher_asks_for_a_file_and_downloads_it_without_javascript(
    chromium, live_server, transactional_db, world, settings
):
    settings.KRING_EXPORT_DIRECT_MAX_ROWS = 0  # every export is a large one here
    context = chromium.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="nl-NL"
    )
    page = context.new_page()
    sign_in(page, world.researcher)
    page.goto("/onderzoek/gegevens/zaken.csv")
    assert_accessible(page)
    page.get_by_role("button", name="Maak het bestand").click()
    page.wait_for_url("**/onderzoek/gegevens/bestanden/*/")
    assert "Wacht op de verwerker." in page.get_by_role("status").inner_text()
    assert_accessible(page)
    job = ExportFile.objects.get()
    export_files.build(job.pk, "browser-test")  # what the worker does
    page.get_by_role("link", name="Nu verversen").click()
    assert "Het bestand is klaar: 1 rijen." in page.get_by_role("status").inner_text()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download het bestand").click()
    assert download.value.suggested_filename.startswith("kring-zaken-")
    page.goto("/onderzoek/gegevens/")
    assert_accessible(page)
    context.close()
