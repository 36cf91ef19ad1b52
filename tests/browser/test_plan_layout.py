"""The plan page in real Chromium at 1280 and 375 px (issue 14, point 12: it was one column of
5,700 px): the table of contents is on the first screen — beside the parts and staying in view
at 1280 px, above them at 375 px — its links unfold a folded part, parts fold without
JavaScript, and the page passes axe at both widths. Structure, not pixels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kring.cases.models import Case, ConferenceQuestion, Status
from kring.circle.models import Participant
from kring.meetings.models import Meeting
from kring.plans.models import Agreement, Evaluation, OrganisationRequest, Plan
from kring.plans.views import PARTS
from tests.browser.test_request_journey import new_page
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

BOX = """selector => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, left: box.left, right: box.right};
}"""


def a_plan_being_written(world) -> str:
    """The world's case after its conference, with a plan of eight agreements, a request and
    an evaluation moment: long enough to need finding one's way."""
    case = world.case
    ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?")
    start = timezone.now() - dt.timedelta(days=1)
    Meeting.objects.create(case=case, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    Case.objects.filter(pk=case.pk).update(status=Status.HELD)
    bram = Participant.objects.create(
        case=case, name="Bram Smit", category="resident", willingness="yes"
    )
    plan = Plan.objects.create(case=case, contingency="We bellen elkaar.")
    for order in range(1, 9):
        agreement = Agreement.objects.create(
            plan=plan,
            what=f"Bram zet op dag {order} de containers buiten",
            where="Berkenhof",
            when="recurring",
            recurrence="elke dinsdag",
            order=order,
        )
        agreement.who.set([bram])
    OrganisationRequest.objects.create(
        plan=plan, organisation="Woningcorporatie", request="De verlichting maken", order=1
    )
    Evaluation.objects.create(plan=plan, on=dt.date(2027, 5, 1), description="Samen kijken")
    return reverse("plan", args=[case.reference])


def test_the_plan_page_at_1280_and_375_px(chromium, live_server, transactional_db, world):
    url = a_plan_being_written(world)
    page = new_page(chromium, live_server, viewport=DESKTOP)
    sign_in(page, world.coordinator)
    page.goto(url)

    toc = page.locator("#plan-toc")
    links = toc.locator("a")
    assert links.evaluate_all("links => links.map(a => a.getAttribute('href'))") == [
        f"#{part}" for part in PARTS
    ]
    for part in PARTS:
        # Every part is a <details> whose <summary> holds its heading.
        assert page.locator(f"details.kring-fold > summary h2#{part}-title").count() == 1
        assert page.locator(f"details.kring-fold > #{part}").count() == 1

    # At 1280 px: the table of contents is on the first screen, beside the parts, and stays in
    # view when the page scrolls.
    box = page.evaluate(BOX, "#plan-toc")
    parts = page.evaluate(BOX, ".kring-plan-parts")
    assert box["top"] < DESKTOP["height"] and box["bottom"] <= DESKTOP["height"]
    assert box["right"] <= parts["left"]
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    box = page.evaluate(BOX, "#plan-toc")
    assert 0 <= box["top"] < DESKTOP["height"]
    assert_accessible(page)

    # A link in the table of contents unfolds a folded part.
    requests = page.locator("details.kring-fold:has(#requests)")
    expect(requests).not_to_have_attribute("open", "")
    toc.locator('a[href="#requests"]').click()
    expect(requests).to_have_attribute("open", "")
    expect(page.locator("#requests")).to_be_in_viewport()

    # At 375 px: the table of contents comes first, on the first screen, above the parts;
    # nothing is wider than the screen.
    page.set_viewport_size(PHONE)
    page.goto(url)
    box = page.evaluate(BOX, "#plan-toc")
    parts = page.evaluate(BOX, ".kring-plan-parts")
    assert box["top"] < PHONE["height"]
    assert box["bottom"] <= parts["top"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)

    # Without JavaScript the parts fold and unfold all the same, and a form sent from a
    # folded part comes back with that part open at the new item.
    plain = chromium.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        locale="nl-NL",
        viewport=PHONE,
        storage_state=page.context.storage_state(),
    )
    try:
        no_script = plain.new_page()
        no_script.set_default_timeout(15000)
        no_script.goto(url)
        evaluations = no_script.locator("details.kring-fold:has(#evaluations)")
        expect(evaluations).not_to_have_attribute("open", "")
        expect(no_script.locator("#evaluations")).to_be_hidden()
        evaluations.locator(":scope > summary").click()
        expect(evaluations).to_have_attribute("open", "")
        add = evaluations.locator("details.kring-fold-add")
        add.locator(":scope > summary").click()
        no_script.locator("#new-evaluation_on").fill("2027-06-01")
        no_script.locator("#new-evaluation_description").fill("Nog een keer samen kijken")
        add.locator('button[type="submit"]').click()
        no_script.wait_for_url("**/plan/#evaluation-*")
        added = Evaluation.objects.get(on=dt.date(2027, 6, 1))
        expect(no_script.locator(f"#evaluation-{added.pk}")).to_be_visible()
        expect(no_script.locator(f"#evaluation-{added.pk}")).to_be_in_viewport()
    finally:
        plain.close()
