"""Time norms in Dutch working days."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from kring.cases.models import Case, Status
from kring.cases.norms import (
    add_working_days,
    easter_sunday,
    is_working_day,
    norm_for,
    over_norm,
    over_norm_pieces,
    public_holidays,
    working_days_between,
)
from tests.factories import case_in_status

D = dt.date
AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


def test_easter_and_the_public_holidays():
    assert [easter_sunday(y) for y in (2024, 2025, 2026, 2027)] == [
        D(2024, 3, 31),
        D(2025, 4, 20),
        D(2026, 4, 5),
        D(2027, 3, 28),
    ]
    holidays = public_holidays(2026)
    assert D(2026, 4, 6) in holidays  # Easter Monday
    assert D(2026, 4, 27) in holidays  # King's Day
    assert D(2026, 5, 14) in holidays  # Ascension
    assert D(2026, 5, 25) in holidays  # Whit Monday
    assert D(2025, 4, 26) in public_holidays(2025)  # King's Day on a Sunday moves to Saturday
    assert not is_working_day(D(2026, 12, 25)) and not is_working_day(D(2026, 11, 28))
    assert is_working_day(D(2026, 11, 30))


def test_counting_working_days():
    friday = D(2026, 11, 27)
    assert working_days_between(friday, D(2026, 11, 30)) == 1  # the weekend does not count
    assert add_working_days(friday, 1) == D(2026, 11, 30)
    assert add_working_days(D(2026, 12, 23), 2) == D(2026, 12, 28)  # over Christmas
    assert working_days_between(D(2026, 12, 1), D(2026, 11, 1)) == 0


@pytest.mark.django_db
def test_the_intake_norm_and_the_assignment_norm(world, settings):
    settings.KRING_NORM_INTAKE_DAYS = 5
    settings.KRING_NORM_ASSIGNMENT_DAYS = 2
    monday = dt.datetime(2026, 11, 16, 10, 0, tzinfo=AMSTERDAM)
    case = case_in_status(Status.REQUESTED, region=world.west, requested_at=monday)
    norm = norm_for(case, today=D(2026, 11, 23))
    assert norm is not None and norm.due == D(2026, 11, 23) and not norm.late
    norm = norm_for(case, today=D(2026, 11, 25))
    assert norm is not None and norm.late and norm.days_late == 2
    case.status, case.status_changed_at = Status.ACCEPTED, monday
    norm = norm_for(case, today=D(2026, 11, 19))
    assert norm is not None and norm.due == D(2026, 11, 18) and norm.days_late == 1
    case.status = Status.PREPARATION
    assert norm_for(case) is None


@pytest.mark.django_db
def test_the_filter_agrees_with_the_per_case_norm_every_day(world):
    start = dt.datetime(2026, 12, 18, 9, 0, tzinfo=AMSTERDAM)  # before Christmas
    cases = []
    for offset in range(0, 20):
        at = start + dt.timedelta(days=offset)
        cases.append(case_in_status(Status.REQUESTED, region=world.west, requested_at=at))
        accepted = case_in_status(Status.ACCEPTED, region=world.west)
        Case.objects.filter(pk=accepted.pk).update(status_changed_at=at)
        accepted.refresh_from_db()
        cases.append(accepted)
        cases.append(case_in_status(Status.INTAKE, region=world.west, requested_at=at))
    for day in range(0, 30):
        today = D(2026, 12, 18) + dt.timedelta(days=day)
        late = set(Case.objects.filter(over_norm(today)).values_list("pk", flat=True))
        # The pieces the start page counts apart are the filter, without overlap.
        pieces = [Case.objects.filter(piece).count() for piece in over_norm_pieces(today)]
        assert sum(pieces) == len(late), today
        expected = set()
        for case in cases:
            norm = norm_for(case, today=today)
            if norm is not None and norm.late:
                expected.add(case.pk)
        assert late == expected, today


@pytest.mark.django_db
def test_the_inbox_flags_cases_over_the_norm(world, client):
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        late = case_in_status(Status.REQUESTED, region=world.west, place="Lang wachtend")
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        fresh = case_in_status(Status.REQUESTED, region=world.west, place="Net binnen")
        client.force_login(world.manager)
        start = client.get(reverse("start"), HTTP_ACCEPT_LANGUAGE="en")
        assert "1 case is over the norm" in start.text
        assert "working days late" in start.text
        listed = client.get(reverse("case_list"), {"late": "on"}).text
        assert late.reference in listed and fresh.reference not in listed
        detail = client.get(fresh.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").text
        assert "Norm for intake: by" in detail
