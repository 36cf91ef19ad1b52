"""Retention: personal data is kept no longer than its purpose needs (art. 5(1)(e) AVG).

The periods are settings (``KRING_RETAIN_*_DAYS``) with the defaults and reasons of the
``[retention]`` keys in ``docs/register-of-processing.toml``:

- ``declined+6m``: a request that was declined, or withdrawn before it was accepted, is
  anonymised ``KRING_RETAIN_DECLINED_DAYS`` after that step;
- ``case+2y``: a case that was closed or stopped — or withdrawn after it was accepted — is
  anonymised ``KRING_RETAIN_CASE_DAYS`` after that step;
- ``sent+3m``: an outbox message is deleted ``KRING_RETAIN_MESSAGES_DAYS`` after it was sent or
  finally failed;
- ``link_expired+30d``: a personal link is deleted ``KRING_RETAIN_LINKS_DAYS`` after it expired
  or was revoked.

Anonymising a case removes names, contact details, addresses and free text from the case and
everything hanging on it, and keeps its pseudonymised shape for research: status, dates,
variant, region, municipality, categories, willingness, counts. The follow-up keeps its
answers in the same shape: each respondent keeps their code, category and answers (per
agreement, better, satisfaction, recommend, a new conference), loses their remark (free text
that may name people) and their link to the participant; the study ID stays (it is the
pseudonym). The research-consent log stays with the anonymised participants: it proves that
the answers kept were given with consent, and names nobody once the names are gone.

Each app does its own part of it, next to its models (``kring/<app>/personal_data.py``,
registered in :mod:`kring.core.personal_data`); :func:`anonymise_case` runs the parts in their
order, in one transaction, with the history entry.

A case is anonymised once its ``requester_name`` is :data:`ANONYMISED`; no other marker is
stored. The access log is not touched: it is append-only and hash-chained, and its retention
needs its own design.

:func:`run_daily` does all of it. The worker calls it every 30 seconds, for a second at
most; it acts at most once per local day (the date of the last run is kept in the database
cache, shared by all workers), and then only on the rows that are due. Everything it does is
idempotent, so a cleared cache or two workers racing at midnight only cost a few queries.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.audit.models import ANONYMISED
from kring.cases.access import managed_cases
from kring.cases.models import FINAL_STATUSES, Assignment, Case, CaseAction, CaseEvent, Status
from kring.circle.models import PersonalLink
from kring.core import personal_data
from kring.messaging.models import OutboxMessage

logger = logging.getLogger(__name__)

# The local date of the last daily run, in the database cache.
LAST_RUN_KEY = "kring:retention:last-run"

# The kinds of data with a retention period, as keys of due() and run_daily().
DECLINED = "declined"
CASES = "cases"
MESSAGES = "messages"
LINKS = "links"
KINDS = (DECLINED, CASES, MESSAGES, LINKS)

# --- Periods --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One retention period, for the overview page."""

    key: str  # the key in docs/register-of-processing.toml
    label: Promise
    days: int | None
    reason: Promise
    enforced: bool = True


def declined_period() -> dt.timedelta:
    return dt.timedelta(days=settings.KRING_RETAIN_DECLINED_DAYS)


def case_period() -> dt.timedelta:
    return dt.timedelta(days=settings.KRING_RETAIN_CASE_DAYS)


def message_period() -> dt.timedelta:
    return dt.timedelta(days=settings.KRING_RETAIN_MESSAGES_DAYS)


def link_period() -> dt.timedelta:
    return dt.timedelta(days=settings.KRING_RETAIN_LINKS_DAYS)


