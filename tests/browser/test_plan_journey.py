"""Real Chromium, from the day after the conference to the handover: the coordinator records
who was there per part, writes down the circle's plan (a vague agreement is flagged while
typing and then made precise), records who endorsed it, finalises it and sends the copies —
an email with the PDF and a link for everyone with an address, a printed letter for the one
without, nothing for the one who said no. A participant who missed the plan's presentation
endorses it on their own page; once everyone has it, the case moves on, the aftercare call is
recorded and the coordinator's access to the case ends."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from kring.cases.models import Case, ConferenceQuestion, Status
from kring.circle.models import Participant, Willingness
from kring.meetings.models import Attendance, Meeting
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.plans import precision
from kring.plans.models import (
    AftercareCall,
    Agreement,
    Answer,
    Delivery,
    Endorsement,
    Evaluation,
    OrganisationRequest,
    Plan,
)
from tests.browser.test_request_journey import new_page
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PORTAL_PATH = re.compile(r"/p/([A-Za-z0-9_-]+)/")
QUESTION = "Hoe kan de overlast op het plein stoppen?"
ANSWER = "Door samen met de jongeren afspraken te maken over het plein na 22:00 uur."
MONITOR_NOTE = "Belt iedereen elke maand om te horen hoe het gaat."
CONTINGENCY = "Dan belt Sanne binnen een week iedereen voor een nieuwe afspraak in het buurthuis."
VAGUE = "We proberen zo snel mogelijk de lantaarns op het plein te laten maken."
REQUEST_TO = "Woningcorporatie Eigen Haard"
REQUEST = "Vervangt de kapotte lantaarns op het Mercatorplein."
EVALUATION = "Met de hele kring terugkijken in het buurthuis."
HOW_IT_GOES = "De avondrondes lopen; de lantaarns zijn gemaakt. Het is rustiger op het plein."


@dataclass(frozen=True)
class Person:
    name: str
    category: str
    willingness: str = Willingness.YES
    email: str = ""
    postal_address: str = ""
    organisation: str = ""
    # The parts of the conference they were at: i(nformation), p(rivate time), a (the plan).
    present: str = ""


SANNE = Person("Sanne de Wit", "resident", email="sanne@voorbeeld.test", present="ipa")
MEHMET = Person("Mehmet Yilmaz", "neighbour", email="mehmet@voorbeeld.test", present="ip")
ELS = Person("Els Jansen", "family", email="els@voorbeeld.test", present="ipa")
KEES = Person(
    "Kees Bos",
    "police",
    email="kees@voorbeeld.test",
    organisation="Politie Amsterdam-West",
    present="ia",  # the professionals leave for the private time
)
CARLA = Person(
    "Carla Dekker",
    "neighbour",
    postal_address="Molenstraat 14\n1053 AB Amsterdam",
    present="ipa",
)
AHMED = Person("Ahmed Benali", "friend", willingness=Willingness.NO, email="ahmed@voorbeeld.test")
CIRCLE = [SANNE, MEHMET, ELS, KEES, CARLA, AHMED]
AT_THE_PLAN = [p for p in CIRCLE if "a" in p.present]
WITH_EMAIL = {p.email for p in CIRCLE if p.email and p.willingness == Willingness.YES}


@dataclass(frozen=True)
class Deal:
    """An agreement as the coordinator types it."""

    what: str
    who: tuple[Person, ...]
    where: str
    when: str  # "date", "period" or "recurring"
    on: int = 0  # days from today
    until: int = 0
    recurrence: str = ""


FIXED = Deal(
    "Sanne belt de woningcorporatie over de kapotte lantaarns op het plein.",
    (SANNE,),
    "Mercatorplein",
    "date",
    on=7,
)
AGREEMENTS = [
    FIXED,
    Deal(
        "Mehmet en Kees lopen samen een avondronde over het plein.",
        (MEHMET, KEES),
        "Mercatorplein",
        "recurring",
        recurrence="elke vrijdagavond om 21:00 uur",
    ),
    Deal(
        "Els organiseert een buurtavond voor de jongeren en de bewoners.",
        (ELS,),
        "Buurthuis De Meeuw",
        "period",
        on=14,
        until=42,
    ),
    Deal(
        "Carla houdt een logboek bij van de overlast.",
        (CARLA,),
        "Molenstraat 14",
        "recurring",
        recurrence="elke zondag",
    ),
    Deal(
        "Mehmet praat met de jongeren op het plein over de afspraken.",
        (MEHMET, SANNE),
        "Mercatorplein",
        "recurring",
        recurrence="elke eerste maandag van de maand",
    ),
]


def day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def squeezed(text: str) -> str:
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    reader = PdfReader(io.BytesIO(pdf))
    return squeezed(" ".join(sheet.extract_text() or "" for sheet in reader.pages))


def downloaded(page: Page, link_selector: str) -> tuple[str, bytes]:
    link = page.locator(link_selector)
    expect(link).to_have_count(1)
    with page.expect_download() as info:
        link.click()
    download = info.value
    with open(download.path(), "rb") as pdf:
        return download.suggested_filename, pdf.read()


def submit(page: Page, selector: str) -> None:
    """Click a submit button of a plain form and wait for the page it leads to (after the
    redirect); that page must be a success, not a form shown again with an error."""
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


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found.append((part.get_filename() or "", payload))
    return found


def dutch(message: str) -> str:
    with translation.override("nl"):
        return gettext(message)


def set_up_the_conference(case: Case) -> tuple[ConferenceQuestion, dict[str, Participant]]:
    """The circle, the question and yesterday's meeting, as the preparation left them."""
    question = ConferenceQuestion.objects.create(case=case, text=QUESTION)
    people = {
        person.name: Participant.objects.create(
            case=case,
            name=person.name,
            category=person.category,
            email=person.email,
            postal_address=person.postal_address,
            organisation=person.organisation,
            willingness=person.willingness,
        )
        for person in CIRCLE
    }
    yesterday = day(-1)
    starts = dt.datetime.combine(yesterday, dt.time(19, 0), tzinfo=AMSTERDAM)
    Meeting.objects.create(
        case=case,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        venue_name="Buurthuis De Meeuw",
        venue_address="Molenstraat 40, 1053 AB Amsterdam",
    )
    Case.objects.filter(pk=case.pk).update(status=Status.SCHEDULED)
    return question, people


