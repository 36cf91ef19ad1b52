"""The own page shows what fits the phase of the case — before the meeting, once its date is
set, after it, after the end — and refuses the forms of another phase (409, nothing changed).
The scheduled meeting can be added to a calendar from the own page (.ics)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from kring.audit.models import AccessLog
from kring.cases.models import Case, Status
from kring.circle import links
from kring.circle.models import Participant
from kring.circle.portal import Phase, phase_of
from kring.followup import services as follow_up_services
from kring.meetings.models import DateAnswer, DateOption, Meeting
from tests.factories import DUE, ready_for_follow_up

# Each section of the own page, by the id of its heading, with its English heading.
SECTIONS = {
    "take-part": "Will you take part?",
    "dates": "Which dates suit you?",
    "needs": "What do you need to be able to come?",
    "suggest": "Who else should be there?",
    "view": "Can you not come?",
    "the-plan": "The plan",
    "follow-up": "How did the plan go?",
    "research": "Research",
    "about-conference": "What is an Eigen Kracht-conferentie?",
}
WHEN = "When and where"


def shown(html: str) -> set[str]:
    return {key for key in SECTIONS if f'id="{key}"' in html}


def person(case: Case, name: str = "Jan de Vries", **fields: Any) -> Participant:
    defaults = {"category": "resident", "email": "jan@voorbeeld.test", "language": "en"}
    return Participant.objects.create(case=case, name=name, **{**defaults, **fields})


def set_status(case: Case, status: str) -> None:
    Case.objects.filter(pk=case.pk).update(status=status)
    case.status = status


def scheduled(case: Case) -> Meeting:
    start = timezone.now() + dt.timedelta(days=14)
    set_status(case, Status.SCHEDULED)
    return Meeting.objects.create(
        case=case,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        venue_name="Buurthuis De Pijp",
        venue_address="Molenstraat 12, Amsterdam",
    )


def state(participant: Participant) -> dict[str, Any]:
    """What the forms on the own page could change."""
    row = Participant.objects.values().get(pk=participant.pk)
    return {
        "participant": {k: v for k, v in row.items() if k != "updated_at"},
        "people": Participant.objects.filter(case_id=participant.case_id).count(),
        "answers": DateAnswer.objects.filter(participant=participant).count(),
    }


OUT_OF_PHASE_POSTS = {
    "willingness": {"action": "willingness", "willingness": "no"},
    "needs": {"action": "needs", "interpreter": "ar", "diet": "vegan", "childcare": "on"},
    "suggest": {"action": "suggest", "name": "Oma Vries", "category": "family"},
    "view": {"action": "view", "written_view": "Ik wil dat het stopt."},
    "endorse": {"action": "endorse"},
    "follow_up": {"action": "follow_up", "version": "1"},
    "follow_up_decline": {"action": "follow_up_decline"},
}


def assert_refused(client: Any, url: str, participant: Participant, actions: list[str]) -> None:
    for action in actions:
        before = state(participant)
        response = client.post(url, OUT_OF_PHASE_POSTS[action])
        assert response.status_code == 409, action
        assert "no longer possible at this stage of the conference" in response.text, action
        assert state(participant) == before, action


@pytest.mark.parametrize(
    ("status", "phase"),
    [
        (Status.ACCEPTED, Phase.BEFORE_MEETING),
        (Status.COORDINATOR_ASSIGNED, Phase.BEFORE_MEETING),
        (Status.PREPARATION, Phase.BEFORE_MEETING),
        (Status.SCHEDULED, Phase.MEETING_SET),
        (Status.HELD, Phase.AFTER_MEETING),
        (Status.PLAN_WITHOUT_MEETING, Phase.AFTER_MEETING),
        (Status.PLAN_DISTRIBUTED, Phase.AFTER_MEETING),
        (Status.AFTERCARE, Phase.AFTER_MEETING),
        (Status.FOLLOW_UP, Phase.AFTER_MEETING),
        (Status.STOPPED, Phase.ENDED),
        (Status.WITHDRAWN, Phase.ENDED),
        (Status.CLOSED, Phase.ENDED),
    ],
)
def test_every_status_has_its_phase(status, phase):
    assert phase_of(Case(status=status)) == phase


@pytest.mark.django_db
def test_before_the_meeting_the_page_prepares(world, client):
    start = timezone.now() + dt.timedelta(days=20)
    DateOption.objects.create(
        case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )
    jan = person(world.case)
    token = links.issue(jan)
    html = client.get(reverse("portal", args=[token])).text
    assert shown(html) == {
        "take-part",
        "dates",
        "needs",
        "suggest",
        "view",
        "research",
        "about-conference",
    }
    for key in shown(html):
        assert SECTIONS[key] in html
    assert WHEN not in html and "agenda.ics" not in html
    assert client.get(reverse("portal_calendar", args=[token])).status_code == 404
    assert_refused(client, reverse("portal", args=[token]), jan, ["endorse", "follow_up"])


@pytest.mark.django_db
def test_once_the_date_is_set_the_page_gives_date_place_and_calendar(world, client):
    meeting = scheduled(world.case)
    starts_at, ends_at = meeting.starts_at, meeting.ends_at
    assert starts_at is not None and ends_at is not None
    DateOption.objects.create(case=world.case, starts_at=starts_at, ends_at=ends_at)
    jan = person(world.case, willingness="yes")
    token = links.issue(jan)
    url = reverse("portal", args=[token])
    html = client.get(url).text
    assert shown(html) == {"take-part", "needs", "view", "research", "about-conference"}
    assert WHEN in html and "Buurthuis De Pijp, Molenstraat 12, Amsterdam" in html
    calendar_url = reverse("portal_calendar", args=[token])
    assert f'href="{calendar_url}"' in html

    # Suggesting someone or answering the poll is over: refused, nothing changes.
    assert_refused(client, url, jan, ["suggest", "endorse", "follow_up"])
    option = DateOption.objects.get()
    before = state(jan)
    refused = client.post(url, {"action": "dates", f"option-{option.pk}": "yes"})
    assert refused.status_code == 409 and state(jan) == before
    # What still fits is accepted.
    needs = {"action": "needs", "interpreter": "ar", "diet": "vegan", "accessibility": ""}
    needs["version"] = str(Participant.objects.get(pk=jan.pk).version)
    assert client.post(url, needs).status_code == 302
    assert Participant.objects.get(pk=jan.pk).interpreter == "ar"

    # The calendar event: the meeting's UID and current SEQUENCE; the download is logged.
    Meeting.objects.filter(pk=meeting.pk).update(sequence=2)
    response = client.get(calendar_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == meeting.uid and event["SEQUENCE"] == 2
    assert event.decoded("DTSTART") == starts_at.replace(microsecond=0)
    assert "Buurthuis De Pijp" in str(event["LOCATION"])
    log = AccessLog.objects.get(object_type="meeting_calendar")
    assert (log.action, log.case_reference, log.person_id) == (
        "download",
        world.case.reference,
        str(jan.pk),
    )
    assert client.post(calendar_url).status_code == 405

    # A cancelled date: no event.
    Meeting.objects.filter(pk=meeting.pk).update(cancelled_at=timezone.now())
    assert client.get(calendar_url).status_code == 404


@pytest.mark.django_db
def test_after_the_meeting_the_page_gives_the_plan_and_the_follow_up(world, client):
    made = ready_for_follow_up(world)
    follow_up_services.open_due(DUE)
    anna = made.people["anna"]  # consent given: the questions are waiting
    Participant.objects.filter(pk=anna.pk).update(language="en")
    anna.refresh_from_db()
    url = reverse("portal", args=[links.issue(anna)])
    html = client.get(url).text
    assert shown(html) == {"the-plan", "follow-up", "research"}
    assert WHEN not in html and "agenda.ics" not in html
    for gone in ("Will you take part?", "What do you need", "Who else should be", "Can you not"):
        assert gone not in html
    assert_refused(client, url, anna, ["willingness", "needs", "suggest", "view"])

    # In the follow-up the plan can still be read.
    set_status(made.case, Status.FOLLOW_UP)
    html = client.get(url).text
    assert "the-plan" in shown(html) and "take-part" not in shown(html)


@pytest.mark.django_db
def test_who_said_no_sees_only_that_in_every_phase(world, client):
    made = ready_for_follow_up(world)
    frank = made.people["frank"]  # said no to taking part
    url = reverse("portal", args=[links.issue(frank)])
    for status in (Status.PREPARATION, Status.SCHEDULED, Status.PLAN_DISTRIBUTED):
        set_status(made.case, status)
        html = client.get(url).text
        assert shown(html) <= {"take-part", "about-conference"}, status
        assert "take-part" in shown(html)
        assert "You said you do not take part." in html
        assert_refused(client, url, frank, ["needs", "suggest", "view", "follow_up"])


@pytest.mark.django_db
def test_each_phase_reads_only_what_its_sections_show(world, client):
    """Before the meeting no research moment can be open: the page does not look one up. Once
    the date is set nobody is suggested any more: the suggested names are not read either.
    After the meeting the research moment is looked up (it is shown there)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    jan = person(world.case)
    url = reverse("portal", args=[links.issue(jan)])

    def tables() -> str:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return " ".join(q["sql"] for q in queries.captured_queries)

    before = tables()
    assert "followup_respondent" not in before
    suggested = '"suggested_by_id" = '  # the names this person suggested
    assert suggested in before  # the suggest section shows them
    scheduled(world.case)
    meeting_set = tables()
    assert "followup_respondent" not in meeting_set
    assert suggested not in meeting_set
    set_status(world.case, Status.PLAN_DISTRIBUTED)
    assert "followup_respondent" in tables()