def periods() -> list[Period]:
    """Every retention period with its reason, as configured now."""
    return [
        Period(
            "declined+6m",
            _("Declined or withdrawn requests"),
            settings.KRING_RETAIN_DECLINED_DAYS,
            _(
                "Long enough to answer a question or complaint about the decision and to "
                "recognise a repeated request. A request withdrawn after it was accepted is "
                "kept as a case."
            ),
        ),
        Period(
            "case+2y",
            _("Closed or stopped cases"),
            settings.KRING_RETAIN_CASE_DAYS,
            _(
                "Long enough for the follow-up research at three months and for complaints "
                "about the conference."
            ),
        ),
        Period(
            "sent+3m",
            _("Messages, after they were sent or failed"),
            settings.KRING_RETAIN_MESSAGES_DAYS,
            _(
                "Long enough to answer “I never received it” and to send a message again; "
                "the fact of delivery stays with the case."
            ),
        ),
        Period(
            "link_expired+30d",
            _("Personal links, after they expired or were revoked"),
            settings.KRING_RETAIN_LINKS_DAYS,
            _("Long enough to help someone whose link no longer works."),
        ),
        Period(
            "log+1y",
            _("Access log"),
            settings.KRING_RETAIN_LOG_DAYS,
            _(
                "Long enough to investigate an incident and to tell someone who saw their "
                "data. Old entries are removed from the start of the chain, which stays "
                "verifiable."
            ),
        ),
    ]


# --- What is due ----------------------------------------------------------------------


def _accepted() -> Q:
    """The case was accepted at some point: a history entry says so, or a coordinator was
    asked (which only happens after acceptance)."""
    accepted = CaseEvent.objects.filter(case=OuterRef("pk"), to_status=Status.ACCEPTED)
    asked = Assignment.objects.filter(case=OuterRef("pk"))
    return Q(Exists(accepted)) | Q(Exists(asked))


def _request_ended() -> Q:
    """A request that ended before it became a case: declined+6m."""
    return Q(status=Status.DECLINED) | (Q(status=Status.WITHDRAWN) & ~_accepted())


def _case_ended() -> Q:
    """A case that ended after it was accepted: case+2y."""
    return Q(status__in=[Status.CLOSED, Status.STOPPED]) | (
        Q(status=Status.WITHDRAWN) & _accepted()
    )


def _not_anonymised() -> QuerySet[Case]:
    return Case.objects.exclude(requester_name=ANONYMISED)


def _messages_due(now: dt.datetime) -> QuerySet[OutboxMessage]:
    # A sent message has sent_at. A failed one records no time of failure: next_attempt_at is
    # when its last attempt was due, which the worker runs within seconds. "Send again" moves
    # next_attempt_at to the present, so a retried message starts its period afresh.
    cutoff = now - message_period()
    sent = OutboxMessage.Status.SENT
    return OutboxMessage.objects.filter(
        Q(status=sent, sent_at__lt=cutoff)
        | Q(status=sent, sent_at__isnull=True, created_at__lt=cutoff)
        | Q(status=OutboxMessage.Status.FAILED, next_attempt_at__lt=cutoff)
    )


def _links_due(now: dt.datetime) -> QuerySet[PersonalLink]:
    cutoff = now - link_period()
    return PersonalLink.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff))


def due(now: dt.datetime | None = None) -> dict[str, QuerySet[Any]]:
    """For each kind, what is past its retention period and still there."""
    now = now or timezone.now()
    return {
        DECLINED: _not_anonymised().filter(
            _request_ended(), status_changed_at__lt=now - declined_period()
        ),
        CASES: _not_anonymised().filter(_case_ended(), status_changed_at__lt=now - case_period()),
        MESSAGES: _messages_due(now),
        LINKS: _links_due(now),
    }


# --- Anonymising a case ---------------------------------------------------------------


def anonymise_case(case: Case, *, retention: str = "") -> bool:
    """Remove the personal data of a finished case and of everything hanging on it.

    Returns False, changing nothing, when the case is not finished or already anonymised.
    ``retention`` names the rule that made it due, for the history entry.
    """
    with transaction.atomic():
        # Lock the row, then look again: another worker may have done it a moment ago.
        current = (
            Case.objects.select_for_update()
            .filter(pk=case.pk, status__in=FINAL_STATUSES)
            .exclude(requester_name=ANONYMISED)
            .first()
        )
        if current is None:
            return False
        # Each app blanks its own part (kring/<app>/personal_data.py), in their order.
        for part in personal_data.parts():
            if part.anonymise is not None:
                part.anonymise(current)
        current.log(
            CaseAction.CASE_ANONYMISED,
            user=None,
            data={"retention": retention} if retention else None,
        )
    return True


# --- Sweeps ---------------------------------------------------------------------------


