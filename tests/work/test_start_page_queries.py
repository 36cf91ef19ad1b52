"""The start page `/werk/` and the case list ask as many queries at two sizes of generated
data (issue 18, point 5): the coordinator's list of aftercare calls due read a meeting and a
plan version per case (an N+1 that grew 23 → 113 queries from 1,000 to 10,000 cases)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.cases.access import coordinated_cases
from kring.cases.models import Status
from kring.demo import generator, personas
from kring.meetings.models import Meeting
from kring.plans.models import AftercareCall
from tests.factories import case_in_status

pytestmark = pytest.mark.django_db

PAGES = ("start", "case_list")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _counts(client, users) -> dict[tuple[str, str], int]:
    found = {}
    for key, user in users.items():
        client.force_login(user)
        client.get("/")  # the first request of a session sets it up
        for page in PAGES:
            found[key, page] = _queries(client, reverse(page))
    return found


def _aftercare_waiting(user) -> int:
    return (
        coordinated_cases(user)
        .filter(status__in=[Status.PLAN_DISTRIBUTED, Status.AFTERCARE])
        .exclude(pk__in=AftercareCall.objects.values("case_id"))
        .count()
    )


def _after_the_meeting(coordinator, region, count: int) -> None:
    """Cases whose aftercare call is waiting: half with a meeting, half without (their date
    then comes from the plan, or there is none)."""
    for i in range(count):
        case = case_in_status(Status.PLAN_DISTRIBUTED, coordinator=coordinator, region=region)
        if i % 2:
            Meeting.objects.create(case=case, starts_at=timezone.now() - dt.timedelta(days=20))


def test_the_start_page_and_case_list_ask_as_many_queries_for_more_cases(client):
    regions = personas.ensure_reference_data()
    staff = personas.ensure_staff(regions)
    users = {key: staff[key] for key in ("manager", "coordinator")}
    for user in users.values():
        # Staff pages ask for a second factor first (a secret of each user's own).
        TOTP.activate(user, base64.b32encode(secrets.token_bytes(20)).decode())
    list(generator.generate(80, seed=7))
    west = regions["west"]
    case_in_status(Status.COORDINATOR_ASSIGNED, coordinator=users["coordinator"], region=west)
    _after_the_meeting(users["coordinator"], west, 2)
    coordinator = coordinated_cases(users["coordinator"])
    # Every list of the page has something at the smaller size already (an empty list skips
    # its prefetch): asked to coordinate, coordinating, aftercare calls waiting.
    assert coordinator.filter(status=Status.COORDINATOR_ASSIGNED).exists()
    assert coordinator.exclude(status=Status.COORDINATOR_ASSIGNED).exists()
    small = _counts(client, users)
    waiting_small = _aftercare_waiting(users["coordinator"])
    assert waiting_small > 0
    list(generator.generate(200, seed=8))
    _after_the_meeting(users["coordinator"], regions["west"], 20)
    # The lists that asked per case hold more cases now.
    assert _aftercare_waiting(users["coordinator"]) > waiting_small
    assert _counts(client, users) == small
