"""News for the requester as their request moves on: accepted, a coordinator found, the
conference set. Each is sent once per case, recorded in the case's history (which is kept as
long as the case, unlike the outbox), inside the transaction of the step itself, and queued
for the worker on commit.

Decisions (issue 13, point 5):

- A requester without an email address, or whose data were erased or anonymised (their
  address is then empty), gets nothing; staff phone them as they did before.
- "A coordinator has been found" goes once: a second coordinator joining, or a replacement
  after the first stepped back, is the organisation's business, not news for the requester.
- "The conference is set" goes when the case is first scheduled, and again only if the date
  the requester was told no longer holds (a new date picked, or a new date after a
  cancellation); re-picking the same day sends nothing.
- No names: not the coordinator's, not the participants'. Whether the requester also takes
  part does not change this; if they do, their own invitation brings the place and time.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kring.cases import emails
from kring.cases.models import Case, CaseAction, CaseEvent

ACCEPTED = CaseAction.REQUESTER_ACCEPTED
COORDINATOR_FOUND = CaseAction.REQUESTER_COORDINATOR_FOUND
CONFERENCE_SET = CaseAction.REQUESTER_CONFERENCE_SET


def _reachable(case: Case) -> bool:
    return bool(case.requester_email)


def _told(case: Case, action: str) -> CaseEvent | None:
    return CaseEvent.objects.filter(case=case, action=action).order_by("-at", "-pk").first()


def request_accepted(case: Case) -> bool:
    """Call inside the transaction that accepts the request."""
    if not _reachable(case) or _told(case, ACCEPTED) is not None:
        return False
    message = emails.request_accepted(case)
    case.log(ACCEPTED, user=None, data={"message": message.pk})
    return True


def coordinator_found(case: Case) -> bool:
    """Call inside the transaction in which a coordinator accepts the case."""
    if not _reachable(case) or _told(case, COORDINATOR_FOUND) is not None:
        return False
    message = emails.coordinator_found(case)
    case.log(COORDINATOR_FOUND, user=None, data={"message": message.pk})
    return True


def conference_set(case: Case, starts_at: dt.datetime) -> bool:
    """Call inside the transaction that schedules the meeting on ``starts_at``."""
    if not _reachable(case):
        return False
    day = timezone.localdate(starts_at).isoformat()
    before = _told(case, CONFERENCE_SET)
    if before is not None and before.data.get("day") == day:
        return False
    message = emails.conference_set(case, starts_at, changed=before is not None)
    case.log(CONFERENCE_SET, user=None, data={"message": message.pk, "day": day})
    return True
