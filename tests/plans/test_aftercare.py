"""Phase 6, aftercare: the call about four weeks after the meeting, and the handover that
ends the coordinator's part — and their access — while the history keeps what they did."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import dateformat, timezone

from kring.cases.lifecycle import change_status
from kring.cases.models import Assignment, Case, CaseEvent, ConferenceQuestion, Status
from kring.circle.models import Participant
from kring.meetings.models import Meeting
from kring.plans import distribution, document, services
from kring.plans.models import AftercareCall, Plan

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
CASE_PAGES = (
    "case_detail",
    "circle",
    "meeting",
    "plan",
    "conference",
    "aftercare",
    "plan_distribution",
)
HOW = "De verlichting is gerepareerd; de jongeren komen minder vaak op het plein."


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _paper(monkeypatch):
    """The plan's PDF is not what these tests are about: a stand-in."""
    monkeypatch.setattr(document, "plan_letter_pdf", lambda *a, **k: b"%PDF-1.7 stand-in")
    monkeypatch.setattr(document, "plan_pdf", lambda *a, **k: b"%PDF-1.7 stand-in")
    monkeypatch.setattr(document, "filename", lambda version: "plan.pdf")


def url(name, case):
    return reverse(name, args=[case.reference])


def yesterday_evening():
    day = timezone.localdate() - dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, 19, 30, tzinfo=AMSTERDAM)


@pytest.fixture
def distributed(world, client):
    """The brochure's street: the meeting was yesterday, the coordinator recorded who came,
    the plan is finalised and everyone has a printed copy."""
    case = world.case
    ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?")
    ayse = Participant.objects.create(
        case=case, name="Ayse Kaya", category="resident", willingness="yes"
    )
    bram = Participant.objects.create(
        case=case, name="Bram Smit", category="resident", willingness="yes"
    )
    start = yesterday_evening()
    meeting = Meeting.objects.create(case=case, starts_at=start, ends_at=start.replace(hour=22))
    Case.objects.filter(pk=case.pk).update(status=Status.SCHEDULED)
    client.force_login(world.coordinator)
    data = {"version": meeting.version, "professionals_leave": "on"}
    for person in (ayse, bram):
        for part in ("information", "private_time", "plan"):
            data[f"p{person.pk}_{part}"] = "on"
    assert client.post(url("conference", case), data).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.HELD
    plan = services.plan_for(case)
    services.add_item(
        plan,
        "agreement",
        {
            "what": "Ayse belt de woningcorporatie over de kapotte lantaarnpalen.",
            "who": [ayse],
            "when": "date",
            "on": timezone.localdate() + dt.timedelta(days=7),
        },
        user=world.coordinator,
    )
    services.finalise(plan, user=world.coordinator, version=None)
    for person in distribution.recipients(plan):
        distribution.letter(plan, person, user=world.coordinator)
        distribution.posted(plan, person, user=world.coordinator)
    case.refresh_from_db()
    change_status(case, Status.PLAN_DISTRIBUTED, user=world.coordinator)
    return case


def four_weeks_later():
    """The evening before the call is due: 27 days after the meeting, at the same local hour,
    whatever the hour the test runs (a fixed offset from now crosses local midnight when the
    test runs between 23:00 and midnight in Amsterdam)."""
    return time_machine.travel(yesterday_evening() + dt.timedelta(days=27), tick=False)


