"""Cases whose plan went out before follow-ups existed get their moments from a data migration:
three months after their meeting (the variant's setting), once."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import timezone

from kring.cases.models import Status
from kring.followup.models import FollowUp
from kring.meetings.models import Meeting
from tests.factories import case_in_status

migration = importlib.import_module("kring.followup.migrations.0002_schedule_existing")


@pytest.mark.django_db
def test_existing_cases_after_the_plan_get_their_moments_once(settings):
    settings.KRING_FOLLOW_UP_MONTHS = {**settings.KRING_FOLLOW_UP_MONTHS, "school": (3, 12)}
    start = dt.datetime(2026, 1, 31, 19, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    neighbourhood = case_in_status(Status.AFTERCARE, variant="buurt")
    Meeting.objects.create(case=neighbourhood, starts_at=start, ends_at=start)
    school = case_in_status(Status.FOLLOW_UP, variant="school")
    Meeting.objects.create(case=school, starts_at=start, ends_at=start)
    untouched = case_in_status(Status.HELD)

    migration.schedule_existing(apps, None)
    migration.schedule_existing(apps, None)  # a second run adds nothing

    assert list(neighbourhood.follow_ups.values_list("months", "due_on")) == [
        (3, dt.date(2026, 4, 30))
    ]
    assert sorted(school.follow_ups.values_list("months", "due_on")) == [
        (3, dt.date(2026, 4, 30)),
        (12, dt.date(2027, 1, 31)),
    ]
    assert not untouched.follow_ups.exists()
    assert FollowUp.objects.count() == 3


@pytest.mark.django_db
def test_a_moment_whose_answer_period_passed_is_recorded_as_cancelled(settings):
    long_ago = timezone.now() - dt.timedelta(days=400)
    recent = timezone.now() - dt.timedelta(days=80)
    old_case = case_in_status(Status.FOLLOW_UP)
    Meeting.objects.create(case=old_case, starts_at=long_ago, ends_at=long_ago)
    new_case = case_in_status(Status.AFTERCARE)
    Meeting.objects.create(case=new_case, starts_at=recent, ends_at=recent)

    migration.schedule_existing(apps, None)

    assert old_case.follow_ups.get().state == FollowUp.State.CANCELLED
    assert new_case.follow_ups.get().state == FollowUp.State.PLANNED
