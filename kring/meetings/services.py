"""Finding a date, scheduling the meeting, its place, food and costs.

Scheduling picks one proposed date: the case moves to ‘scheduled’ (through the lifecycle), and
a change of date or place afterwards raises the meeting's SEQUENCE so that the invitations can
be updated. Every change is checked against the meeting's version.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.cases import requester_news
from kring.cases.lifecycle import CaseError, change_status
from kring.cases.models import Case, CaseAction, Funding, Status
from kring.circle.models import Diet, Participant, Willingness
from kring.meetings.models import CostItem, DateAnswer, DateOption, Meeting

# While dates may be proposed and answered.
POLL_OPEN = frozenset({Status.PREPARATION})
MEETING_STALE = _("Someone else changed the meeting in the meantime. Look again and retry.")


def poll_open(case: Case) -> None:
    if case.status not in POLL_OPEN:
        raise CaseError(_("Dates can be proposed and answered while the case is in preparation."))


def add_option(
    case: Case, *, starts_at: dt.datetime, ends_at: dt.datetime, user: User
) -> DateOption:
    poll_open(case)
    if ends_at <= starts_at:
        raise CaseError(_("The meeting must end after it starts."))
    if starts_at <= timezone.now():
        raise CaseError(_("Propose a date in the future."))
    try:
        with transaction.atomic():
            option = DateOption.objects.create(case=case, starts_at=starts_at, ends_at=ends_at)
    except IntegrityError as error:
        raise CaseError(_("This date and time is already proposed.")) from error
    case.log(CaseAction.DATE_PROPOSED, user=user, data={"option": option.pk})
    return option


def remove_option(option: DateOption, *, user: User) -> None:
    poll_open(option.case)
    option.case.log(CaseAction.DATE_WITHDRAWN, user=user, data={"option": option.pk})
    option.delete()


def answer(
    option: DateOption, participant: Participant, value: str, *, entered_by: User | None
) -> DateAnswer:
    """A participant's answer for one date (by themselves, or entered by the coordinator)."""
    poll_open(option.case)
    if participant.case_id != option.case_id:
        raise CaseError(_("This person is not in the circle of this case."))
    if participant.declined:
        raise CaseError(_("%(name)s does not take part.") % {"name": participant.name})
    if value not in DateAnswer.Answer.values:
        raise CaseError(_("Choose one of the answers: “yes”, “if need be” or “no”."))
    found, _created = DateAnswer.objects.update_or_create(
        option=option,
        participant=participant,
        defaults={"answer": value, "entered_by": entered_by, "answered_at": timezone.now()},
    )
    return found


@dataclass
class PollRow:
    participant: Participant
    answers: list[str | None]


@dataclass
class PollColumn:
    option: DateOption
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def score(self) -> tuple[int, int]:
        return (self.counts["yes"] + self.counts["maybe"], self.counts["yes"])


@dataclass
class Poll:
    columns: list[PollColumn]
    rows: list[PollRow]

    @property
    def best(self) -> PollColumn | None:
        """The date most people can make (yes or if need be), then most yes."""
        if not self.columns:
            return None
        return max(self.columns, key=lambda c: (c.score, -c.option.starts_at.timestamp()))


def poll(case: Case) -> Poll:
    """Who can when: everyone who has not said no, against every proposed date. Three
    queries, whatever the size of the circle."""
    options = list(DateOption.objects.filter(case=case).order_by("starts_at"))
    people = list(
        Participant.objects.filter(case=case)
        .exclude(willingness=Willingness.NO)
        .order_by("name", "pk")
    )
    given = {
        (a.option_id, a.participant_id): a.answer
        for a in DateAnswer.objects.filter(option__case=case)
    }
    columns = [PollColumn(option) for option in options]
    rows = []
    for person in people:
        answers = [given.get((option.pk, person.pk)) for option in options]
        for column, value in zip(columns, answers, strict=True):
            if value:
                column.counts[value] += 1
        rows.append(PollRow(person, answers))
    return Poll(columns, rows)


def meeting_for(case: Case) -> Meeting:
    meeting, _created = Meeting.objects.get_or_create(case=case)
    return meeting


def claim(meeting: Meeting, version: int) -> None:
    """Raise the meeting's version, or refuse an edit based on a stale copy."""
    if Meeting.objects.filter(pk=meeting.pk, version=version).update(version=F("version") + 1) != 1:
        raise CaseError(MEETING_STALE)
    meeting.version = version + 1


