"""Real Chromium, from the distributed plan to the research figures: a participant says yes to
the research on their own page; three months after the conference the worker opens the
follow-up and emails an invitation with a fresh link — only to those who agreed and did not say
no to taking part. One of them answers the questions on her own page (after a first try that
missed a question), another says she does not want to answer. The researcher then sees the
moment among the answered ones, its respondents by code, and the answers in the dashboard's
figures — never a name, an email address or an agreement's words."""

from __future__ import annotations

import datetime as dt
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from kring.accounts.models import User
from kring.cases.lifecycle import change_status
from kring.cases.models import Case, CaseAction, ConferenceQuestion, Status
from kring.circle.models import Participant, Willingness
from kring.followup import services
from kring.followup.models import AgreementOutcome, ConsentChange, FollowUp, Respondent
from kring.followup.study import study_id
from kring.meetings.models import Meeting
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.plans import distribution
from kring.plans import services as plan_services
from kring.plans.models import Plan
from kring.research import figures
from tests.browser.test_request_journey import new_page
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PORTAL_PATH = re.compile(r"/p/([A-Za-z0-9_-]+)/")
SLOW = 30_000  # ms: CI runs this on two busy cores
QUESTION = "Hoe kan de overlast op het plein stoppen?"
ANSWER = "Door samen met de jongeren afspraken te maken over het plein na 22:00 uur."
REMARK = "De lantaarns branden weer en het is 's avonds rustiger."


@dataclass(frozen=True)
class Person:
    name: str
    category: str
    email: str
    language: str  # the language of their own page and their emails


SANNE = Person("Sanne Verhoeven", "resident", "sanne.verhoeven@voorbeeld.test", "nl")
ELS = Person("Els Brouwer", "family", "els.brouwer@voorbeeld.test", "en")
MEHMET = Person("Mehmet Kaya", "neighbour", "mehmet.kaya@voorbeeld.test", "nl")
AHMED = Person("Ahmed Benali", "friend", "ahmed.benali@voorbeeld.test", "nl")
CIRCLE = [SANNE, ELS, MEHMET, AHMED]


@dataclass(frozen=True)
class Deal:
    """An agreement of the plan, and what Sanne answers about it at the follow-up."""

    what: str
    who: Person
    when: str
    outcome: str


DEALS = [
    Deal(
        "Sanne belt de woningcorporatie over de kapotte lantaarns op het plein.",
        SANNE,
        "date",
        AgreementOutcome.Outcome.DONE,
    ),
    Deal(
        "Mehmet loopt elke vrijdagavond met de buren een ronde over het plein.",
        MEHMET,
        "recurring",
        AgreementOutcome.Outcome.PARTLY,
    ),
    Deal(
        "Els organiseert een buurtavond voor de jongeren en de bewoners.",
        ELS,
        "period",
        AgreementOutcome.Outcome.NOT_RELEVANT,
    ),
]
# The dashboard's table lists the outcomes in this order.
EXPECTED_OUTCOMES = {"done": 1, "partly": 1, "not": 0, "not_relevant": 1}


@dataclass
class Distributed:
    case: Case
    plan: Plan
    people: dict[str, Participant]  # by email
    links: dict[str, str]  # the own-page path in each plan copy, by email
    follow_up: FollowUp


def in_language(language: str, message: str) -> str:
    """``message`` as a page in ``language`` shows it (English while a string is not yet
    translated, like the page itself)."""
    with translation.override(language):
        return gettext(message)


def recipient(message: EmailMessage) -> str:
    return parseaddr(str(message["To"]))[1]


def purpose(message: EmailMessage) -> str:
    return OutboxMessage.objects.get(pk=int(str(message["X-Kring-Message"]))).purpose


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def portal_path(message: EmailMessage) -> str:
    found = PORTAL_PATH.search(text_of(message))
    assert found, f"no personal link in the email to {recipient(message)}"
    return found.group(0)


