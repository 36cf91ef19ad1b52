"""Looks, measured in real Chromium (issue 14, point 12): references stay on one line in
tables at 1280 px, the researcher's header fits one row at 1280 px, dashboard charts keep
readable text at 375 px, "Withdraw" looks like a button, and the start page has room between
its parts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kring.cases.models import Status
from kring.meetings.models import DateOption
from tests.browser.test_request_journey import new_page
from tests.browser.test_staff_journeys import assert_accessible, sign_in
from tests.factories import case_in_status

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# The smallest text a chart may show on screen, in CSS pixels.
MIN_CHART_TEXT = 10


def test_the_researcher_header_and_charts(chromium, live_server, transactional_db, world):
    for status in (Status.REQUESTED, Status.PREPARATION, Status.HELD, Status.CLOSED):
        case_in_status(status, region=world.west)
    page = new_page(chromium, live_server, viewport=DESKTOP)
    sign_in(page, world.researcher)
    page.goto("/werk/")
    # Logo, menu and the person's name with "Sign out" on one row.
    rows = page.evaluate(
        """() => {
          const header = document.querySelector('.kring-header');
          const tops = [...header.children].map(c => Math.round(c.getBoundingClientRect().top));
          const items = [...header.querySelectorAll('.kring-nav > li')].map(
            li => Math.round(li.getBoundingClientRect().top));
          return {children: tops, items: items};
        }"""
    )
    assert len(set(rows["items"])) == 1, rows
    assert max(rows["children"]) - min(rows["children"]) < 24, rows

    page.set_viewport_size(PHONE)
    page.goto("/onderzoek/")
    smallest = page.evaluate(
        """() => {
          let smallest = 1000;
          for (const svg of document.querySelectorAll('.kring-chart__svg')) {
            const box = svg.viewBox.baseVal;
            const scale = svg.getBoundingClientRect().width / box.width;
            for (const text of svg.querySelectorAll('text')) {
              const size = parseFloat(getComputedStyle(text).fontSize);
              smallest = Math.min(smallest, size * scale);
            }
          }
          return smallest;
        }"""
    )
    assert MIN_CHART_TEXT <= smallest < 1000, smallest
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)


def test_references_withdraw_and_the_start_page(chromium, live_server, transactional_db, world):
    for status in (Status.REQUESTED, Status.INTAKE, Status.ACCEPTED):
        case_in_status(status, region=world.west)
    start = timezone.now() + dt.timedelta(days=20)
    DateOption.objects.create(
        case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )
    page = new_page(chromium, live_server, viewport=DESKTOP)
    sign_in(page, world.manager)
    for path in ("/werk/", "/zaken/"):
        page.goto(path)
        lines = page.evaluate(
            """() => [...document.querySelectorAll('.kring-reference')].map(
                 cell => cell.querySelector('a, span') ?
                   cell.querySelector('a, span').getClientRects().length : 1)"""
        )
        assert lines and set(lines) == {1}, (path, lines)

    page.goto("/werk/")
    # Sections, their headings and the tables' captions do not touch.
    room = page.evaluate(
        """() => {
          const px = (el, prop) => parseFloat(getComputedStyle(el)[prop]);
          return {
            sections: [...document.querySelectorAll('main section + section')].map(
              el => px(el, 'marginBlockStart')),
            headings: [...document.querySelectorAll('main section > h2')].map(
              el => px(el, 'marginBlockEnd')),
            captions: [...document.querySelectorAll('main caption')].filter(
              el => el.offsetHeight > 1).map(el => px(el, 'paddingBlockEnd')),
          };
        }"""
    )
    assert room["headings"] and room["captions"], room
    for part, sizes in room.items():
        assert all(size > 0 for size in sizes), (part, room)

    page.goto(f"/zaken/{world.case.reference}/datum/")
    withdraw = page.get_by_role("button", name="Intrekken")
    look = withdraw.first.evaluate(
        """b => { const s = getComputedStyle(b);
           return {border: parseFloat(s.borderTopWidth), color: s.borderTopColor,
                   background: s.backgroundColor}; }"""
    )
    assert look["border"] >= 1 and look["color"] not in ("rgba(0, 0, 0, 0)", "transparent"), look
    assert_accessible(page)
