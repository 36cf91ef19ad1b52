"""Issue 14 point 5: start pages show what is due — the coordinator's aftercare calls and
meetings of the coming week, the manager's time norms per case — and a daily email per staff
member of what fell due (opt-out on their profile), sent by the worker once a day."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kring.accounts.models import User
from kring.cases import tally
from kring.cases.models import Case, Status
from kring.cases.norms import over_norm
from kring.meetings.models import Meeting
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.plans.models import Plan, PlanVersion
from kring.work import due
from tests.factories import case_in_status


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    settings.LANGUAGE_CODE = "en"


def _meeting(case, days):
    start = timezone.now() + dt.timedelta(days=days)
    return Meeting.objects.create(case=case, starts_at=start, ends_at=start + dt.timedelta(hours=3))


@pytest.fixture
def aftercare_case(world):
    """A case whose meeting was 30 days ago and whose plan everyone has: the call is due."""
    case = case_in_status(
        Status.PLAN_DISTRIBUTED, coordinator=world.coordinator, region=world.west, place="Pleinhof"
    )
    _meeting(case, -30)
    plan = Plan.objects.create(case=case, outcome=Plan.Outcome.ACCEPTED)
    PlanVersion.objects.create(plan=plan, number=1, content={}, finalised_by=world.coordinator)
    return case


@pytest.fixture
def late_case(world):
    case = case_in_status(Status.REQUESTED, region=world.west, place="Laat plein")
    Case.objects.filter(pk=case.pk).update(requested_at=timezone.now() - dt.timedelta(days=30))
    case.refresh_from_db()
    return case


@pytest.mark.django_db
def test_the_coordinators_start_page_lists_aftercare_due_and_meetings_this_week(
    world, client, aftercare_case
):
    Case.objects.filter(pk=world.case.pk).update(status=Status.SCHEDULED)
    _meeting(world.case, 3)
    later = case_in_status(Status.SCHEDULED, coordinator=world.coordinator, region=world.west)
    _meeting(later, 20)
    client.force_login(world.coordinator)
    page = client.get(reverse("start"))
    assert page.status_code == 200
    assert [item.case for item in page.context["aftercare_due"]] == [aftercare_case]
    assert page.context["aftercare_due"][0].overdue
    assert reverse("aftercare", args=[aftercare_case.reference]) in page.text
    assert [m.case for m in page.context["meetings_this_week"]] == [world.case]
    assert reverse("meeting", args=[world.case.reference]) in page.text
    assert reverse("meeting", args=[later.reference]) not in page.text


@pytest.mark.django_db
def test_the_managers_start_page_shows_the_time_norm_per_case(world, client, late_case):
    fresh = case_in_status(Status.REQUESTED, region=world.west)
    client.force_login(world.manager)
    page = client.get(reverse("start"))
    norms = {item.case: item.norm for item in page.context["manager_norms"]}
    assert set(norms) == {late_case, fresh}
    assert norms[late_case].late and not norms[fresh].late
    assert "Time norms" in page.text and "working days late" in page.text
    client.force_login(world.other_manager)
    assert client.get(reverse("start")).context["manager_norms"] == []


@pytest.mark.django_db
def test_the_daily_email_goes_once_a_day_through_the_outbox(world, smtp, aftercare_case, late_case):
    now = timezone.now()
    assert due.send_digests(now) == 2  # the coordinator and the manager; others have nothing
    assert due.send_digests(now) == 0  # claimed for today
    digests = OutboxMessage.objects.filter(purpose="staff.digest")
    assert sorted(m.to_addresses[0] for m in digests) == [
        world.coordinator.email,
        world.manager.email,
    ]
    outbox.sweep()
    by_address = {m["To"]: m.get_body(("plain",)).get_content() for m in smtp.messages}
    coordinator = by_address[world.coordinator.email]
    assert "Aftercare calls due" in coordinator and aftercare_case.reference in coordinator
    assert reverse("aftercare", args=[aftercare_case.reference]) in coordinator
    manager = by_address[world.manager.email]
    assert "Cases at or over their time norm" in manager and late_case.reference in manager
    assert reverse("digest_setting") in manager
    # The next day it comes again; who opted out gets none.
    User.objects.filter(pk=world.manager.pk).update(daily_digest=False)
    assert due.send_digests(now + dt.timedelta(days=1)) == 1
    assert OutboxMessage.objects.filter(purpose="staff.digest").count() == 3


@pytest.mark.django_db
def test_a_staff_member_turns_the_daily_email_off_on_their_profile(world, client):
    for user in (world.researcher, world.coordinator):
        client.force_login(user)
        page = client.get(reverse("digest_setting"))
        assert page.status_code == 200 and 'name="daily_digest"' in page.text
        assert client.post(reverse("digest_setting"), {}).status_code == 302
        assert User.objects.get(pk=user.pk).daily_digest is False
        client.post(reverse("digest_setting"), {"daily_digest": "on"})
        assert User.objects.get(pk=user.pk).daily_digest is True
    assert reverse("digest_setting") in client.get(reverse("coordinator_profile")).text


def _waiting_since(case, days_ago: int, field: str) -> None:
    Case.objects.filter(pk=case.pk).update(**{field: timezone.now() - dt.timedelta(days=days_ago)})


@pytest.mark.django_db
def test_the_start_page_lists_the_earliest_norms_and_says_how_many_there_are(world, client):
    """Issue 18: the list is cut in the database, not after reading every waiting case; the
    cut list is the start of the whole one (both kinds of wait merged, the earliest due first,
    waits that began on a weekend falling due on the same day as the Friday's)."""
    for days_ago in range(20):
        waiting = case_in_status(Status.REQUESTED, region=world.west)
        _waiting_since(waiting, days_ago * 2 + 1, "requested_at")
        accepted = case_in_status(Status.ACCEPTED, region=world.west)
        _waiting_since(accepted, days_ago * 3, "status_changed_at")
        if days_ago % 4 == 0:  # an intake without its date still waits for the intake
            undated = case_in_status(Status.INTAKE, region=world.west)
            _waiting_since(undated, days_ago * 2 + 2, "requested_at")
    case_in_status(Status.INTAKE, region=world.west, intake_on=timezone.localdate())  # no norm
    case_in_status(Status.REQUESTED, region=world.zuid)  # another manager's
    tally.compact()
    today = timezone.localdate()
    whole = due.norms(world.manager, today)
    assert len(whole) == 45 == due.norms_count(world.manager)
    assert {item.case.status for item in whole} == {"requested", "intake", "accepted"}
    for limit in (1, 7, 15, 39, 44):
        assert due.norms(world.manager, today, limit=limit) == whole[:limit]
    keys = [(item.norm.due, item.norm.started, item.case.pk) for item in whole]
    assert keys == sorted(keys)
    client.force_login(world.manager)
    page = client.get(reverse("start"))
    assert page.context["manager_norms"] == whole[:15]
    assert page.text.count("The earliest 15 of 45 cases.") == 1
    late = Case.objects.filter(region=world.west).filter(over_norm(today)).count()
    assert page.context["manager_late_count"] == late > 0


@pytest.mark.django_db
def test_the_start_page_lists_the_earliest_aftercare_calls_and_says_how_many(world, client):
    for days_ago in range(18):
        case = case_in_status(
            Status.PLAN_DISTRIBUTED, coordinator=world.coordinator, region=world.west
        )
        _meeting(case, -(30 + days_ago))
    not_yet = case_in_status(
        Status.PLAN_DISTRIBUTED, coordinator=world.coordinator, region=world.west
    )
    _meeting(not_yet, -5)  # falls due in three weeks: not in the list
    today = timezone.localdate()
    whole = due.aftercare_due(world.coordinator, today)
    assert len(whole) == 18 == due.aftercare_due_count(world.coordinator, today)
    assert not_yet not in [item.case for item in whole]
    assert [item.due for item in whole] == sorted(item.due for item in whole)
    assert due.aftercare_due(world.coordinator, today, limit=15) == whole[:15]
    client.force_login(world.coordinator)
    page = client.get(reverse("start"))
    assert page.context["aftercare_due"] == whole[:15]
    assert page.text.count("The earliest 15 of 18 calls.") == 1


@pytest.mark.django_db
def test_the_coordinators_start_page_lists_their_requests_and_cases_once_each(world, client):
    """What the coordinator is asked for and what they coordinate, each case once (another
    coordinator's assignment beside theirs does not repeat it); not a case they declined, one
    whose role ended, nor one offered to someone else."""
    mine = world.coordinator
    offered = case_in_status(Status.COORDINATOR_ASSIGNED, coordinator=mine, place="Gevraagd")
    shared = case_in_status(Status.SCHEDULED, coordinator=mine, place="Gedeeld")
    shared.assignments.create(coordinator=world.other_coordinator, state="accepted")
    ended = case_in_status(Status.CLOSED, coordinator=mine, place="Afgerond")
    declined = case_in_status(Status.COORDINATOR_ASSIGNED, place="Afgewezen")
    declined.assignments.create(coordinator=mine, state="declined")
    elsewhere = case_in_status(
        Status.COORDINATOR_ASSIGNED, coordinator=world.other_coordinator, place="Elders"
    )
    client.force_login(mine)
    page = client.get(reverse("start")).text
    asked, coordinating = page.split('id="coordinating"')
    assert offered.reference in asked and offered.reference not in coordinating
    row = f">{shared.reference}</a>"  # the row's link (the address holds the reference too)
    assert asked.count(row) == 0 and coordinating.count(row) == 1
    assert world.case.reference in coordinating
    for absent in (ended, declined, elsewhere):
        assert absent.reference not in page