@pytest.mark.django_db
def test_the_page_shows_when_the_call_is_due_and_the_plan(world, client, distributed):
    response = client.get(url("aftercare", distributed))
    assert response.status_code == 200
    due = timezone.localdate(yesterday_evening()) + dt.timedelta(days=28)
    assert response.context["due"] == due == services.aftercare_due(distributed)
    assert dateformat.format(due, "l j F Y") in response.text
    assert "Version 1, finalised on" in response.text
    assert "Ayse belt de woningcorporatie over de kapotte lantaarnpalen." in response.text
    assert reverse("plan_pdf", args=[distributed.reference, 1]) in response.text
    # The form: the date of the call (today by default) and how it is going.
    assert f'value="{timezone.localdate().isoformat()}"' in response.text
    assert "About the plan: what works and what does not. Nothing else about people." in (
        response.text
    )
    assert response.context["overdue"] is False
    with four_weeks_later():
        client.force_login(world.coordinator)
        assert client.get(url("aftercare", distributed)).context["overdue"] is False
    with time_machine.travel(timezone.now() + dt.timedelta(days=40), tick=False):
        client.force_login(world.coordinator)
        late = client.get(url("aftercare", distributed))
        assert late.context["overdue"] is True and "overdue" in late.text


@pytest.mark.django_db
def test_the_call_hands_the_case_over_and_the_coordinators_access_ends(world, client, distributed):
    for name in CASE_PAGES:
        assert client.get(url(name, distributed)).status_code == 200, name
    with four_weeks_later():
        client.force_login(world.coordinator)
        today = timezone.localdate()
        response = client.post(
            url("aftercare", distributed),
            {"on": today.isoformat(), "how_it_goes": HOW, "confirmed": "yes"},
        )
        assert response["Location"] == reverse("start")
        start = client.get(reverse("start"))
        assert (
            "The aftercare call is recorded and the case is handed over. Thank you: your part "
            "in this case has ended." in start.text
        )
        assert distributed.reference not in start.text

        case = Case.objects.get(pk=distributed.pk)
        assert case.status == Status.FOLLOW_UP
        call = AftercareCall.objects.get(case=case)
        assert (call.on, call.how_it_goes, call.recorded_by) == (today, HOW, world.coordinator)
        assignment = Assignment.objects.get(case=case, coordinator=world.coordinator)
        assert assignment.state == Assignment.State.ENDED
        assert assignment.ended_at is not None

        # Gone from their list, and every page of the case answers 404.
        cases = client.get(reverse("case_list"))
        assert cases.status_code == 200 and distributed.reference not in cases.text
        for name in CASE_PAGES:
            assert client.get(url(name, case)).status_code == 404, name
        assert (
            client.post(url("aftercare", case), {"on": today, "how_it_goes": "x"}).status_code
            == 404
        )

        # The manager still has the case, with the call and the coordinator's history.
        client.force_login(world.manager)
        assert distributed.reference in client.get(reverse("case_list")).text
        detail = client.get(url("case_detail", case))
        assert detail.status_code == 200
        assert "Fatima El Amrani" in detail.text
        page = client.get(url("aftercare", case))
        assert page.status_code == 200 and HOW in page.text
        assert 'action="{}"'.format(url("aftercare", case)) not in page.text

    by_coordinator = {
        (e.action, e.to_status)
        for e in CaseEvent.objects.filter(case=distributed, actor=world.coordinator)
    }
    assert {
        ("meeting.attendance", ""),
        ("status.changed", "held"),
        ("plan.finalised", ""),
        ("plan.letter", ""),
        ("status.changed", "plan_distributed"),
        ("status.changed", "aftercare"),
        ("status.changed", "follow_up"),
    } <= by_coordinator