def submit(page: Page, selector: str, status: int = 200) -> None:
    """Click a plain form's submit button and wait for the page it leads to (after the
    redirect), with the status expected: 200, or 400 for a form shown again with errors."""
    with page.expect_navigation(timeout=SLOW) as navigation:
        page.locator(selector).click()
    response = navigation.value
    assert response is not None and response.status == status, (
        f"{page.url}: {response.status if response else 'no response'}"
    )
    page.wait_for_load_state("networkidle", timeout=SLOW)


def goto(page: Page, path: str, status: int = 200) -> None:
    response = page.goto(path, timeout=SLOW)
    assert response is not None and response.status == status, (
        f"{path}: {response.status if response else 'no response'}"
    )


def private_details(case: Case) -> list[str]:
    """What a researcher must never read: names, addresses, phone numbers, and the
    agreements' words (they name people)."""
    return [
        *(p.name for p in CIRCLE),
        *(p.email for p in CIRCLE),
        *(deal.what for deal in DEALS),
        case.requester_name,
        case.requester_email,
        case.requester_phone,
    ]


def assert_no_private_details(page: Page, case: Case) -> None:
    html = page.content()
    shown = [detail for detail in private_details(case) if detail and detail in html]
    assert shown == [], f"{page.url} shows {shown}"


def cells(row: Any) -> list[str]:
    return [" ".join(text.split()) for text in row.locator("td").all_inner_texts()]


@contextmanager
def signal_handlers_kept() -> Iterator[None]:
    """The worker command installs its own SIGINT/SIGTERM handlers: put pytest's back."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in kept.items():
            signal.signal(number, handler)


def worker_round() -> None:
    with signal_handlers_kept():
        call_command("worker", "--once")


def a_distributed_plan(coordinator: User, manager: User, case: Case, smtp: Any) -> Distributed:
    """Yesterday's conference, its accepted plan sent to everyone (the worker delivered the
    copies over SMTP), and the case moved on: the follow-up is planned. Built through the
    services: the plan's own journey drives these pages."""
    for source, target, actor in (
        (Status.INTAKE, Status.ACCEPTED, manager),
        (Status.COORDINATOR_ASSIGNED, Status.PREPARATION, coordinator),
        (Status.PREPARATION, Status.SCHEDULED, coordinator),
    ):  # the history so far, as the dashboard's funnel reads it
        case.log(CaseAction.STATUS_CHANGED, user=actor, from_status=source, to_status=target)
    question = ConferenceQuestion.objects.create(case=case, text=QUESTION)
    people = {
        person.email: Participant.objects.create(
            case=case,
            name=person.name,
            category=person.category,
            email=person.email,
            language=person.language,
            willingness=Willingness.YES,
        )
        for person in CIRCLE
    }
    sanne, els, ahmed = people[SANNE.email], people[ELS.email], people[AHMED.email]
    # Els and Ahmed agreed to the research when the coordinator asked them; Ahmed later said
    # no to taking part at all. Mehmet was never asked; Sanne decides on her own page.
    for person in (els, ahmed):
        assert services.set_consent(person, True, via=ConsentChange.Via.STAFF, user=coordinator)
    Participant.objects.filter(pk=ahmed.pk).update(willingness=Willingness.NO)

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    starts = dt.datetime.combine(yesterday, dt.time(19, 0), tzinfo=AMSTERDAM)
    Meeting.objects.create(
        case=case,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        venue_name="Buurthuis De Meeuw",
        venue_address="Molenstraat 40, 1053 AB Amsterdam",
    )
    Case.objects.filter(pk=case.pk).update(status=Status.SCHEDULED)
    case.refresh_from_db()
    change_status(case, Status.HELD, user=coordinator)

    plan = plan_services.plan_for(case)
    plan_services.save_plan_text(
        plan,
        answers={question.pk: ANSWER},
        monitors=[sanne],
        monitor_note="Belt iedereen elke maand om te horen hoe het gaat.",
        contingency="Dan belt Sanne binnen een week iedereen voor een nieuwe afspraak.",
        user=coordinator,
        version=None,
    )
    today = timezone.localdate()
    for deal in DEALS:
        plan_services.add_item(
            plan,
            "agreement",
            {
                "what": deal.what,
                "who": [people[deal.who.email]],
                "where": "Mercatorplein",
                "when": deal.when,
                "on": today + dt.timedelta(days=7) if deal.when != "recurring" else None,
                "until": today + dt.timedelta(days=42) if deal.when == "period" else None,
                "recurrence": "elke vrijdagavond om 21:00 uur" if deal.when == "recurring" else "",
            },
            user=coordinator,
        )
    plan_services.finalise(plan, user=coordinator, version=None)
    plan.refresh_from_db()

    # The copies: an email with a link for everyone who takes part; the worker sends them.
    sent = distribution.distribute(plan, user=coordinator)
    assert (sent.emails, sent.letters) == (3, 0)
    outbox.sweep()
    copies = [m for m in smtp.messages if purpose(m) == "plan.copy"]
    assert sorted(recipient(m) for m in copies) == sorted([SANNE.email, ELS.email, MEHMET.email])
    links = {recipient(m): portal_path(m) for m in copies}
    assert distribution.missing(plan) == []

    change_status(case, Status.PLAN_DISTRIBUTED, user=coordinator)
    follow_up = FollowUp.objects.get(case=case)
    assert follow_up.state == FollowUp.State.PLANNED
    assert (follow_up.months, follow_up.due_on) == (3, services.add_months(yesterday, 3))
    return Distributed(case, plan, people, links, follow_up)


