"""Real Chromium on a small phone (320 px), in Arabic, right to left (issue 20).

Layla reads Arabic. Her coordinator set her language; she opens her link, says yes and answers
the date poll; after the meeting she reads the plan. Every page is `lang="ar" dir="rtl"`,
passes axe and does not scroll sideways. The line about the unchecked translation leads to the
same page in Dutch for one visit, and the public request form switches to Arabic as well."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kring.circle import links
from kring.circle.models import Participant, Willingness
from kring.meetings import services as meeting_services
from kring.meetings.models import DateAnswer
from tests.browser.test_followup_journey import goto, submit
from tests.browser.test_request_journey import new_page
from tests.browser.test_staff_journeys import assert_accessible
from tests.factories import ready_for_follow_up

pytestmark = pytest.mark.browser

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WIDTH = 320


def right_to_left_and_fits(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert_accessible(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"


def test_a_participant_in_arabic(chromium, live_server, transactional_db, world):
    case = world.case
    layla = Participant.objects.create(
        case=case,
        name="Layla Haddad",
        email="layla@voorbeeld.test",
        language="ar",
        category="resident",
    )
    day = timezone.localdate() + dt.timedelta(days=21)
    option = meeting_services.add_option(
        case,
        starts_at=dt.datetime.combine(day, dt.time(19), tzinfo=AMSTERDAM),
        ends_at=dt.datetime.combine(day, dt.time(22), tzinfo=AMSTERDAM),
        user=world.coordinator,
    )
    own = new_page(chromium, live_server, viewport={"width": WIDTH, "height": 740})
    link = f"/p/{links.issue(layla)}/"
    goto(own, link)
    right_to_left_and_fits(own)
    # The page is laid out from the right: the heading starts at the right edge.
    box = own.locator("main h1").bounding_box()
    assert box is not None and box["x"] + box["width"] > WIDTH * 0.6
    # The time reads left to right inside the Arabic date.
    expect(own.locator("legend bdi[dir=ltr]").first).to_have_text("19:00–22:00")

    # Yes, she takes part.
    own.locator('section[aria-labelledby="take-part"] input[value="yes"]').check()
    submit(own, 'section[aria-labelledby="take-part"] button[type="submit"]')
    right_to_left_and_fits(own)
    # The date poll.
    own.locator(f'input[name="option-{option.pk}"][value="yes"]').check()
    submit(own, 'section[aria-labelledby="dates"] button[type="submit"]')
    right_to_left_and_fits(own)
    layla.refresh_from_db()
    assert layla.willingness == Willingness.YES
    assert DateAnswer.objects.get(participant=layla, option=option).answer == "yes"

    # Dutch one click away, for this visit only.
    own.locator(".kring-translation-note a").click()
    own.wait_for_load_state()
    expect(own.locator("html")).to_have_attribute("lang", "nl")
    expect(own.locator("html")).to_have_attribute("dir", "ltr")
    assert_accessible(own)
    goto(own, link)
    expect(own.locator("html")).to_have_attribute("lang", "ar")

    # After the meeting: the plan, in Arabic.
    made = ready_for_follow_up(world)
    anna = made.people["anna"]
    Participant.objects.filter(pk=anna.pk).update(language="ar")
    goto(own, f"/p/{links.issue(anna)}/")
    right_to_left_and_fits(own)
    expect(own.locator("#the-plan")).to_be_visible()

    # The public request form, switched to Arabic with the button named in Arabic.
    public = new_page(chromium, live_server, viewport={"width": WIDTH, "height": 740})
    goto(public, "/aanvragen/")
    with public.expect_navigation():
        public.locator('button[name="language"][value="ar"]').click()
    right_to_left_and_fits(public)
    expect(public.locator('button[name="language"][value="nl"]')).to_have_attribute("lang", "nl")

    # A dead link's page, asked in Arabic in the address (it sends no referrer, so its
    # language switch is a set of links).
    goto(public, "/p/onbekend/?taal=ar", status=404)
    right_to_left_and_fits(public)
    expect(public.locator('a[hreflang="nl"]')).to_have_text("Nederlands")
