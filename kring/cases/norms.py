"""Time norms: how long a case may wait for its next step, counted in Dutch working days.

Two norms come from practice: the intake within ``KRING_NORM_INTAKE_DAYS`` working days of the
request, and a coordinator asked within ``KRING_NORM_ASSIGNMENT_DAYS`` working days of the
case's acceptance. Working days skip weekends and the national public holidays (New Year's
Day, Easter Monday, King's Day, Liberation Day, Ascension Day, Whit Monday and Christmas).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case, Status


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter (the anonymous algorithm, as published by Meeus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[dt.date]:
    easter = easter_sunday(year)
    kings_day = dt.date(year, 4, 27)
    if kings_day.weekday() == 6:  # on a Sunday, King's Day moves to the Saturday before
        kings_day -= dt.timedelta(days=1)
    return frozenset(
        {
            dt.date(year, 1, 1),
            easter + dt.timedelta(days=1),
            kings_day,
            dt.date(year, 5, 5),
            easter + dt.timedelta(days=39),
            easter + dt.timedelta(days=50),
            dt.date(year, 12, 25),
            dt.date(year, 12, 26),
        }
    )


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The day on which ``days`` working days have passed after ``start``."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        days -= is_working_day(day)
    return day


def latest_on_time_start(today: dt.date, days: int) -> dt.date:
    """The earliest start date that is still within ``days`` working days on ``today``:
    anything that started before it is over the norm."""
    day = today
    while working_days_between(day - dt.timedelta(days=1), today) <= days:
        day -= dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class Norm:
    """A case's current norm: what should happen, by when, and how late it is."""

    label: Promise
    due: dt.date
    days_late: int
    started: dt.datetime  # when the wait began: the request, or the acceptance

    @property
    def late(self) -> bool:
        return self.days_late > 0


def norm_for(case: Case, today: dt.date | None = None) -> Norm | None:
    """The norm that applies to ``case`` now, or None."""
    today = today or timezone.localdate()
    if case.status == Status.REQUESTED or (case.status == Status.INTAKE and not case.intake_on):
        started = case.requested_at
        label, days = _("intake"), settings.KRING_NORM_INTAKE_DAYS
    elif case.status == Status.ACCEPTED:
        started = case.status_changed_at
        label, days = _("ask a coordinator"), settings.KRING_NORM_ASSIGNMENT_DAYS
    else:
        return None
    due = add_working_days(timezone.localdate(started), days)
    return Norm(label, due, working_days_between(due, today), started)


def norm_pieces() -> list[tuple[Q, str]]:
    """The cases :func:`norm_for` gives a norm, as filters one index each serves (a status,
    in the order its wait began), with that moment's field: lists read each piece's first rows
    and merge them (an OR of statuses made PostgreSQL walk every case by request date)."""
    return [
        (Q(status=Status.REQUESTED), "requested_at"),
        (Q(status=Status.INTAKE, intake_on__isnull=True), "requested_at"),
        (Q(status=Status.ACCEPTED), "status_changed_at"),
    ]


def over_norm_pieces(today: dt.date | None = None) -> list[Q]:
    """:func:`over_norm` as one filter per status, each within one index range (the status,
    then the region and the day the wait began: ``case_norms``); counted apart and added up,
    they cost what the late cases cost, where the one filter read every case of the index."""
    today = today or timezone.localdate()

    def start_of(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    # The intake's norm counts from the request, the assignment's from the acceptance.
    cutoff = {
        "requested_at": start_of(latest_on_time_start(today, settings.KRING_NORM_INTAKE_DAYS)),
        "status_changed_at": start_of(
            latest_on_time_start(today, settings.KRING_NORM_ASSIGNMENT_DAYS)
        ),
    }
    return [piece & Q(**{f"{started}__lt": cutoff[started]}) for piece, started in norm_pieces()]


def over_norm(today: dt.date | None = None) -> Q:
    """The cases :func:`norm_for` calls late, as a filter (for counts and lists)."""
    combined = Q()
    for piece in over_norm_pieces(today):
        combined |= piece
    return combined
