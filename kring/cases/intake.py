"""Phases 0 and 1: a request comes in and is routed to a region; the regional manager holds
the intake — the conversation, the conference question(s), bottom lines and funding.

Every function here changes one case in one transaction, raises the case's version (so that
two people editing at once cannot silently overwrite each other) and leaves a history entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import Municipality, Organisation, Region, User
from kring.cases import emails
from kring.cases.lifecycle import CaseError, change_status, touch
from kring.cases.models import (
    BottomLine,
    Case,
    CaseAction,
    Channel,
    ConferenceQuestion,
    Funding,
    Status,
)

MAX_QUESTIONS = 3
# While the intake may still be edited.
INTAKE_OPEN = frozenset({Status.REQUESTED, Status.INTAKE, Status.ACCEPTED})


def inbox_name(case: Case) -> str:
    """Where a case waits, in words: a region's inbox or the national one."""
    if case.region is None:
        return str(_("the national inbox"))
    return str(_("the inbox of region %(region)s") % {"region": case.region.name})


def route(postcode: str, municipality_name: str) -> tuple[Region | None, Municipality | None]:
    """Postcode → region; else a known municipality's region; else the national inbox."""
    municipality = (
        Municipality.objects.select_related("region")
        .filter(name__iexact=municipality_name.strip())
        .first()
        if municipality_name.strip()
        else None
    )
    region = Region.for_postcode(postcode) if postcode else None
    if region is None and municipality is not None:
        region = municipality.region
    return region, municipality


def create_request(
    data: dict[str, Any],
    *,
    language: str,
    channel: str = Channel.ONLINE,
    entered_by: User | None = None,
    send_confirmation: bool = True,
) -> Case:
    """Store a validated request, route it, and (if there is an address) confirm by email."""
    region, municipality = route(data.get("postcode", ""), data.get("municipality_name", ""))
    now = timezone.now()
    with transaction.atomic():
        case = Case(
            **data,
            region=region,
            municipality=municipality,
            requester_language=language,
            channel=channel,
            entered_by=entered_by,
            consent_at=now,
            requested_at=now,
            status_changed_at=now,
        )
        if municipality is not None:
            case.municipality_name = ""
        case.save()
        case.log(
            CaseAction.CASE_REQUESTED,
            user=entered_by,
            to_status=Status.REQUESTED,
            data={"channel": channel, "region": region.name if region else None},
        )
        if send_confirmation and case.requester_email:
            emails.request_received(case)
        emails.request_arrived(case, skip=entered_by)
    return case


def move_region(
    case: Case, region: Region | None, *, user: User, version: int, reason: str
) -> Case:
    """Move a case to another region's inbox (or the national inbox), with a history entry."""
    if region == case.region:
        raise CaseError(_("The case is already in this inbox."))
    before = case.region.name if case.region else None
    with transaction.atomic():
        touch(case, version)
        Case.objects.filter(pk=case.pk).update(region=region)
        case.region = region
        case.log(
            CaseAction.CASE_MOVED,
            user=user,
            reason=reason.strip(),
            data={"from": before, "to": region.name if region else None},
        )
        emails.request_arrived(case, skip=user, moved=True)
    return case


@dataclass
class IntakeData:
    intake_on: dt.date | None
    intake_notes: str
    questions: list[str]


def save_intake(case: Case, intake: IntakeData, *, user: User, version: int) -> Case:
    """Save the intake conversation and the conference questions. A request that is still
    waiting moves to ‘intake’ on the first save."""
    _intake_open(case)
    questions = [text.strip() for text in intake.questions if text.strip()]
    if len(questions) > MAX_QUESTIONS:
        raise CaseError(_("A conference has at most three questions."))
    if not questions and case.status == Status.ACCEPTED:
        raise CaseError(_("An accepted case keeps at least one conference question."))
    with transaction.atomic():
        touch(case, version)
        if case.status == Status.REQUESTED:
            change_status(case, Status.INTAKE, user=user)
        Case.objects.filter(pk=case.pk).update(
            intake_on=intake.intake_on, intake_notes=intake.intake_notes
        )
        case.intake_on, case.intake_notes = intake.intake_on, intake.intake_notes
        before = list(case.questions.values_list("text", flat=True))
        if before != questions:
            case.questions.all().delete()
            ConferenceQuestion.objects.bulk_create(
                ConferenceQuestion(case=case, text=text, position=i)
                for i, text in enumerate(questions)
            )
        case.log(
            CaseAction.INTAKE_SAVED,
            user=user,
            data={"questions": questions} if before != questions else {},
        )
    return case


def _intake_open(case: Case) -> None:
    if case.status not in INTAKE_OPEN:
        raise CaseError(_("The intake of this case is finished and can no longer be changed."))


def add_bottom_line(
    case: Case, *, text: str, set_by: str, mandate: str, user: User, version: int
) -> BottomLine:
    _intake_open(case)
    with transaction.atomic():
        touch(case, version)
        line = BottomLine.objects.create(case=case, text=text, set_by=set_by, mandate=mandate)
        case.log(CaseAction.BOTTOM_LINE_ADDED, user=user, data={"set_by": set_by})
    return line


def remove_bottom_line(line: BottomLine, *, user: User, version: int) -> None:
    case = line.case
    _intake_open(case)
    with transaction.atomic():
        touch(case, version)
        line.delete()
        case.log(CaseAction.BOTTOM_LINE_REMOVED, user=user, data={"set_by": line.set_by})


@dataclass
class FundingData:
    financier: str
    kind: str
    contact_person: str
    amount: Decimal | None
    reference: str
    decision: str
    decided_on: dt.date | None


def financier(name: str, kind: str) -> Organisation:
    """The organisation with this name (any case), created if it is new; its type follows
    what the manager chose last."""
    name = " ".join(name.split())
    organisation = Organisation.objects.filter(name__iexact=name).first()
    if organisation is None:
        try:
            with transaction.atomic():
                return Organisation.objects.create(name=name, kind=kind)
        except IntegrityError:  # someone added the same financier at the same moment
            organisation = Organisation.objects.get(name__iexact=name)
    if organisation.kind != kind:
        Organisation.objects.filter(pk=organisation.pk).update(kind=kind)
        organisation.kind = kind
    return organisation


def save_funding(
    case: Case,
    data: FundingData,
    *,
    user: User,
    funding: Funding | None = None,
    version: int | None = None,
) -> Funding:
    """Add a funding to a case, or change one (refused if someone else changed it first)."""
    fields: dict[str, Any] = {
        "contact_person": data.contact_person,
        "amount": data.amount,
        "reference": data.reference,
        "decision": data.decision,
        "decided_on": data.decided_on,
    }
    with transaction.atomic():
        organisation = financier(data.financier, data.kind)
        fields["organisation"] = organisation
        if funding is None:
            funding = Funding.objects.create(case=case, **fields)
            action = CaseAction.FUNDING_ADDED
        else:
            updated = Funding.objects.filter(pk=funding.pk, version=version or 0).update(
                version=funding.version + 1, **fields
            )
            if updated != 1:
                raise CaseError(
                    _("Someone else changed this funding in the meantime. Look at it again.")
                )
            funding.refresh_from_db()
            action = CaseAction.FUNDING_CHANGED
        case.log(
            action,
            user=user,
            data={"financier": organisation.name, "decision": data.decision},
        )
    return funding