@pytest.mark.django_db
def test_a_manager_who_records_the_call_stays_on_the_case(world, client, distributed):
    with four_weeks_later():
        client.force_login(world.manager)
        response = client.post(
            url("aftercare", distributed),
            {"on": timezone.localdate().isoformat(), "how_it_goes": HOW, "confirmed": "yes"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == url("aftercare", distributed)
        assert "handed over to the follow-up" in response.text
        assert HOW in response.text
        client.force_login(world.coordinator)
        assert client.get(url("case_detail", distributed)).status_code == 404
    assert Case.objects.get(pk=distributed.pk).status == Status.FOLLOW_UP


@pytest.mark.django_db
def test_the_call_is_refused_with_the_input_kept(world, client, distributed):
    aftercare = url("aftercare", distributed)
    with four_weeks_later():
        client.force_login(world.coordinator)
        today = timezone.localdate()
        future = client.post(
            aftercare, {"on": (today + dt.timedelta(days=1)).isoformat(), "how_it_goes": HOW}
        )
        assert future.status_code == 409
        assert "The call cannot be in the future." in future.text and HOW in future.text
        empty = client.post(aftercare, {"on": today.isoformat(), "how_it_goes": "   "})
        assert empty.status_code == 409
        assert "Write down how it is going." in empty.text
        assert f'value="{today.isoformat()}"' in empty.text
        before = client.post(aftercare, {"on": "2001-01-01", "how_it_goes": HOW})
        assert before.status_code == 409
        assert "The call comes after the plan was made." in before.text
        unreadable = client.post(aftercare, {"on": "volgende week", "how_it_goes": HOW})
        assert unreadable.status_code == 400 and HOW in unreadable.text
    assert not AftercareCall.objects.exists()
    assert Case.objects.get(pk=distributed.pk).status == Status.PLAN_DISTRIBUTED
    assert Assignment.objects.get(case=distributed).state == Assignment.State.ACCEPTED


@pytest.mark.django_db
def test_no_call_before_everyone_has_the_plan(world, client):
    case = world.case
    Case.objects.filter(pk=case.pk).update(status=Status.HELD)
    Plan.objects.create(case=case)
    client.force_login(world.coordinator)
    page = client.get(url("aftercare", case))
    assert page.status_code == 200
    assert "The aftercare call follows once everyone has the plan." in page.text
    assert page.context["due"] is None
    response = client.post(
        url("aftercare", case), {"on": timezone.localdate().isoformat(), "how_it_goes": HOW}
    )
    assert response.status_code == 409
    assert HOW in response.text
    assert Case.objects.get(pk=case.pk).status == Status.HELD
    for user in (world.other_coordinator, world.other_manager, world.researcher):
        client.force_login(user)
        assert client.get(url("aftercare", case)).status_code == 404


@pytest.mark.django_db
def test_recording_the_call_first_asks_for_confirmation(world, client, distributed):
    aftercare = url("aftercare", distributed)
    with four_weeks_later():
        client.force_login(world.coordinator)
        today = timezone.localdate().isoformat()
        asked = client.post(aftercare, {"on": today, "how_it_goes": HOW})
        assert asked.status_code == 200
        assert "Your part as coordinator, and your access to this case, end." in asked.text
        assert "This cannot be undone." in asked.text
        assert 'name="confirmed" value="yes"' in asked.text and HOW in asked.text
        assert not AftercareCall.objects.exists()
        assert Case.objects.get(pk=distributed.pk).status == Status.PLAN_DISTRIBUTED
        done = client.post(aftercare, {"on": today, "how_it_goes": HOW, "confirmed": "yes"})
        assert done.status_code == 302
    assert Case.objects.get(pk=distributed.pk).status == Status.FOLLOW_UP


@pytest.mark.django_db
def test_an_early_call_needs_a_reason_which_the_history_keeps(world, client, distributed):
    aftercare = url("aftercare", distributed)
    today = timezone.localdate().isoformat()  # the day after the meeting
    early = client.post(aftercare, {"on": today, "how_it_goes": HOW, "confirmed": "yes"})
    assert early.status_code == 409
    assert "This is early: the aftercare call comes at least 14 days after the meeting" in (
        early.text
    )
    assert not AftercareCall.objects.exists()
    reason = "De familie verhuist volgende week naar het buitenland."
    data = {"on": today, "how_it_goes": HOW, "early_reason": reason, "confirmed": "yes"}
    assert client.post(aftercare, data).status_code == 302
    assert AftercareCall.objects.filter(case=distributed).exists()
    event = CaseEvent.objects.get(case=distributed, action="aftercare.early")
    assert event.reason == reason and event.actor == world.coordinator