def test_the_follow_up_from_the_own_page_to_the_dashboard(
    chromium, live_server, transactional_db, world, smtp
):
    made = a_distributed_plan(world.coordinator, world.manager, world.case, smtp)
    case, people, follow_up = made.case, made.people, made.follow_up
    sanne, els = people[SANNE.email], people[ELS.email]
    pages: list[Any] = []

    # 1. Sanne reads her own page from the plan's email and agrees to the research there.
    own = new_page(chromium, live_server)
    pages.append(own)
    goto(own, made.links[SANNE.email])
    expect(own.locator("html")).to_have_attribute("lang", SANNE.language)
    research = own.locator('section[aria-labelledby="research"]')
    expect(research).to_be_visible()
    expect(own.locator('section[aria-labelledby="follow-up"]')).to_have_count(0)  # not yet
    assert_accessible(own)
    submit(own, 'section[aria-labelledby="research"] button[name="value"][value="yes"]')
    expect(own.locator('[role="status"]').first).to_have_text(
        in_language(
            SANNE.language,
            "Thank you: about three months after the conference we will ask you how the plan "
            "went. You can change your mind here at any time.",
        )
    )
    expect(research.locator('button[name="value"][value="yes"]')).to_have_count(0)
    expect(research.locator('button[name="value"][value="no"]')).to_have_count(1)  # withdraw
    assert_accessible(own)
    sanne.refresh_from_db()
    assert sanne.research_consent is True
    (logged,) = ConsentChange.objects.filter(participant=sanne)
    assert (logged.given, logged.via, logged.recorded_by) == (
        True,
        ConsentChange.Via.OWN_PAGE,
        None,
    )

    # Before its day the worker leaves the moment alone.
    worker_round()
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUp.State.PLANNED and not Respondent.objects.exists()

    # 2. Three months after the conference (and a little): the worker's round opens it, once.
    opens = dt.datetime.combine(follow_up.due_on, dt.time(9, 0), tzinfo=AMSTERDAM)
    with time_machine.travel(opens, tick=True):
        before = len(smtp.messages)
        worker_round()
        worker_round()  # a second round opens nothing more and sends nothing twice
        follow_up.refresh_from_db()
        assert follow_up.state == FollowUp.State.OPEN
        assert follow_up.opened_by.startswith("kring-")
        respondents: dict[int, Respondent] = {
            r.participant_id or 0: r for r in Respondent.objects.filter(follow_up=follow_up)
        }
        # Those who agreed and did not say no: not Mehmet (never asked), not Ahmed (said no).
        assert sorted(respondents) == sorted([sanne.pk, els.pk])
        new = smtp.messages[before:]
        # (The staff's daily digests may go out in the same round; they are not the follow-up.)
        by_purpose = sorted((purpose(m), recipient(m)) for m in new if purpose(m) != "staff.digest")
        assert by_purpose == sorted(
            [
                ("followup.invitation", SANNE.email),
                ("followup.invitation", ELS.email),
                ("followup.opened", world.researcher.email),
            ]
        ), by_purpose
        # The researchers are told without a name: the study ID and counts.
        (told,) = [m for m in new if purpose(m) == "followup.opened"]
        assert recipient(told) == world.researcher.email
        assert study_id(case) in text_of(told)
        for detail in private_details(case):
            assert detail not in text_of(told), detail
        invitations = {recipient(m): m for m in new if purpose(m) == "followup.invitation"}
        fresh = {email: portal_path(m) for email, m in invitations.items()}
        assert fresh[SANNE.email] != made.links[SANNE.email]
        assert respondents[sanne.pk].code in text_of(invitations[SANNE.email])

        # 3. Sanne follows the invitation; the link in the plan's email still works too.
        goto(own, made.links[SANNE.email])
        goto(own, fresh[SANNE.email])
        questions = own.locator('section[aria-labelledby="follow-up"]')
        expect(questions).to_be_visible()
        for deal in DEALS:  # her own plan, in its own words
            expect(questions).to_contain_text(deal.what)
        expect(research).to_contain_text(respondents[sanne.pk].code)
        assert_accessible(own)

        # She forgets one question: the page says which, and keeps what she chose.
        agreements = services.agreements_of(case)
        assert [a.what for a in agreements] == [deal.what for deal in DEALS]
        for agreement, deal in zip(agreements, DEALS, strict=True):
            questions.locator(
                f'input[name="agreement-{agreement.pk}"][value="{deal.outcome}"]'
            ).check()
        questions.locator('input[name="better"][value="4"]').check()
        questions.locator('input[name="recommend"][value="yes"]').check()
        questions.locator('input[name="new_conference"][value="no"]').check()
        questions.locator('textarea[name="remark"]').fill(REMARK)
        send = (
            'section[aria-labelledby="follow-up"] '
            'form:has(input[name="action"][value="follow_up"]) button[type="submit"]'
        )
        submit(own, send, status=400)
        expect(own.locator(".kring-error-summary")).to_be_visible()
        expect(own.locator("#follow_up_satisfaction_error")).to_be_visible()
        for agreement, deal in zip(agreements, DEALS, strict=True):
            expect(
                questions.locator(f'input[name="agreement-{agreement.pk}"][value="{deal.outcome}"]')
            ).to_be_checked()
        expect(questions.locator('input[name="better"][value="4"]')).to_be_checked()
        expect(questions.locator('textarea[name="remark"]')).to_have_value(REMARK)
        assert_accessible(own)
        assert Respondent.objects.get(pk=respondents[sanne.pk].pk).answered_at is None

        questions.locator('input[name="satisfaction"][value="8"]').check()
        submit(own, send)
        expect(own.locator('[role="status"]').first).to_have_text(
            in_language(
                SANNE.language,
                "Thank you for your answers. They help to learn what a conference brings about.",
            )
        )
        summary = questions.locator("dl")
        expect(summary).to_contain_text(DEALS[0].what)
        expect(summary).to_contain_text(REMARK)
        assert_accessible(own)
        answered = Respondent.objects.get(pk=respondents[sanne.pk].pk)
        assert answered.answered_via == Respondent.Via.OWN_PAGE and answered.entered_by is None
        assert (answered.better, answered.satisfaction, answered.recommend) == (4, 8, True)
        assert (answered.new_conference, answered.remark) == ("no", REMARK)
        assert dict(answered.outcomes.values_list("agreement__what", "outcome")) == {
            deal.what: deal.outcome for deal in DEALS
        }
        own.context.close()

        # Els, whose page speaks English, would rather not answer.
        other = new_page(chromium, live_server)
        pages.append(other)
        goto(other, fresh[ELS.email])
        expect(other.locator("html")).to_have_attribute("lang", ELS.language)
        expect(other.locator('section[aria-labelledby="follow-up"]')).to_be_visible()
        assert_accessible(other)
        submit(
            other,
            'section[aria-labelledby="follow-up"] '
            'form:has(input[name="action"][value="follow_up_decline"]) button[type="submit"]',
        )
        expect(other.locator('[role="status"]').first).to_have_text(
            in_language(
                ELS.language,
                "We have noted that you do not want to answer. You will receive nothing more "
                "about this.",
            )
        )
        expect(other.locator('section[aria-labelledby="follow-up"]')).to_have_count(0)
        assert_accessible(other)
        other.context.close()
        declined = Respondent.objects.get(pk=respondents[els.pk].pk)
        assert declined.declined_at is not None and declined.answered_at is None

        # 4. The researcher: everyone answered or declined, so the moment is among the
        # answered ones, at 50 %.
        researcher = new_page(chromium, live_server)
        pages.append(researcher)
        sign_in(researcher, world.researcher)
        goto(researcher, "/vervolg/?show=answered")
        code = study_id(case)
        row = researcher.locator(
            "main table tbody tr", has=researcher.locator(f'th a:text-is("{code}")')
        )
        expect(row).to_have_count(1)
        # Variant, region, months, due, respondents, answered, declined, attempts, response.
        shown = cells(row)
        assert shown[1] == world.west.name and shown[2] == "3", shown
        assert shown[4:] == ["2", "1", "1", "2", "50%"], shown
        assert_accessible(researcher)
        assert_no_private_details(researcher, case)

        # The moment's page: the respondents by code, the agreements by number.
        with researcher.expect_navigation(timeout=SLOW):
            row.locator(f'th a:text-is("{code}")').click()
        researcher.wait_for_url(f"**/vervolg/{follow_up.pk}/")
        respondents_table = researcher.locator('section[aria-labelledby="respondents"] table')
        for respondent in respondents.values():
            expect(respondents_table).to_contain_text(respondent.code)
        tallies = researcher.locator('section[aria-labelledby="agreements"] tbody tr')
        expect(tallies).to_have_count(len(DEALS))
        outcomes = list(AgreementOutcome.Outcome.values)
        for number, deal in enumerate(DEALS):
            expected = ["1" if value == deal.outcome else "0" for value in outcomes]
            assert cells(tallies.nth(number)) == expected, (deal.what, cells(tallies.nth(number)))
        assert_accessible(researcher)
        assert_no_private_details(researcher, case)

        # 5. The dashboard: the answers in the plan's execution, the case at the funnel's end.
        goto(researcher, "/onderzoek/")
        execution = researcher.locator('section[aria-labelledby="execution-heading"]')
        rows = execution.locator("table").first.locator("tbody tr")
        expect(rows).to_have_count(len(EXPECTED_OUTCOMES))
        assert [cells(rows.nth(i))[0] for i in range(len(EXPECTED_OUTCOMES))] == [
            str(EXPECTED_OUTCOMES[value]) for value in outcomes
        ]
        assert cells(execution.locator("table").first.locator("tfoot tr"))[0] == "3"
        said = execution.locator("table").nth(1).locator("tbody tr")
        assert [cells(said.nth(i))[0] for i in range(2)] == ["1", "1"]  # respondents, cases
        stages = researcher.locator('section[aria-labelledby="funnel-heading"] table tbody tr')
        expect(stages).to_have_count(len(figures.STAGES))
        # One request, and it reached every stage: the last is "follow-up answered".
        assert [cells(stages.nth(i))[0] for i in range(len(figures.STAGES))] == ["1"] * len(
            figures.STAGES
        )
        assert figures.STAGES[-1][0] == "follow_up"
        assert_accessible(researcher)
        assert_no_private_details(researcher, case)
        researcher.context.close()

    for seen in pages:
        assert seen.csp_violations == [], seen.csp_violations
