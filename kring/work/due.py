"""What is due for a staff member: the lists on their start page and the daily email.

A coordinator: aftercare calls due (the call about four weeks after the meeting, not recorded
yet) and the meetings of the coming week. A regional manager: the time norms of their cases
(the intake, asking a coordinator) with the date each falls due. The worker sends each staff
member who did not opt out one email a day listing what fell due, if anything did; the day is
claimed with an optimistic update of ``User.digest_due_on``, so two workers never send two.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from kring.accounts.models import User
from kring.cases import emails, tally
from kring.cases.access import coordinated_cases, managed_cases
from kring.cases.models import Case, Status
from kring.cases.norms import Norm, norm_for, norm_pieces
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage

logger = logging.getLogger("kring.digest")
WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class AftercareDue:
    case: Case
    due: dt.date
    overdue: bool


@dataclass(frozen=True)
class NormDue:
    case: Case
    norm: Norm


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _aftercare_waiting(user: User, today: dt.date, within: dt.timedelta) -> QuerySet[Case]:
    """``user``'s cases whose aftercare call is not recorded and falls due by ``today +
    within``, with the date it is counted from (``aftercare_start``), earliest first. The due
    date is the start's local day plus a fixed number of days, so the database filters and
    orders by the start and a list never holds more than it shows."""
    from kring.plans.models import AftercareCall
    from kring.plans.services import with_aftercare_starts

    last_start_day = today + within - dt.timedelta(days=settings.KRING_AFTERCARE_DAYS)
    return (
        with_aftercare_starts(
            coordinated_cases(user)
            .filter(status__in=[Status.PLAN_DISTRIBUTED, Status.AFTERCARE])
            # Per case, through the call's index: NOT IN hashed every call ever recorded.
            .filter(~Exists(AftercareCall.objects.filter(case=OuterRef("pk"))))
        )
        .annotate(aftercare_start=Coalesce("aftercare_meeting_at", "aftercare_plan_at"))
        .filter(aftercare_start__lt=_start_of(last_start_day + dt.timedelta(days=1)))
        .order_by("aftercare_start", "pk")
    )


def aftercare_due(
    user: User, today: dt.date, *, within: dt.timedelta = WEEK, limit: int | None = None
) -> list[AftercareDue]:
    """The aftercare calls of ``user``'s cases due by ``today + within``, earliest first (the
    first ``limit`` of them, if given)."""
    from kring.plans.services import aftercare_due_from

    cases = _aftercare_waiting(user, today, within).select_related("region", "municipality")
    found = []
    for case in cases[:limit] if limit is not None else cases:  # one query, the dates included
        due = aftercare_due_from(case.aftercare_meeting_at, case.aftercare_plan_at)  # type: ignore[attr-defined]
        if due is not None:
            found.append(AftercareDue(case, due, due < today))
    return found


def aftercare_due_count(user: User, today: dt.date, *, within: dt.timedelta = WEEK) -> int:
    return _aftercare_waiting(user, today, within).count()


def meetings_this_week(user: User, now: dt.datetime) -> list[object]:
    """The meetings of ``user``'s cases in the coming seven days, soonest first."""
    from kring.meetings.models import Meeting

    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        Meeting.objects.filter(
            case__in=coordinated_cases(user).filter(status=Status.SCHEDULED),
            cancelled_at__isnull=True,
            starts_at__gte=start,
            starts_at__lt=start + WEEK,
        )
        .select_related("case")
        .order_by("starts_at", "pk")
    )


def norms(user: User, today: dt.date, *, limit: int | None = None) -> list[NormDue]:
    """The time norm of each of ``user``'s managed cases that has one, the earliest due first
    (then the longest waiting): the first ``limit`` of them, if given.

    Each norm's due date grows with the day its wait started (the request, or the acceptance),
    so the database gives each kind of wait oldest first along its own index and cuts it at
    ``limit``; merging them keeps a list from reading every waiting case of a region."""
    mine = managed_cases(user).select_related("region", "municipality")
    found = []
    for piece, started in norm_pieces():
        cases = mine.filter(piece).order_by(started, "pk")
        for case in cases[:limit] if limit is not None else cases:
            norm = norm_for(case, today)
            if norm is not None:
                found.append(NormDue(case, norm))
    found.sort(key=lambda item: (item.norm.due, item.norm.started, item.case.pk))
    return found[:limit] if limit is not None else found


def norms_count(user: User, counted: dict[str, int] | None = None) -> int:
    """How many of ``user``'s managed cases have a norm: the requests and accepted cases from
    the status counts (``counted``, if the caller read them already), the intakes without a
    date counted."""
    if counted is None:
        counted = tally.counts(tally.manager_areas(user))
    undated = managed_cases(user).filter(status=Status.INTAKE, intake_on__isnull=True).count()
    return counted.get(Status.REQUESTED, 0) + counted.get(Status.ACCEPTED, 0) + undated


@dataclass
class Digest:
    aftercare: list[AftercareDue]
    meetings: list[object]
    late: list[NormDue]
    follow_ups_due: int = 0

    def __bool__(self) -> bool:
        return bool(self.aftercare or self.meetings or self.late or self.follow_ups_due)


def digest_for(user: User, now: dt.datetime) -> Digest:
    """What fell due for ``user`` (what the daily email lists)."""
    today = timezone.localdate(now)
    digest = Digest([], [], [])
    if user.is_coordinator:
        digest.aftercare = aftercare_due(user, today, within=dt.timedelta(0))
        digest.meetings = meetings_this_week(user, now)
    if user.is_regional_manager:
        digest.late = [item for item in norms(user, today) if item.norm.due <= today]
    if user.is_researcher:
        from kring.followup.access import follow_ups_for
        from kring.followup.views import section_counts

        counts = section_counts(follow_ups_for(user), today)
        digest.follow_ups_due = counts["due"] + counts["overdue"]
    return digest


STAFF = Q(is_regional_manager=True) | Q(is_coordinator=True) | Q(is_researcher=True)


def send_digests(now: dt.datetime | None = None) -> int:
    """The worker's sweep: for each staff member who wants it and whose day has come, claim
    the day (``digest_due_on`` moves to tomorrow) and, in the same transaction, store the
    email if anything fell due. Returns the number of emails stored."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    due = User.objects.filter(STAFF, is_active=True, daily_digest=True).filter(
        Q(digest_due_on__isnull=True) | Q(digest_due_on__lte=today)
    )
    for user in due:
        with transaction.atomic():
            claimed = User.objects.filter(
                pk=user.pk,
                **(
                    {"digest_due_on__isnull": True}
                    if user.digest_due_on is None
                    else {"digest_due_on": user.digest_due_on}
                ),
            ).update(digest_due_on=today + dt.timedelta(days=1))
            if claimed != 1:
                continue  # another worker has it
            digest = digest_for(user, now)
            if not digest:
                continue
            store_digest(user, digest, today)
            sent += 1
    return sent


def store_digest(user: User, digest: Digest, today: dt.date) -> OutboxMessage:
    with translation.override(settings.LANGUAGE_CODE):
        email = emails.compose(
            "daily_digest",
            {"staff": user, "digest": digest, "today": today},
            to=user.email,
            language=settings.LANGUAGE_CODE,
        )
    return outbox.store(email, purpose="staff.digest")
