"""Real Chromium at 320 px wide (WCAG 1.4.10, reflow): every page a participant or requester
sees fits without scrolling sideways and passes axe-core — the own page in each phase, with a
plan of five long agreements and the questionnaire — and a failed submit takes the focus to
the error summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kring.cases.models import Case, Status
from kring.circle import links
from kring.circle.models import Participant
from kring.followup import services as follow_up_services
from kring.meetings.models import DateOption, Meeting
from kring.plans.models import Agreement, PlanVersion
from kring.plans.services import snapshot
from tests.browser.test_request_journey import new_page
from tests.browser.test_staff_journeys import assert_accessible
from tests.factories import DUE, ready_for_follow_up

pytestmark = pytest.mark.browser

WIDTH = 320
LONG_WHAT = (
    "Anna de Boer belt iedere eerste maandag van de maand met de woningcorporatie over de "
    "verlichting op het plein en zet de stand van zaken op "
    "https://www.voorbeeld-woningcorporatie.nl/bewoners/molenstraat/verlichting-plein-2026 "
    "zodat iedereen het kan nalezen; "
    "buurtpreventieteamcoördinatorenoverleg schuift aan als dat nodig is."
)


def small_page(chromium: Any, live_server: Any, **options: Any) -> Any:
    page = new_page(chromium, live_server, **options)
    page.set_viewport_size({"width": WIDTH, "height": 640})
    return page


def assert_fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide at {WIDTH} px"


def long_plan(made: Any) -> None:
    """The plan's five agreements with long texts and a long address, frozen again."""
    for agreement in Agreement.objects.filter(plan=made.plan):
        agreement.what = LONG_WHAT
        agreement.where = "Buurthuis De Pijp, Molenstraat 12, 3512 AB Utrecht (achteringang)"
        agreement.save(update_fields=["what", "where"])
    PlanVersion.objects.filter(plan=made.plan).update(content=snapshot(made.plan))


def test_every_participant_page_fits_320_px(chromium, live_server, transactional_db, world):
    page = small_page(chromium, live_server)
    # Public pages.
    for path in ("/", "/aanvragen/", "/aanvragen/ontvangen/", "/privacy/", "/p/onbekend/"):
        page.goto(path)
        assert_fits(page)
        assert_accessible(page)

    # The own page before the meeting, with the date poll.
    start = timezone.now() + dt.timedelta(days=20)
    for days in (0, 1, 2):
        DateOption.objects.create(
            case=world.case,
            starts_at=start + dt.timedelta(days=days),
            ends_at=start + dt.timedelta(days=days, hours=3),
        )
    jan = Participant.objects.create(
        case=world.case, name="Jan de Vries", category="resident", email="jan@voorbeeld.test"
    )
    page.goto(f"/p/{links.issue(jan)}/")
    assert page.locator("#dates").is_visible()
    assert_fits(page)
    assert_accessible(page)

    # Once the date is set.
    Case.objects.filter(pk=world.case.pk).update(status=Status.SCHEDULED)
    Meeting.objects.create(
        case=world.case,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        venue_name="Buurthuis De Pijp",
        venue_address="Molenstraat 12, 3512 AB Utrecht",
    )
    page.reload()
    assert page.locator("a[href$='agenda.ics']").is_visible()
    assert_fits(page)
    assert_accessible(page)
    page.context.close()


def test_the_own_page_with_a_long_plan_and_the_questionnaire_fits_320_px(
    chromium, live_server, transactional_db, world
):
    made = ready_for_follow_up(world)
    long_plan(made)
    follow_up_services.open_due(DUE)
    page = small_page(chromium, live_server)
    for key in ("anna", "frank"):  # questions waiting; said no
        page.goto(f"/p/{links.issue(made.people[key])}/")
        if key == "anna":
            assert page.locator("#the-plan").is_visible()
            assert page.locator("#follow-up").is_visible()
            # The agreements are stacked, each cell with its column's name.
            row = page.locator(".kring-plan-agreements tbody tr").first
            assert row.evaluate("row => getComputedStyle(row).display") == "block"
            assert row.locator(".kring-cell-label").first.is_visible()
        assert_fits(page)
        assert_accessible(page)
    # At a desk the plan is still a table, without the repeated names.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/p/{links.issue(made.people['anna'])}/")
    row = page.locator(".kring-plan-agreements tbody tr").first
    assert row.evaluate("row => getComputedStyle(row).display") == "table-row"
    assert not row.locator(".kring-cell-label").first.is_visible()
    page.context.close()


def test_a_failed_submit_takes_the_focus_to_the_error_summary(
    chromium, live_server, transactional_db, world
):
    page = small_page(chromium, live_server)
    page.goto("/aanvragen/")
    page.get_by_role("button", name="Aanvraag versturen").click()
    page.wait_for_load_state()
    assert page.title().startswith("Fout: ")
    focused = page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert focused
    # The required field in error has the red border, not the grey one.
    name = page.locator("#id_requester_name")
    assert name.get_attribute("aria-invalid") == "true"
    border = name.evaluate("el => getComputedStyle(el).borderTopColor")
    assert border == "rgb(164, 22, 26)", border  # --kring-error
    # A drop-down list shows its arrow (Kring's image, not none).
    select = page.locator("#id_coordinator_language")
    image = select.evaluate("el => getComputedStyle(el).backgroundImage")
    assert "select-arrow" in image, image
    assert "---------" not in select.inner_text()
    # The consent checkbox gets a visible focus ring from the keyboard.
    page.locator("#id_consent").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.locator("#id_consent").evaluate(
        "el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]"
    )
    assert outline[0] == "solid" and outline[1] != "0px", outline
    assert_fits(page)
    assert_accessible(page)
    page.context.close()