def sweep_messages(now: dt.datetime | None = None) -> int:
    """Delete outbox messages (and their attachments) past ``sent+3m``; return how many."""
    _deleted, per_model = _messages_due(now or timezone.now()).delete()
    return per_model.get(OutboxMessage._meta.label, 0)


def sweep_links(now: dt.datetime | None = None) -> int:
    """Delete personal links past ``link_expired+30d``; return how many."""
    _deleted, per_model = _links_due(now or timezone.now()).delete()
    return per_model.get(PersonalLink._meta.label, 0)


def anonymise_due(
    now: dt.datetime | None = None, *, deadline: float | None = None
) -> dict[str, int]:
    """Anonymise every finished case past its period; return how many per kind. With a
    ``deadline`` (``time.monotonic()``), stop at the first case after it."""
    return _anonymise_due(now or timezone.now(), deadline)[0]


def _anonymise_due(now: dt.datetime, deadline: float | None) -> tuple[dict[str, int], bool]:
    """The counts per kind, and whether every due case was done (False: the deadline came)."""
    found = due(now)
    counts = {}
    for kind, retention in ((DECLINED, "declined+6m"), (CASES, "case+2y")):
        done = 0
        for pk in list(found[kind].values_list("pk", flat=True)):
            if deadline is not None and time.monotonic() >= deadline:
                counts[kind] = done
                return {DECLINED: 0, CASES: 0, **counts}, False
            try:
                done += anonymise_case(Case(pk=pk), retention=retention)
            except Exception:  # one bad case must not keep the others: log it, go on
                logger.exception("Could not anonymise case %s", pk)
        counts[kind] = done
    return counts, True


def run_daily(
    now: dt.datetime | None = None, *, force: bool = False, seconds: float | None = None
) -> dict[str, int]:
    """All retention work, at most once per local day unless ``force``; returns the counts
    per kind (an empty dict when it already ran today).

    ``seconds``: how long this call may anonymise. The worker gives it a second of each
    round, so that a backlog (the first run on years of cases: 2,676 cases, about a minute at
    100,000) does not hold up the mail sent in the same rounds; the day counts as done once a
    call finishes every due case, and the next round goes on where this one stopped."""
    now = now or timezone.now()
    today = timezone.localdate(now).isoformat()
    if not force and cache.get(LAST_RUN_KEY) == today:
        return {}
    deadline = None if seconds is None else time.monotonic() + seconds
    counts, finished = _anonymise_due(now, deadline)
    counts[MESSAGES] = sweep_messages(now)
    counts[LINKS] = sweep_links(now)
    from kring.audit.log import prune

    counts["log"] = prune(now)
    # Expired staff sessions go too (Django keeps them until asked).
    from django.contrib.sessions.models import Session

    counts["sessions"] = Session.objects.filter(expire_date__lt=now).delete()[0]
    if finished:
        # Kept two days: long enough to hold the rest of today, whatever the cache's clock.
        cache.set(LAST_RUN_KEY, today, timeout=2 * 24 * 60 * 60)
    if any(counts.values()):
        logger.info("Retention: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


# --- The staff overview ---------------------------------------------------------------


def upcoming(user: User, limit: int | None = None) -> QuerySet[Case]:
    """Finished cases not yet anonymised, with ``anonymise_at``, soonest first.

    A regional manager sees their regions' cases, an administrator all. Only the fields the
    overview shows are loaded (reference, status, region, the dates): no names.
    """
    if user.is_active and user.is_administrator:
        scope = Case.objects.all()
    elif user.is_active and user.is_regional_manager:
        scope = managed_cases(user)
    else:
        scope = Case.objects.none()
    cases = (
        scope.filter(status__in=FINAL_STATUSES)
        .exclude(requester_name=ANONYMISED)
        .annotate(
            anonymise_at=models.Case(
                models.When(
                    _request_ended(),
                    then=ExpressionWrapper(
                        F("status_changed_at") + declined_period(),
                        output_field=models.DateTimeField(),
                    ),
                ),
                default=ExpressionWrapper(
                    F("status_changed_at") + case_period(), output_field=models.DateTimeField()
                ),
                output_field=models.DateTimeField(),
            )
        )
        .select_related("region")
        .only("pk", "reference", "status", "status_changed_at", "region__name")
        .order_by("anonymise_at", "pk")
    )
    return cases[:limit] if limit is not None else cases