def fill_agreement(page: Page, deal: Deal, what: str | None = None) -> None:
    """Fill the form to add an agreement: the text fields first, then the choices (so that
    no text field is left to blur into another check once the form is sent). Once the plan
    has agreements the form is folded: unfold it first, as a person would."""
    form = page.locator("details.kring-fold-add:has(#new-agreement_what)")
    if form.get_attribute("open") is None:
        form.locator(":scope > summary").click()
    page.locator("#new-agreement_what").fill(deal.what if what is None else what)
    page.locator("#new-agreement_where").fill(deal.where)
    if deal.when in ("date", "period"):
        page.locator("#new-agreement_on").fill(day(deal.on).isoformat())
    if deal.when == "period":
        page.locator("#new-agreement_until").fill(day(deal.until).isoformat())
    if deal.when == "recurring":
        page.locator("#new-agreement_recurrence").fill(deal.recurrence)
    who = page.locator("#new-agreement_who")
    for person in deal.who:
        who.get_by_label(person.name, exact=True).check()
    page.locator(f'input[name="when"][value="{deal.when}"]').check()


def add_item(page: Page, section: str, kind: str, count: int) -> None:
    """Send an add form — through HTMX or as a plain form, whichever the page does — and
    wait until the section lists ``count`` items."""
    page.locator(f'#{section} form[action$="/plan/{kind}/nieuw/"] button[type="submit"]').click()
    expect(page.locator(f"#{section} ol.kring-items > li.kring-item")).to_have_count(
        count, timeout=20_000
    )
    expect(page.locator(f"#{section} .utrecht-alert--error")).to_have_count(0)


