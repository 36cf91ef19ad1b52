"""Issue 18: the cases per area and status without counting the cases. Database triggers
record each change; the counts must equal a GROUP BY over the cases whichever way the cases
were written, before and after the worker folds the changes."""

import random
from collections import Counter

import pytest
from django.urls import reverse

from kring.accounts.models import Region
from kring.cases import tally
from kring.cases.lifecycle import change_status
from kring.cases.models import Case, Status, StatusCount
from kring.work import views
from tests.factories import case_in_status

pytestmark = pytest.mark.django_db


def counted_directly() -> dict[tuple[int, str], int]:
    return dict(Counter((case.region_id or 0, case.status) for case in Case.objects.all()))


def counted_by_tally() -> dict[tuple[int, str], int]:
    areas = [0, *Region.objects.values_list("pk", flat=True)]
    found = {}
    for area in areas:
        for status, n in tally.counts([area]).items():
            found[area, status] = n
    return found


def test_every_way_of_writing_a_case_keeps_the_counts(world):
    rng = random.Random(18)
    regions = [world.west, world.zuid, None]
    made = [
        case_in_status(rng.choice(Status.values), region=rng.choice(regions)) for _ in range(30)
    ]
    assert counted_by_tally() == counted_directly()
    # Moved through the lifecycle, by a raw UPDATE of many at once, to another region, deleted.
    change_status(
        case_in_status(Status.REQUESTED, region=world.west), Status.INTAKE, user=world.manager
    )
    Case.objects.filter(pk__in=[c.pk for c in made[:10]]).update(status=Status.CLOSED)
    Case.objects.filter(pk__in=[c.pk for c in made[10:15]]).update(region=world.zuid)
    Case.objects.filter(pk__in=[c.pk for c in made[15:18]]).update(region=None)
    moved = made[20]
    moved.status, moved.region = Status.PREPARATION, world.west
    moved.save()
    Case.objects.filter(pk__in=[c.pk for c in made[25:]]).delete()
    assert counted_by_tally() == counted_directly()
    rows = StatusCount.objects.count()
    assert tally.compact() == rows
    assert StatusCount.objects.count() == len(counted_directly()) < rows
    assert counted_by_tally() == counted_directly()
    # A save that moves nothing records nothing.
    world.case.refresh_from_db()
    world.case.place = "Ergens anders"
    world.case.save()
    assert StatusCount.objects.count() == len(counted_directly())


def test_no_case_no_count(world):
    case_in_status(Status.REQUESTED, region=world.west)
    Case.objects.all().delete()
    assert tally.counts([0, world.west.pk, world.zuid.pk]) == {}


def test_the_worker_folds_the_counts_every_round(world):
    from kring.core.periodic import registered

    assert "cases.tally" in {job.name for job in registered()}


def test_the_start_page_shows_the_counted_statuses_and_waiting_cases(world, client):
    for status in (Status.REQUESTED, Status.REQUESTED, Status.ACCEPTED, Status.CLOSED):
        case_in_status(status, region=world.west)
    case_in_status(Status.REQUESTED, region=world.zuid)  # another manager's region
    tally.compact()
    client.force_login(world.manager)
    response = client.get(reverse("start"), HTTP_ACCEPT_LANGUAGE="en")
    mine = Case.objects.filter(region=world.west)
    expected = Counter(mine.values_list("status", flat=True))
    assert dict(response.context["manager_by_status"]) == {
        str(Status(s).label): n for s, n in expected.items()
    }
    waiting = mine.filter(status__in=[Status.REQUESTED, Status.INTAKE, Status.ACCEPTED])
    assert response.context["manager_action_count"] == waiting.count()
    assert [c.pk for c in response.context["manager_action"]] == list(
        waiting.order_by("status_changed_at", "pk").values_list("pk", flat=True)
    )[: views.START_LIMIT]
