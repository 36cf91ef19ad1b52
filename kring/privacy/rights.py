"""The rights of the people in the data (art. 15 and 17 AVG), for one requester or participant.

- **Export**: everything Kring holds about them, as JSON and as a readable PDF, including who
  looked at their data. Each export is logged and noted in the case history.
- **Erasure** on request, with safeguards: an export is made first, a reason is recorded, and a
  second staff member confirms. Their personal data is then replaced or removed; what remains
  is the pseudonymised shape of the case (statuses, dates, categories) and a history entry.
  For the follow-up: their research consent and its log go, and no one asks them anything
  again; answers they gave stay by code and category for the research, without their remark
  and without a link to them.

What each app exports and erases is its own part, next to its models
(``kring/<app>/personal_data.py``, registered in :mod:`kring.core.personal_data`); this module
finds the person, runs the parts in their order and keeps the safeguards and the history.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.audit import log as audit
from kring.audit.models import ERASED, ErasureRequest
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case, CaseAction
from kring.core import personal_data
from kring.core.pdf import pdf_ua
from kring.core.personal_data import Person

logger = logging.getLogger("kring.erasure")

Kind = ErasureRequest.Kind


def person(case: Case, kind: str, person_id: int) -> Person:
    """The requester (``person_id`` is the case's) or a participant of this case, as Kring
    holds them now."""
    if kind == Kind.REQUESTER:
        if person_id != case.pk:
            raise CaseError(_("This person is not the requester of this case."))
        email = case.requester_email
        return Person(case, kind, addresses=(email,) if email else (), label=ERASED)
    if kind == Kind.PARTICIPANT:
        participant = case.participants.filter(pk=person_id).first()
        if participant is None:
            raise CaseError(_("This person is not in the circle of this case."))
        # Erased participants are "[gewist] 1", "[gewist] 2", … in the order they were added.
        number = case.participants.filter(pk__lte=participant.pk).count()
        email = participant.email
        return Person(
            case,
            kind,
            participant,
            addresses=(email,) if email else (),
            label=f"{ERASED} {number}",
        )
    raise CaseError(_("Unknown kind of person."))


def export(case: Case, kind: str, person_id: int) -> dict[str, Any]:
    """Everything Kring holds about this person in this case (machine-readable): each app's
    sections (kring/<app>/personal_data.py), in their order."""
    subject = person(case, kind, person_id)
    data: dict[str, Any] = {
        "kring_export": {"case": case.reference, "made_at": timezone.now().isoformat()},
    }
    for part in personal_data.parts():
        if part.export is None:
            continue
        for section, content in part.export(subject).items():
            if isinstance(content, dict) and isinstance(data.get(section), dict):
                data[section].update(content)
            else:
                data[section] = content
    return data


def record_export(
    request: HttpRequest, case: Case, kind: str, person_id: int, fmt: str, *, user: User
) -> None:
    """A person's data was exported: the access log's row and the case's history entry, in one
    transaction."""
    with transaction.atomic():
        audit.record(
            request,
            action="export",
            object_type=f"export_{fmt}",
            object_id=person_id,
            case_reference=case.reference,
            people=[audit.Person(kind, person_id)],
        )
        case.log(CaseAction.PERSON_EXPORTED, user=user, data={"kind": kind, "person": person_id})


def export_pdf(data: dict[str, Any]) -> bytes:
    """The same export as a readable, tagged PDF."""
    language = translation.get_language() or "nl"
    html = render_to_string("audit/export.html", {"data": data, "language": language})
    return pdf_ua(html)


def request_erasure(
    case: Case, kind: str, person_id: int, *, reason: str, user: User
) -> ErasureRequest:
    """Step one: after an export, record the request and its reason."""
    if not reason.strip():
        raise CaseError(_("Record the reason for the erasure."))
    if not case.events.filter(
        action="person.exported", data__kind=kind, data__person=person_id
    ).exists():
        raise CaseError(_("Make an export for this person first: they may ask for it later."))
    export(case, kind, person_id)  # the person must exist
    erasure = ErasureRequest.objects.create(
        case=case, kind=kind, person_id=person_id, reason=reason.strip(), requested_by=user
    )
    case.log(
        CaseAction.PERSON_ERASURE_REQUESTED,
        user=user,
        reason=reason.strip(),
        data={"kind": kind, "person": person_id},
    )
    return erasure


def confirm_erasure(erasure: ErasureRequest, *, user: User) -> None:
    """Step two: a second staff member confirms; the person's data is erased."""
    if erasure.confirmed_at is not None:
        raise CaseError(_("This erasure has already been carried out."))
    if erasure.requested_by_id == user.pk:
        raise CaseError(_("A second person must confirm the erasure."))
    case = erasure.case
    with transaction.atomic():
        updated = ErasureRequest.objects.filter(pk=erasure.pk, confirmed_at__isnull=True).update(
            confirmed_by=user, confirmed_at=timezone.now()
        )
        if updated != 1:
            raise CaseError(_("This erasure has already been carried out."))
        # Loaded before anything changes: a later part may need what an earlier one erased
        # (the plan replaces the full name the circle's part has just removed).
        subject = person(case, erasure.kind, erasure.person_id)
        for part in personal_data.parts():
            if part.erase is not None:
                part.erase(subject)
        case.log(
            CaseAction.PERSON_ERASED,
            user=user,
            data={"kind": erasure.kind, "person": erasure.person_id, "request": erasure.pk},
        )
    # In the log stream too, which outlives a restore: after restoring a backup older than
    # this line, carry the erasure out again (README, operators: backups).
    logger.info(
        "erasure carried out: case %s, %s %s",
        case.reference,
        erasure.kind,
        erasure.person_id,
        extra={"case": case.reference, "erased": erasure.kind, "person_id": erasure.person_id},
    )
