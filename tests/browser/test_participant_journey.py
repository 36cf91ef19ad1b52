"""Real Chromium on a phone (375 px): one participant from the first email to the follow-up.

Yara is told about the conference by email (her first personal link). On her own page she says
yes, answers the date poll and says what she eats; the page asks only what fits the phase. The
date is chosen and she is invited; the place changes and the update reaches her without anyone
pressing "send invitations" again; the calendar file carries the new place. After the meeting
her page shows the plan and no preparation questions any more; she agrees to the research.
Three months later she answers the follow-up from its email. At the end she reopens the link
from the *first* email: it still works. Every page passes axe and fits 375 px."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from kring.cases.lifecycle import change_status
from kring.cases.models import Case, ConferenceQuestion, Status
from kring.circle.models import Participant, Willingness
from kring.followup.models import FollowUp, Respondent
from kring.meetings import invitations
from kring.meetings import services as meeting_services
from kring.meetings.models import DateOption, Meeting
from kring.messaging import outbox
from kring.plans import distribution
from kring.plans import services as plan_services
from tests.browser.test_followup_journey import (
    goto,
    portal_path,
    purpose,
    recipient,
    submit,
    text_of,
    worker_round,
)
from tests.browser.test_request_journey import new_page
from tests.browser.test_staff_journeys import assert_accessible

pytestmark = pytest.mark.browser

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WIDTH = 375
QUESTION = "Hoe kan de overlast op het plein stoppen?"
YARA_EMAIL = "yara.degroot@voorbeeld.test"
DEAL = "Yara vraagt de gemeente om een extra lantaarn bij het plein."


def fits_and_passes(page: Page) -> None:
    """The page passes axe-core and does not scroll sideways on the phone."""
    assert_accessible(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"


def headings(page: Page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("main h2").all_inner_texts()]


def mail_to_yara(smtp, kind: str) -> list:
    return [m for m in smtp.messages if recipient(m) == YARA_EMAIL and purpose(m) == kind]


def test_one_participant_from_the_first_email_to_the_follow_up(
    chromium, live_server, transactional_db, world, smtp, client
):
    case = world.case
    world.coordinator.phone = "06 11 22 33 44"  # set on her profile page
    world.coordinator.save(update_fields=["phone"])
    ConferenceQuestion.objects.create(case=case, text=QUESTION)
    yara = Participant.objects.create(
        case=case, name="Yara de Groot", email=YARA_EMAIL, language="nl", category="resident"
    )
    # Two dates to choose from, a few weeks ahead.
    first_day = timezone.localdate() + dt.timedelta(days=21)
    options = [
        meeting_services.add_option(
            case,
            starts_at=dt.datetime.combine(
                first_day + dt.timedelta(days=n), dt.time(19), tzinfo=AMSTERDAM
            ),
            ends_at=dt.datetime.combine(
                first_day + dt.timedelta(days=n), dt.time(22), tzinfo=AMSTERDAM
            ),
            user=world.coordinator,
        )
        for n in (0, 7)
    ]

    # 1. The coordinator sends the information: Yara's first email with her first link.
    client.force_login(world.coordinator)
    sent = client.post(reverse("participant_link", args=[case.reference, yara.pk]))
    assert sent.status_code == 302
    outbox.sweep()
    (first_email,) = mail_to_yara(smtp, "circle.link")
    first_link = portal_path(first_email)
    assert "Fatima El Amrani: 06 11 22 33 44" in text_of(first_email)  # whom to call

    own = new_page(chromium, live_server, viewport={"width": WIDTH, "height": 800})
    goto(own, first_link)
    expect(own.locator("html")).to_have_attribute("lang", "nl")
    before = headings(own)
    for asked in (
        "Doet u mee?",
        "Welke data komen u goed uit?",
        "Wat hebt u nodig om te kunnen komen?",
    ):
        assert asked in before, before
    assert "Het plan" not in before
    fits_and_passes(own)

    own.locator('section[aria-labelledby="take-part"] input[value="yes"]').check()
    submit(own, 'section[aria-labelledby="take-part"] button[type="submit"]')
    fits_and_passes(own)
    own.locator(f'input[name="option-{options[1].pk}"][value="yes"]').check()
    own.locator(f'input[name="option-{options[0].pk}"][value="no"]').check()
    submit(own, 'section[aria-labelledby="dates"] button[type="submit"]')
    own.locator('section[aria-labelledby="needs"] input[name="diet_note"]').fill("Halal")
    submit(own, 'section[aria-labelledby="needs"] button[type="submit"]')
    fits_and_passes(own)
    yara.refresh_from_db()
    assert yara.willingness == Willingness.YES and yara.diet_note == "Halal"

    # 2. The date is chosen and the invitations go out.
    meeting = meeting_services.schedule(
        case, DateOption.objects.get(pk=options[1].pk), user=world.coordinator
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        venue_name="Buurthuis De Meeuw", venue_address="Molenstraat 40, Amsterdam"
    )
    meeting.refresh_from_db()
    invitations.send(meeting, user=world.coordinator)
    outbox.sweep()
    assert len(mail_to_yara(smtp, "meeting.invitation")) == 1

    # The place changes: one button sends the update, with a higher SEQUENCE.
    Meeting.objects.filter(pk=meeting.pk).update(
        venue_name="Wijkcentrum Het Anker", sequence=meeting.sequence + 1
    )
    meeting.refresh_from_db()
    assert [p.pk for p in invitations.outdated(meeting)] == [yara.pk]
    invitations.send_updates(meeting, user=world.coordinator)
    outbox.sweep()
    (update,) = mail_to_yara(smtp, "meeting.update")
    assert "Wijkcentrum Het Anker" in text_of(update)

    # Yara opens her FIRST link again: now it shows date, place and the calendar file.
    goto(own, first_link)
    meeting_set = headings(own)
    assert "Welke data komen u goed uit?" not in meeting_set and "Het plan" not in meeting_set
    expect(own.locator('section[aria-labelledby="question"]')).to_contain_text(
        "Wijkcentrum Het Anker"
    )
    fits_and_passes(own)
    calendar_href = own.get_by_role("link", name="Zet in mijn agenda (.ics)").get_attribute("href")
    assert calendar_href
    ics = own.request.get(calendar_href)
    assert ics.status == 200 and ics.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(ics.body()).events
    assert int(str(event["SEQUENCE"])) == meeting.sequence
    assert "Wijkcentrum Het Anker" in str(event["LOCATION"])

    # 3. The conference was held yesterday; the circle's plan goes to everyone.
    held = timezone.now() - dt.timedelta(days=1)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=held, ends_at=held + dt.timedelta(hours=3)
    )
    Case.objects.filter(pk=case.pk).update(status=Status.SCHEDULED)
    case.refresh_from_db()
    change_status(case, Status.HELD, user=world.coordinator)
    plan = plan_services.plan_for(case)
    question = case.questions.get()
    plan_services.save_plan_text(
        plan,
        answers={question.pk: "Met meer licht en een vaste avondronde."},
        monitors=[yara],
        monitor_note="Belt iedereen na een maand.",
        contingency="Dan belt Yara binnen een week iedereen.",
        user=world.coordinator,
        version=None,
    )
    plan_services.add_item(
        plan,
        "agreement",
        {
            "what": DEAL,
            "who": [yara],
            "where": "Mercatorplein",
            "when": "date",
            "on": timezone.localdate() + dt.timedelta(days=14),
            "until": None,
            "recurrence": "",
        },
        user=world.coordinator,
    )
    plan_services.finalise(plan, user=world.coordinator, version=None)
    plan.refresh_from_db()
    distribution.distribute(plan, user=world.coordinator)
    outbox.sweep()
    assert len(mail_to_yara(smtp, "plan.copy")) == 1
    change_status(case, Status.PLAN_DISTRIBUTED, user=world.coordinator)
    follow_up = FollowUp.objects.get(case=case)

    # The first link again: the plan, no preparation questions; she agrees to the research.
    goto(own, first_link)
    after = headings(own)
    assert "Het plan" in after, after
    for gone in (
        "Doet u mee?",
        "Wat hebt u nodig om te kunnen komen?",
        "Wie moet er nog meer bij zijn?",
        "Kunt u niet komen?",
    ):
        assert gone not in after, (gone, after)
    expect(own.locator('section[aria-labelledby="the-plan"]')).to_contain_text(DEAL)
    fits_and_passes(own)
    submit(own, 'section[aria-labelledby="research"] button[name="value"][value="yes"]')
    fits_and_passes(own)

    # 4. Three months on, the worker opens the follow-up and emails her.
    opens = dt.datetime.combine(follow_up.due_on, dt.time(9, 0), tzinfo=AMSTERDAM)
    with time_machine.travel(opens, tick=True):
        worker_round()
        (asked,) = mail_to_yara(smtp, "followup.invitation")
        goto(own, portal_path(asked))
        questions = own.locator('section[aria-labelledby="follow-up"]')
        expect(questions).to_contain_text(DEAL)
        fits_and_passes(own)
        questions.locator('input[name^="agreement-"][value="done"]').check()
        questions.locator('input[name="better"][value="4"]').check()
        questions.locator('input[name="satisfaction"][value="8"]').check()
        questions.locator('input[name="recommend"][value="yes"]').check()
        questions.locator('input[name="new_conference"][value="no"]').check()
        submit(
            own,
            'section[aria-labelledby="follow-up"] '
            'form:has(input[name="action"][value="follow_up"]) button[type="submit"]',
        )
        fits_and_passes(own)
        respondent = Respondent.objects.get(follow_up=follow_up, participant=yara)
        assert respondent.answered_at is not None and respondent.satisfaction == 8

        # 5. At the end she reopens the link from the very first email: it still works.
        goto(own, first_link)
        expect(own.locator('section[aria-labelledby="the-plan"]')).to_contain_text(DEAL)
        expect(own.locator('section[aria-labelledby="follow-up"]')).to_contain_text(
            "Bedankt voor uw antwoorden."
        )
        fits_and_passes(own)
    assert own.csp_violations == [], own.csp_violations
