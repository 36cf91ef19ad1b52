"""Real Chromium, through the preparation of a conference: the coordinator builds the circle and
informs everyone, the personal links reach a local SMTP server, participants answer on their own
page and in the date poll, the coordinator picks the date, and the invitations go out — an
email with an .ics event for everyone who said yes, a PDF letter for the one without email, and
nothing for the one who said no."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Browser, Page
from pypdf import PdfReader

from kring.cases.models import Case, Status
from kring.circle import links as personal_links
from kring.circle.models import Participant, Willingness
from kring.meetings.models import DateOption, Meeting
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from tests.browser.test_request_journey import new_page
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PORTAL_PATH = re.compile(r"/p/([A-Za-z0-9_-]+)/")
VENUE = "Buurthuis De Meeuw"
VENUE_ADDRESS = "Molenstraat 40, 1053 AB Amsterdam"


@dataclass(frozen=True)
class Person:
    name: str
    category: str
    email: str = ""
    postal_address: str = ""
    organisation: str = ""
    suggested_by: str = ""
    # What they do on their own page: "yes" (and then the poll), "no", or "" (nothing).
    answer: str = ""
    dates: tuple[str, str] = ("", "")


CARLA = Person(
    "Carla Dekker",
    "neighbour",
    postal_address="Molenstraat 14\n1053 AB Amsterdam",
)
AHMED = Person("Ahmed Benali", "friend", email="ahmed@voorbeeld.test", answer="no")
JOYCE = Person("Joyce Mulder", "teacher", email="joyce@voorbeeld.test")
CIRCLE = [
    Person(
        "Sanne de Wit",
        "resident",
        email="sanne@voorbeeld.test",
        answer="yes",
        dates=("yes", "maybe"),
    ),
    Person(
        "Mehmet Yilmaz",
        "neighbour",
        email="mehmet@voorbeeld.test",
        answer="yes",
        dates=("yes", "no"),
    ),
    Person(
        "Els Jansen",
        "family",
        email="els@voorbeeld.test",
        suggested_by="Sanne de Wit",
        answer="yes",
        dates=("yes", "no"),
    ),
    Person(
        "Kees Bos",
        "police",
        email="kees@voorbeeld.test",
        organisation="Politie Amsterdam-West",
        answer="yes",
        dates=("no", "yes"),
    ),
    Person(
        "Lotte Hendriks",
        "youth_worker",
        email="lotte@voorbeeld.test",
        organisation="Jongerenwerk West",
        answer="yes",
        dates=("yes", "yes"),
    ),
    AHMED,
    JOYCE,
    CARLA,
]
SAID_YES_WITH_EMAIL = {p.email for p in CIRCLE if p.answer == "yes"}


def submit(page: Page, selector: str) -> None:
    """Click a submit button and wait for the page the form leads to (after the redirect);
    that page must be a success, not a form shown again with an error."""
    with page.expect_navigation() as navigation:
        page.locator(selector).click()
    response = navigation.value
    assert response is not None and response.status == 200, (
        f"{page.url}: {response.status if response else 'no response'}"
    )


def recipient(message: EmailMessage) -> str:
    return parseaddr(str(message["To"]))[1]


def purpose(message: EmailMessage) -> str:
    return OutboxMessage.objects.get(pk=int(str(message["X-Kring-Message"]))).purpose


def portal_path(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = PORTAL_PATH.search(body.get_content())
    assert found, f"no personal link in the email to {recipient(message)}"
    return found.group(0)


def calendar_of(message: EmailMessage) -> Calendar:
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, f"{recipient(message)}: {len(parts)} calendar parts"
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def add_to_circle(page: Page, reference: str, person: Person) -> None:
    page.locator("#id_name").fill(person.name)
    page.locator("#id_category").select_option(person.category)
    if person.email:
        page.locator("#id_email").fill(person.email)
    if person.postal_address:
        page.locator("#id_postal_address").fill(person.postal_address)
    if person.organisation:
        page.locator("#id_organisation").fill(person.organisation)
    if person.suggested_by:
        page.locator("#id_suggested_by").select_option(label=person.suggested_by)
    submit(page, f'form[action="/zaken/{reference}/kring/"] button[type="submit"]')
    page.wait_for_url(f"**/zaken/{reference}/kring/")


def portal_page(chromium: Browser, live_server) -> Page:
    """A fresh browser, without an account, for a participant with a personal link."""
    return new_page(chromium, live_server)


def answer_on_own_page(
    chromium: Browser, live_server, path: str, person: Person, options: list[DateOption]
) -> None:
    participant = portal_page(chromium, live_server)
    participant.goto(path)
    assert person.name in participant.locator("main").inner_text()
    participant.locator('#willing_willingness_0[value="yes"]').check()
    submit(participant, 'form:has(input[name="action"][value="willingness"]) button')
    participant.wait_for_url(f"**{path}")
    assert participant.locator("#willing_willingness_0").is_checked()
    for option, value in zip(options, person.dates, strict=True):
        participant.locator(f"#option-{option.pk}-{value}").check()
    submit(participant, 'form:has(input[name="action"][value="dates"]) button')
    participant.wait_for_url(f"**{path}")
    for option, value in zip(options, person.dates, strict=True):
        assert participant.locator(f"#option-{option.pk}-{value}").is_checked()
    participant.context.close()


def test_from_an_empty_circle_to_the_invitations(
    chromium, live_server, transactional_db, world, smtp
):
    reference = world.case.reference
    coordinator = new_page(chromium, live_server)

    # 1. The coordinator opens the case and builds the circle.
    sign_in(coordinator, world.coordinator)
    coordinator.goto(f"/zaken/{reference}/")
    coordinator.locator(f'main a[href="/zaken/{reference}/kring/"]').first.click()
    coordinator.wait_for_url(f"**/zaken/{reference}/kring/")
    for person in CIRCLE:
        add_to_circle(coordinator, reference, person)
    people = {p.name: p for p in Participant.objects.filter(case=world.case)}
    assert sorted(people) == sorted(p.name for p in CIRCLE)
    assert people["Els Jansen"].suggested_by == people["Sanne de Wit"]
    assert people[CARLA.name].email == ""
    assert coordinator.locator("figure.kring-circle svg").count() == 1
    rows = coordinator.locator("table.kring-table tbody tr")
    assert rows.count() == len(CIRCLE)
    assert_accessible(coordinator)

    # 2. Each of them is informed; those with email get the information and their link.
    for person in CIRCLE:
        pk = people[person.name].pk
        participant_path = f"/zaken/{reference}/kring/{pk}/"
        coordinator.goto(f"/zaken/{reference}/kring/")
        coordinator.locator(f'main a[href="{participant_path}"]').click()
        coordinator.wait_for_url(f"**{participant_path}")
        submit(coordinator, 'form[action$="/geinformeerd/"] button')
        coordinator.wait_for_url(f"**{participant_path}")
        assert coordinator.locator('form[action$="/geinformeerd/"]').count() == 0
        if person.email:
            submit(coordinator, 'form[action$="/link/"] button')
            coordinator.wait_for_url(f"**{participant_path}")
        else:
            # No email: there is no link to send; she said yes on the phone.
            assert coordinator.locator('form[action$="/link/"]').count() == 0
            coordinator.locator('form[action$="/deelname/"] input[value="yes"]').check()
            submit(coordinator, 'form[action$="/deelname/"] button')
            coordinator.wait_for_url(f"**{participant_path}")
    informed = Participant.objects.filter(case=world.case, informed_at__isnull=False)
    assert informed.count() == len(CIRCLE)
    assert Participant.objects.get(name=CARLA.name).willingness == Willingness.YES

    # 3. The worker delivers the links to the SMTP server.
    outbox.sweep()
    links = {recipient(m): portal_path(m) for m in smtp.messages if purpose(m) == "circle.link"}
    assert set(links) == {p.email for p in CIRCLE if p.email}
    assert OutboxMessage.objects.filter(purpose="circle.link", status="sent").count() == len(links)

    # 4. Two dates are proposed.
    today = timezone.localdate()
    first_day, second_day = today + dt.timedelta(days=20), today + dt.timedelta(days=27)
    coordinator.goto(f"/zaken/{reference}/")
    coordinator.locator(f'main a[href="/zaken/{reference}/datum/"]').first.click()
    coordinator.wait_for_url(f"**/zaken/{reference}/datum/")
    for day in (first_day, second_day):
        coordinator.locator("#option_day").fill(day.isoformat())
        coordinator.locator("#option_starts").fill("19:00")
        coordinator.locator("#option_ends").fill("22:00")
        submit(coordinator, f'form[action="/zaken/{reference}/datum/"] button')
        coordinator.wait_for_url(f"**/zaken/{reference}/datum/")
    options = list(DateOption.objects.filter(case=world.case).order_by("starts_at"))
    assert [timezone.localtime(o.starts_at).date() for o in options] == [first_day, second_day]
    assert coordinator.locator("table.kring-poll thead th").count() == 3

    # 5. Without an account, through their own link: five say yes and answer the poll.
    for person in CIRCLE:
        if person.answer == "yes":
            answer_on_own_page(chromium, live_server, links[person.email], person, options)

    # One says no: the page says nothing more will come, and shows no date poll.
    mail_to_ahmed = [m for m in smtp.messages if recipient(m) == AHMED.email]
    ahmed = portal_page(chromium, live_server)
    ahmed.goto(links[AHMED.email])
    assert ahmed.locator("#dates").count() == 1
    assert_accessible(ahmed)
    ahmed.locator('#willing_willingness_2[value="no"]').check()
    submit(ahmed, 'form:has(input[name="action"][value="willingness"]) button')
    ahmed.wait_for_url(f"**{links[AHMED.email]}")
    assert ahmed.locator('section[aria-labelledby="take-part"] p strong').is_visible()
    assert ahmed.locator("#dates").count() == 0
    assert ahmed.locator('input[name="action"][value="dates"]').count() == 0
    assert ahmed.locator("#willing_willingness_2").is_checked()
    assert_accessible(ahmed)
    ahmed.context.close()
    assert Participant.objects.get(name=AHMED.name).declined
    # Joyce does nothing.

    # 6. Back on the date page, the grid shows the answers; the coordinator picks the best.
    coordinator.goto(f"/zaken/{reference}/datum/")
    grid = coordinator.locator("table.kring-poll")
    names = grid.locator("tbody th").all_inner_texts()
    assert AHMED.name not in names  # who said no is not asked and not listed
    assert sorted(names) == sorted(p.name for p in CIRCLE if p is not AHMED)
    assert grid.locator("tbody td.kring-poll__yes").count() == 6
    assert grid.locator("tbody td.kring-poll__maybe").count() == 1
    assert grid.locator("tbody td.kring-poll__no").count() == 3
    scores = grid.locator("tfoot td strong").all_inner_texts()
    assert scores == ["4", "3"]
    assert grid.locator("tfoot td").first.locator(".kring-best").count() == 1
    assert_accessible(coordinator)
    chosen = options[0]
    submit(coordinator, f'form[action="/zaken/{reference}/datum/{chosen.pk}/kiezen/"] button')
    # Choosing a date schedules the meeting: a confirmation says so first.
    assert coordinator.locator('input[name="confirmed"]').count() == 1
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION
    assert_accessible(coordinator)
    submit(coordinator, 'main form:has(input[name="confirmed"]) button[type="submit"]')
    coordinator.wait_for_url(f"**/zaken/{reference}/bijeenkomst/")
    assert Case.objects.get(pk=world.case.pk).status == Status.SCHEDULED

    # 7. A venue, then the invitations.
    coordinator.locator("#venue_venue_name").fill(VENUE)
    coordinator.locator("#venue_venue_address").fill(VENUE_ADDRESS)
    submit(coordinator, f'form[action="/zaken/{reference}/bijeenkomst/"] button')
    coordinator.wait_for_url(f"**/zaken/{reference}/bijeenkomst/")
    meeting = Meeting.objects.get(case=world.case)
    assert meeting.venue_name == VENUE
    submit(coordinator, 'form[action$="/bijeenkomst/uitnodigen/"] button')
    coordinator.wait_for_url(f"**/zaken/{reference}/bijeenkomst/")
    outbox.sweep()

    # 8. Exactly those who said yes and have email received an invitation with an event.
    invitations = [m for m in smtp.messages if purpose(m) == "meeting.invitation"]
    assert sorted(recipient(m) for m in invitations) == sorted(SAID_YES_WITH_EMAIL)
    meeting.refresh_from_db()
    expected_start = dt.datetime.combine(first_day, dt.time(19, 0), tzinfo=AMSTERDAM)
    for message in invitations:
        calendar = calendar_of(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == meeting.uid
        assert event.decoded("SEQUENCE") == 0
        assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
        starts = event.decoded("DTSTART")
        assert starts == expected_start
        assert starts.utcoffset() == expected_start.utcoffset()
        assert (starts.date(), starts.time()) == (first_day, dt.time(19, 0))
        assert VENUE in str(event["LOCATION"])
    # Who said no got nothing since; who did nothing is not invited.
    assert [m for m in smtp.messages if recipient(m) == AHMED.email] == mail_to_ahmed
    assert len(mail_to_ahmed) == 1
    assert [purpose(m) for m in smtp.messages if recipient(m) == JOYCE.email] == ["circle.link"]

    # The letter for Carla, who has no email, carries her name and the venue.
    carla = people[CARLA.name]
    letter_link = coordinator.locator(f'a[href="/zaken/{reference}/kring/{carla.pk}/brief.pdf"]')
    assert letter_link.count() == 1
    with coordinator.expect_download() as download_info:
        letter_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    text = " ".join(sheet.extract_text() or "" for sheet in reader.pages)
    assert CARLA.name in text
    assert VENUE in text
    assert_accessible(coordinator)

    coordinator.goto(f"/zaken/{reference}/datum/")
    assert coordinator.locator(f'a[href="/zaken/{reference}/bijeenkomst/"]').count() >= 1
    assert_accessible(coordinator)
    coordinator.context.close()


def test_a_participant_can_answer_on_their_own_page(chromium, live_server, transactional_db, world):
    """The page sends no referrer (the token must not leak), so the browser posts its forms
    with Origin: null; they must work all the same."""
    participant = Participant.objects.create(
        case=world.case, name="Sanne de Wit", email="sanne@voorbeeld.test", category="resident"
    )
    token = personal_links.issue(participant)
    page = new_page(chromium, live_server)  # the page exactly as Kring serves it
    page.goto(f"/p/{token}/")
    page.locator('#willing_willingness_0[value="yes"]').check()
    try:
        submit(page, 'form:has(input[name="action"][value="willingness"]) button')
    finally:
        page.context.close()
    assert Participant.objects.get(pk=participant.pk).willingness == Willingness.YES
