"""Real Chromium: a researcher without JavaScript asks for an export file, follows it with the
refresh link and downloads it; the pages pass axe-core (run with JavaScript, which axe needs)
(issue 18)."""

from __future__ import annotations

import pytest

from kring.research import export_files
from kring.research.models import ExportFile
from kring.research.period import Period
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_a_researcher_asks_for_a_file_and_downloads_it_without_javascript(
    chromium, live_server, transactional_db, world, settings
):
    settings.KRING_EXPORT_DIRECT_MAX_ROWS = 0  # every export is a large one here
    plain = chromium.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="nl-NL", accept_downloads=True
    )
    page = plain.new_page()
    sign_in(page, world.researcher)
    page.goto("/onderzoek/gegevens/zaken.csv")
    page.get_by_role("button", name="Maak het bestand").click()
    page.wait_for_url("**/onderzoek/gegevens/bestanden/*/")
    assert "Wacht op de verwerker." in page.get_by_role("status").inner_text()
    job = ExportFile.objects.get()
    export_files.build(job.pk, "browser-test")  # what the worker does
    page.get_by_role("link", name="Nu verversen").click()
    assert "Het bestand is klaar: 1 rijen." in page.get_by_role("status").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download het bestand").click()
    assert download.value.suggested_filename.startswith("kring-zaken-")

    # axe-core runs in the page: the same pages, signed in, with JavaScript.
    scripted = chromium.new_context(
        base_url=live_server.url, locale="nl-NL", storage_state=plain.storage_state()
    )
    checked = scripted.new_page()
    waiting = export_files.request_export(
        world.researcher, export_files.DATASETS["antwoorden"], "xlsx", Period()
    )
    for path in (
        "/onderzoek/gegevens/zaken.csv",
        f"/onderzoek/gegevens/bestanden/{waiting.pk}/",  # waiting, polled by htmx
        f"/onderzoek/gegevens/bestanden/{job.pk}/",
        "/onderzoek/gegevens/",
    ):
        checked.goto(path)
        assert_accessible(checked)
    scripted.close()
    plain.close()