def test_from_the_conference_to_the_handover(chromium, live_server, transactional_db, world, smtp):
    reference = world.case.reference
    question, people = set_up_the_conference(world.case)
    for deal in AGREEMENTS:  # the agreements as the circle worded them are precise
        assert precision.vague_phrases(deal.what + " " + deal.recurrence) == [], deal.what
    assert precision.vague_phrases(VAGUE)
    coordinator = new_page(chromium, live_server)
    pages = [coordinator]

    # 1. The conference: who was there, per part. The professional left for the private time.
    sign_in(coordinator, world.coordinator)
    coordinator.goto(f"/zaken/{reference}/")
    coordinator.locator(f'main a[href="/zaken/{reference}/conferentie/"]').first.click()
    coordinator.wait_for_url(f"**/zaken/{reference}/conferentie/")
    assert_accessible(coordinator)
    assert coordinator.locator("#attendance_professionals_leave").is_checked()
    for person in CIRCLE:
        pk = people[person.name].pk
        for letter, part in (("i", "information"), ("p", "private_time"), ("a", "plan")):
            box = coordinator.locator(f"#attendance_p{pk}_{part}")
            assert not box.is_checked()
            if letter in person.present:
                box.check()
    submit(coordinator, f'form[action="/zaken/{reference}/conferentie/"] button[type="submit"]')
    coordinator.wait_for_url(f"**/zaken/{reference}/conferentie/")
    assert Case.objects.get(pk=world.case.pk).status == Status.HELD
    attendance = {a.participant.name: a for a in Attendance.objects.select_related("participant")}
    assert sorted(attendance) == sorted(p.name for p in CIRCLE if p.present)
    assert not attendance[KEES.name].private_time and attendance[KEES.name].plan
    assert not attendance[MEHMET.name].plan
    assert coordinator.locator('[role="status"]').first.is_visible()
    assert_accessible(coordinator)

    # 2. The plan page: the circle's answer, who watches over it, what if it does not work.
    coordinator.locator(f'main a[href="/zaken/{reference}/plan/"]').first.click()
    coordinator.wait_for_url(f"**/zaken/{reference}/plan/")
    assert_accessible(coordinator)
    assert Plan.objects.filter(case=world.case).count() == 0  # looking creates nothing
    coordinator.locator(f"#plan_answer_{question.pk}").fill(ANSWER)
    coordinator.locator("#plan_monitors").get_by_label(SANNE.name, exact=True).check()
    coordinator.locator("#plan_monitor_note").fill(MONITOR_NOTE)
    coordinator.locator("#plan_contingency").fill(CONTINGENCY)
    submit(coordinator, f'form[action="/zaken/{reference}/plan/"] button[type="submit"]')
    coordinator.wait_for_url(f"**/zaken/{reference}/plan/#plan-text")
    plan = Plan.objects.get(case=world.case)
    assert Answer.objects.get(plan=plan, question=question).text == ANSWER
    assert [p.name for p in plan.monitors.all()] == [SANNE.name]
    assert (plan.monitor_note, plan.contingency) == (MONITOR_NOTE, CONTINGENCY)
    expect(coordinator.locator(f"#plan_answer_{question.pk}")).to_have_value(ANSWER)

    # The first agreement, typed vaguely: the check warns while typing, and with the saved
    # agreement; it does not block.
    fill_agreement(coordinator, FIXED, what=VAGUE)
    live = coordinator.locator("#new-agreement-check")
    expect(live.locator(".kring-finding--warning")).to_have_count(2)  # proberen, zo snel mogelijk
    expect(live.locator(".kring-finding--warning").first).to_contain_text("proberen")
    expect(live.locator(".kring-finding--missing")).to_have_count(0)
    add_item(coordinator, "agreements", "agreement", 1)
    vague = Agreement.objects.get(plan=plan)
    assert vague.what == VAGUE and vague.when == "date" and vague.on == day(FIXED.on)
    row = coordinator.locator(f"#agreement-{vague.pk}")
    expect(row.locator(".kring-finding--warning")).to_have_count(2)
    expect(coordinator.locator("#findings .kring-finding--missing")).to_have_count(0)
    assert_accessible(coordinator)  # after an HTMX update

    # ... then made precise: the row becomes a form (inline, or a page without JavaScript).
    row.locator(f'a[href="/zaken/{reference}/plan/agreement/{vague.pk}/"]').click()
    what = coordinator.locator(f"#agreement-{vague.pk}_what")
    expect(what).to_have_value(VAGUE)
    expect(
        coordinator.locator(f"#agreement-{vague.pk}-check .kring-finding--warning")
    ).to_have_count(2)
    assert_accessible(coordinator)
    what.fill(FIXED.what)
    expect(coordinator.locator(f"#agreement-{vague.pk}-check .kring-finding--ok")).to_have_count(1)
    coordinator.locator(
        f'form[action="/zaken/{reference}/plan/agreement/{vague.pk}/"] button[type="submit"]'
    ).click()
    row = coordinator.locator(f"#agreement-{vague.pk}")
    expect(row.locator(".kring-item__what")).to_have_text(FIXED.what)
    expect(row.locator(".kring-finding")).to_have_count(0)
    assert Agreement.objects.get(pk=vague.pk).what == FIXED.what

    # Four more agreements: one over a period, the others recurring.
    for count, deal in enumerate(AGREEMENTS[1:], start=2):
        fill_agreement(coordinator, deal)
        add_item(coordinator, "agreements", "agreement", count)
    listed = list(Agreement.objects.filter(plan=plan).order_by("order", "pk"))
    assert [a.what for a in listed] == [deal.what for deal in AGREEMENTS]
    for agreement, deal in zip(listed, AGREEMENTS, strict=True):
        assert sorted(p.name for p in agreement.who.all()) == sorted(p.name for p in deal.who)
        assert (agreement.when, agreement.where) == (deal.when, deal.where)
        assert agreement.recurrence == deal.recurrence
    period = listed[2]
    assert (period.on, period.until) == (day(14), day(42))

    # A request to an organisation, and an evaluation moment — once no earlier update is
    # still on its way to replace the forms.
    # Those parts are folded: the table of contents unfolds them.
    coordinator.wait_for_load_state("networkidle")
    coordinator.locator('#plan-toc a[href="#requests"]').click()
    coordinator.locator("#new-request_organisation").fill(REQUEST_TO)
    coordinator.locator("#new-request_request").fill(REQUEST)
    add_item(coordinator, "requests", "request", 1)
    coordinator.wait_for_load_state("networkidle")
    coordinator.locator('#plan-toc a[href="#evaluations"]').click()
    coordinator.locator("#new-evaluation_on").fill(day(28).isoformat())
    coordinator.locator("#new-evaluation_description").fill(EVALUATION)
    add_item(coordinator, "evaluations", "evaluation", 1)
    assert OrganisationRequest.objects.get(plan=plan).organisation == REQUEST_TO
    assert Evaluation.objects.get(plan=plan).on == day(28)
    # Nothing is missing or vague any more.
    findings = coordinator.locator("#findings")
    expect(findings.locator(".kring-finding--ok")).to_have_count(1)
    expect(findings.locator(".kring-finding--missing, .kring-finding--warning")).to_have_count(0)
    assert_accessible(coordinator)  # after an HTMX update

    # 3. Back on the conference page: those at the presentation of the plan endorse it.
    coordinator.goto(f"/zaken/{reference}/conferentie/")
    endorse = coordinator.locator(f'form[action="/zaken/{reference}/plan-instemming/"]')
    expect(endorse.locator('input[name="participants"]')).to_have_count(len(AT_THE_PLAN))
    for person in AT_THE_PLAN:
        endorse.locator(f"#endorse_{people[person.name].pk}").check()
    submit(coordinator, f'form[action="/zaken/{reference}/plan-instemming/"] button')
    coordinator.wait_for_url(f"**/zaken/{reference}/conferentie/")
    endorsed = Endorsement.objects.filter(plan=plan)
    assert sorted(e.participant.name for e in endorsed) == sorted(p.name for p in AT_THE_PLAN)
    assert {e.via for e in endorsed} == {Endorsement.Via.MEETING}
    assert_accessible(coordinator)

    # 4. The plan is finalised; the distribution page lists who does not have it yet.
    coordinator.goto(f"/zaken/{reference}/plan/")
    submit(coordinator, f'form[action="/zaken/{reference}/plan-vaststellen/"] button')
    # Issue 14: first a confirmation that says what will happen (server-rendered).
    expect(coordinator.locator('input[name="confirmed"]')).to_have_count(1)
    assert plan.versions.count() == 0
    assert_accessible(coordinator)
    submit(coordinator, f'form[action="/zaken/{reference}/plan-vaststellen/"] button')
    coordinator.wait_for_url(f"**/zaken/{reference}/plan-verspreiden/")
    plan.refresh_from_db()
    assert plan.outcome == Plan.Outcome.ACCEPTED
    assert plan.versions.count() == 1
    missing = coordinator.locator('section[aria-labelledby="missing"] tbody th')
    recipients = sorted(p.name for p in CIRCLE if p.willingness == Willingness.YES)
    assert sorted(missing.all_inner_texts()) == recipients
    assert AHMED.name in coordinator.locator('section[aria-labelledby="declined"]').inner_text()
    assert_accessible(coordinator)
    submit(coordinator, f'form[action="/zaken/{reference}/plan-verspreiden/"] button')
    coordinator.wait_for_url(f"**/zaken/{reference}/plan-verspreiden/")
    assert Delivery.objects.filter(channel="email").count() == len(WITH_EMAIL)
    assert_accessible(coordinator)

    # 5. The worker delivers the copies: an email with the PDF and a link, for each of those
    # with an address who take part.
    outbox.sweep()
    copies = [m for m in smtp.messages if purpose(m) == "plan.copy"]
    assert sorted(recipient(m) for m in copies) == sorted(WITH_EMAIL)
    assert not [m for m in smtp.messages if recipient(m) == AHMED.email]
    links: dict[str, str] = {}
    for message in copies:
        (attachment,) = attachments(message)
        name, pdf = attachment
        assert name.endswith(".pdf") and reference in name
        text = pdf_text(pdf)
        for deal in AGREEMENTS:
            assert squeezed(deal.what) in text, (recipient(message), deal.what)
        assert VAGUE not in text
        links[recipient(message)] = portal_path(message)

    # The letter for Carla, who has no email: her address and the agreements.
    carla = people[CARLA.name]
    coordinator.goto(f"/zaken/{reference}/plan-verspreiden/")
    name, letter_pdf = downloaded(
        coordinator, f'a[href="/zaken/{reference}/plan-verspreiden/{carla.pk}/brief.pdf"]'
    )
    assert name.endswith(".pdf")
    text = pdf_text(letter_pdf)
    assert CARLA.name in text
    for line in CARLA.postal_address.splitlines():
        assert line in text
    for deal in AGREEMENTS:
        assert squeezed(deal.what) in text, deal.what
    assert Delivery.objects.get(participant=carla).printed_at is not None
    # Made is not posted (issue 14): recording that it was posted is a second act.
    assert Delivery.objects.get(participant=carla).delivered_at is None
    coordinator.goto(f"/zaken/{reference}/plan-verspreiden/")
    submit(
        coordinator,
        f'form[action="/zaken/{reference}/plan-verspreiden/{carla.pk}/verstuurd/"] button',
    )
    coordinator.wait_for_url(f"**/zaken/{reference}/plan-verspreiden/")
    assert Delivery.objects.get(participant=carla).delivered_at is not None

    # 6. Mehmet was not there for the plan and carries out agreements: he reads the plan on
    # his own page, downloads it and endorses it there.
    mehmet = new_page(chromium, live_server)
    pages.append(mehmet)
    path = links[MEHMET.email]
    mehmet.goto(path)
    section = mehmet.locator('section[aria-labelledby="the-plan"]')
    expect(section).to_be_visible()
    for deal in AGREEMENTS:
        expect(section).to_contain_text(deal.what)
    expect(section).to_contain_text(REQUEST_TO)
    assert_accessible(mehmet)
    name, pdf = downloaded(mehmet, f'section[aria-labelledby="the-plan"] a[href="{path}plan.pdf"]')
    assert name.endswith(".pdf")
    text = pdf_text(pdf)
    for deal in AGREEMENTS:
        assert squeezed(deal.what) in text, deal.what
    submit(mehmet, "form.kring-plan-endorse button")
    mehmet.wait_for_url(f"**{path}")
    expect(mehmet.locator("form.kring-plan-endorse")).to_have_count(0)
    expect(section.locator("strong").first).to_be_visible()
    assert_accessible(mehmet)
    mehmet.context.close()
    endorsement = Endorsement.objects.get(plan=plan, participant=people[MEHMET.name])
    assert endorsement.via == Endorsement.Via.OWN_PAGE

    # 7. Everyone has the plan: the case moves on.
    coordinator.goto(f"/zaken/{reference}/plan-verspreiden/")
    expect(coordinator.locator('section[aria-labelledby="missing"] table')).to_have_count(0)
    have = coordinator.locator('section[aria-labelledby="have"] tbody th')
    assert sorted(have.all_inner_texts()) == recipients
    assert_accessible(coordinator)
    submit(coordinator, f'form[action="/zaken/{reference}/status/"] button')
    coordinator.wait_for_url(f"**/zaken/{reference}/")
    assert Case.objects.get(pk=world.case.pk).status == Status.PLAN_DISTRIBUTED

    # 8. The aftercare call (today: the plan is from today) hands the case over.
    coordinator.locator(f'main a[href="/zaken/{reference}/nazorg/"]').first.click()
    coordinator.wait_for_url(f"**/zaken/{reference}/nazorg/")
    assert_accessible(coordinator)
    expect(coordinator.locator("#aftercare_on")).to_have_value(timezone.localdate().isoformat())
    coordinator.locator("#aftercare_how_it_goes").fill(HOW_IT_GOES)
    # The call is sooner than the minimum time after the meeting: it needs a reason.
    coordinator.locator("#aftercare_early_reason").fill("De kring vroeg om een vroeg gesprek.")
    submit(coordinator, f'form[action="/zaken/{reference}/nazorg/"] button')
    # First the confirmation that the coordinator's part ends (issue 14).
    expect(coordinator.locator('input[name="confirmed"]')).to_have_count(1)
    assert_accessible(coordinator)
    submit(coordinator, f'form[action="/zaken/{reference}/nazorg/"] button')
    coordinator.wait_for_url("**/werk/")
    handover = dutch(
        "The aftercare call is recorded and the case is handed over. Thank you: your part "
        "in this case has ended."
    )
    expect(coordinator.locator('[role="status"]').first).to_have_text(handover)
    assert_accessible(coordinator)
    call = AftercareCall.objects.get(case=world.case)
    assert (call.on, call.how_it_goes) == (timezone.localdate(), HOW_IT_GOES)
    assert Case.objects.get(pk=world.case.pk).status == Status.FOLLOW_UP

    # The coordinator's part has ended: the case is gone for them.
    response = coordinator.goto(f"/zaken/{reference}/")
    assert response is not None and response.status == 404
    coordinator.goto("/zaken/")
    assert reference not in coordinator.locator("main").inner_text()
    coordinator.context.close()
    for seen in pages:
        assert seen.csp_violations == [], seen.csp_violations