def schedule(case: Case, option: DateOption, *, user: User) -> Meeting:
    """Pick a proposed date: the meeting gets it and the case is scheduled. Picking another
    date later (while scheduled) raises the SEQUENCE for updated invitations."""
    if option.case_id != case.pk:
        raise CaseError(_("This date belongs to another case."))
    with transaction.atomic():
        meeting = meeting_for(case)
        changed = meeting.starts_at is not None and meeting.starts_at != option.starts_at
        Meeting.objects.filter(pk=meeting.pk).update(
            starts_at=option.starts_at,
            ends_at=option.ends_at,
            cancelled_at=None,
            sequence=F("sequence") + (1 if changed or meeting.cancelled_at else 0),
            version=F("version") + 1,
        )
        if case.status == Status.PREPARATION:
            change_status(case, Status.SCHEDULED, user=user, dedicated=True)
        elif case.status != Status.SCHEDULED:
            raise CaseError(_("A date can be chosen while the case is in preparation."))
        case.log(CaseAction.MEETING_SCHEDULED, user=user, data={"option": option.pk})
        meeting.refresh_from_db()
        requester_news.conference_set(case, option.starts_at)
    return meeting


VENUE_FIELDS = (
    "venue_name",
    "venue_address",
    "venue_accessibility",
    "venue_capacity",
    "catering",
    "catering_for",
    "interpreters",
)


def save_venue(meeting: Meeting, data: dict[str, Any], *, user: User, version: int) -> Meeting:
    """Place, food and interpreters. A changed place raises the SEQUENCE (invitations need an
    update)."""
    if meeting.case.is_finished:
        raise CaseError(_("This case is finished."))
    place_changed = any(
        getattr(meeting, name) != data[name] for name in ("venue_name", "venue_address")
    ) and bool(meeting.venue_name or meeting.venue_address)
    with transaction.atomic():
        claim(meeting, version)
        Meeting.objects.filter(pk=meeting.pk).update(
            **data, sequence=F("sequence") + (1 if place_changed else 0)
        )
        meeting.refresh_from_db()
        meeting.case.log(CaseAction.MEETING_VENUE, user=user, data={"place_changed": place_changed})
    return meeting


def cancel(meeting: Meeting, *, user: User, reason: str) -> Meeting:
    """Cancel the scheduled date: the case returns to preparation; invitations are cancelled."""
    case = meeting.case
    with transaction.atomic():
        change_status(case, Status.PREPARATION, user=user, reason=reason, dedicated=True)
        Meeting.objects.filter(pk=meeting.pk).update(
            cancelled_at=timezone.now(), sequence=F("sequence") + 1, version=F("version") + 1
        )
        meeting.refresh_from_db()
    return meeting


@dataclass
class Catering:
    people: int
    diets: list[tuple[str, int]]
    notes: list[str]
    interpreters: list[tuple[str, int]] = field(default_factory=list)
    childcare: int = 0
    transport: int = 0


def catering(case: Case) -> Catering:
    """Food for everyone who takes part, with the diets totalled, and the interpreters,
    childcare and transport they need."""
    coming = list(Participant.objects.filter(case=case, willingness=Willingness.YES))
    counted = Counter(p.diet for p in coming if p.diet)
    languages = Counter(p.get_interpreter_display() for p in coming if p.interpreter)
    return Catering(
        people=len(coming),
        diets=[(str(Diet(d).label), n) for d, n in sorted(counted.items())],
        notes=[p.diet_note for p in coming if p.diet_note],
        interpreters=sorted(languages.items()),
        childcare=sum(1 for p in coming if p.childcare),
        transport=sum(1 for p in coming if p.transport),
    )


@dataclass
class Budget:
    granted: Decimal
    pending: Decimal
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.granted - self.spent


def budget(case: Case) -> Budget:
    def total(decision: str) -> Decimal:
        value = Funding.objects.filter(case=case, decision=decision).aggregate(s=Sum("amount"))["s"]
        return value or Decimal("0")

    spent = CostItem.objects.filter(case=case).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return Budget(
        granted=total(Funding.Decision.APPROVED),
        pending=total(Funding.Decision.PENDING),
        spent=spent,
    )


def add_cost(
    case: Case, *, description: str, amount: Decimal, funding: Funding | None, user: User
) -> CostItem:
    if case.is_finished:
        raise CaseError(_("This case is finished."))
    if funding is not None and funding.case_id != case.pk:
        raise CaseError(_("Choose a funding of this case."))
    item = CostItem.objects.create(
        case=case, description=description, amount=amount, funding=funding
    )
    case.log(CaseAction.COST_ADDED, user=user, data={"cost": item.pk, "amount": str(amount)})
    return item


def remove_cost(item: CostItem, *, user: User) -> None:
    """Remove a cost, with its history entry, in one transaction."""
    case = item.case
    if case.is_finished:
        raise CaseError(_("This case is finished."))
    with transaction.atomic():
        pk = item.pk
        item.delete()
        case.log(CaseAction.COST_REMOVED, user=user, data={"cost": pk})
