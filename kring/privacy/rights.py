"""The rights of the people in the data (art. 15 and 17 AVG), for one requester or participant.

- **Export**: everything Kring holds about them, as JSON and as a readable PDF, including who
  looked at their data. Each export is logged and noted in the case history.
- **Erasure** on request, with safeguards: an export is made first, a reason is recorded, and a
  second staff member confirms. Their personal data is then replaced or removed; what remains
  is the pseudonymised shape of the case (statuses, dates, categories) and a history entry.
  For the follow-up: their research consent and its log go, and no one asks them anything
  again; answers they gave stay by code and category for the research, without their remark
  and without a link to them.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.audit import log as audit
from kring.audit.models import ERASED, AccessLog, ErasureRequest
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case, CaseAction
from kring.circle.models import Participant, PersonalLink
from kring.core.pdf import pdf_ua
from kring.followup.models import ConsentChange, FollowUp, Respondent
from kring.meetings.models import Attendance, DateAnswer, Invitation
from kring.messaging.models import OutboxMessage
from kring.plans.models import Delivery, Endorsement, Plan, PlanVersion

logger = logging.getLogger("kring.erasure")

Kind = ErasureRequest.Kind


def _participant(case: Case, person_id: int) -> Participant:
    participant = Participant.objects.filter(case=case, pk=person_id).first()
    if participant is None:
        raise CaseError(_("This person is not in the circle of this case."))
    return participant


def _viewed(kind: str, person_id: int) -> list[dict[str, Any]]:
    return [
        {"at": e.at.isoformat(), "who": e.user.full_name if e.user else e.role, "what": e.action}
        for e in AccessLog.objects.filter(person_type=kind, person_id=str(person_id))
        .select_related("user")
        .order_by("pk")
    ]


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def _plan_part(participant: Participant) -> dict[str, Any]:
    """What the conference and the plan hold about a participant: when they were in the room,
    their endorsement, the agreements naming them, the copies they were sent, whether they
    watch over the plan or asked for it, and the frozen versions that name them."""
    plan = Plan.objects.filter(case_id=participant.case_id).first()
    named_in = []
    if plan is not None:
        for version in PlanVersion.objects.filter(plan=plan).order_by("number"):
            content = version.content if isinstance(version.content, dict) else {}
            ids = {p.get("id") for p in content.get("participants") or []}
            for agreement in content.get("agreements") or []:
                ids.update(agreement.get("who_ids") or [])
            if participant.pk in ids:
                named_in.append(version.number)
    return {
        "attendance": [
            {
                "information": a.information,
                "private_time": a.private_time,
                "plan": a.plan,
                "recorded_at": a.recorded_at.isoformat(),
            }
            for a in Attendance.objects.filter(participant=participant).order_by("pk")
        ],
        "endorsements": [
            {"via": e.via, "at": e.at.isoformat()}
            for e in Endorsement.objects.filter(participant=participant).order_by("pk")
        ],
        "agreements": [
            {
                "what": a.what,
                "where": a.where,
                "when": a.when,
                "on": _date(a.on),
                "until": _date(a.until),
                "recurrence": a.recurrence,
            }
            for a in participant.agreements.order_by("order", "pk")
        ],
        "deliveries": [
            {
                "version": d.version.number,
                "channel": d.channel,
                "at": d.created_at.isoformat(),
                "printed_at": _date(d.printed_at),
            }
            for d in Delivery.objects.filter(participant=participant)
            .select_related("version")
            .order_by("pk")
        ],
        "watches_over_the_plan": plan is not None
        and plan.monitors.filter(pk=participant.pk).exists(),
        "asked_for_the_plan": plan is not None
        and plan.extra_recipients.filter(pk=participant.pk).exists(),
        "named_in_plan_versions": named_in,
    }


def _research_part(participant: Participant) -> dict[str, Any]:
    """Their research consent with its log, and every follow-up they were asked in: the
    code, the contacts, and their answers."""
    respondents = (
        Respondent.objects.filter(participant=participant)
        .select_related("follow_up")
        .prefetch_related("outcomes__agreement", "attempts")
        .order_by("follow_up__due_on", "pk")
    )
    return {
        "consent": participant.research_consent,
        "consent_log": [
            {"given": c.given, "at": c.at.isoformat(), "via": c.via}
            for c in ConsentChange.objects.filter(participant=participant).order_by("at", "pk")
        ],
        "follow_ups": [
            {
                "months": r.follow_up.months,
                "due_on": _date(r.follow_up.due_on),
                "code": r.code,
                "invited_at": _date(r.invited_at),
                "reminders": r.reminders,
                "declined_at": _date(r.declined_at),
                "answered_at": _date(r.answered_at),
                "answered_via": r.answered_via,
                "answers": None
                if r.answered_at is None
                else {
                    "agreements": [
                        {"agreement": o.agreement.what, "outcome": o.outcome}
                        for o in sorted(
                            r.outcomes.all(), key=lambda o: (o.agreement.order, o.agreement.pk)
                        )
                    ],
                    "better": r.better,
                    "satisfaction": r.satisfaction,
                    "recommend": r.recommend,
                    "new_conference": r.new_conference,
                    "remark": r.remark,
                },
                "contacts": [
                    {
                        "at": a.at.isoformat(),
                        "kind": a.kind,
                        "channel": a.channel,
                        "outcome": a.outcome,
                    }
                    for a in r.attempts.all()
                ],
            }
            for r in respondents
        ],
    }


def export(case: Case, kind: str, person_id: int) -> dict[str, Any]:
    """Everything Kring holds about this person in this case (machine-readable)."""
    data: dict[str, Any] = {
        "kring_export": {"case": case.reference, "made_at": timezone.now().isoformat()},
    }
    if kind == Kind.REQUESTER:
        if person_id != case.pk:
            raise CaseError(_("This person is not the requester of this case."))
        data["person"] = {
            "role": "requester",
            "name": case.requester_name,
            "email": case.requester_email,
            "phone": case.requester_phone,
            "relation": case.requester_relation,
            "organisation": case.requester_organisation,
            "language": case.requester_language,
            "consent_at": case.consent_at.isoformat() if case.consent_at else None,
            "request": {
                "requested_at": case.requested_at.isoformat(),
                "place": case.place,
                "postcode": case.postcode,
                "address": case.address,
                "municipality": case.municipality_name or str(case.municipality or ""),
                "what_is_going_on": case.description,
                "who_is_involved": case.involved,
                "wishes": {
                    "language": case.coordinator_language,
                    "gender": case.coordinator_gender,
                },
            },
        }
        addresses = [case.requester_email] if case.requester_email else []
    elif kind == Kind.PARTICIPANT:
        participant = _participant(case, person_id)
        data["person"] = {
            "role": "participant",
            "name": participant.name,
            "email": participant.email,
            "phone": participant.phone,
            "postal_address": participant.postal_address,
            "language": participant.language,
            "category": participant.category,
            "organisation": participant.organisation,
            "suggested_by": participant.suggested_by.name if participant.suggested_by else None,
            "needs": participant.needs(),
            "informed_at": participant.informed_at.isoformat() if participant.informed_at else None,
            "takes_part": participant.willingness,
            "written_view": participant.written_view,
            "contacts": [
                {"on": c.on.isoformat(), "channel": c.channel, "outcome": c.outcome, "note": c.note}
                for c in participant.contacts.all()
            ],
            "date_answers": [
                {"date": a.option.starts_at.isoformat(), "answer": a.answer}
                for a in DateAnswer.objects.filter(participant=participant).select_related("option")
            ],
            "deliveries": [
                {"kind": i.kind, "channel": i.channel, "at": i.created_at.isoformat()}
                for i in Invitation.objects.filter(participant=participant)
            ],
            "personal_links": [
                {
                    "created_at": link.created_at.isoformat(),
                    "expires_at": link.expires_at.isoformat(),
                    "revoked": link.revoked_at is not None,
                    "revoked_reason": link.revoked_reason,
                }
                for link in PersonalLink.objects.filter(participant=participant)
            ],
        }
        data["plan"] = _plan_part(participant)
        data["research"] = _research_part(participant)
        addresses = [participant.email] if participant.email else []
    else:
        raise CaseError(_("Unknown kind of person."))
    data["messages"] = [
        {"sent_at": m.created_at.isoformat(), "subject": m.subject, "status": m.status}
        for m in OutboxMessage.objects.filter(case=case).order_by("pk")
        if set(m.to_addresses) & set(addresses)
    ]
    data["viewed_by"] = _viewed(kind, person_id)
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
        if erasure.kind == Kind.REQUESTER:
            _erase_requester(case)
        else:
            _erase_participant(_participant(case, erasure.person_id))
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


def _erase_requester(case: Case) -> None:
    addresses = [case.requester_email] if case.requester_email else []
    Case.objects.filter(pk=case.pk).update(
        requester_name=ERASED,
        requester_email="",
        requester_phone="",
        requester_organisation="",
        address="",
        postcode=case.postcode[:4],
        municipality_name="",
        description=ERASED,
        involved="",
        intake_notes="",
    )
    _delete_messages_to(case, addresses)


def _erase_from_plans(participant: Participant, label: str) -> None:
    """Their full name goes from the plan's words and from every version Kring keeps (the
    copies already sent stay with their owners)."""
    import json

    from kring.plans.models import Agreement, Answer, Plan, PlanVersion

    name = participant.name.strip()
    if not name:
        return
    escaped = json.dumps(name)[1:-1]
    for version in PlanVersion.objects.filter(plan__case=participant.case_id):
        text = json.dumps(version.content)
        if escaped in text:
            version.content = json.loads(text.replace(escaped, json.dumps(label)[1:-1]))
            version.save(update_fields=["content"])
    for agreement in Agreement.objects.filter(plan__case=participant.case_id, what__contains=name):
        Agreement.objects.filter(pk=agreement.pk).update(what=agreement.what.replace(name, label))
    for answer in Answer.objects.filter(plan__case=participant.case_id, text__contains=name):
        Answer.objects.filter(pk=answer.pk).update(text=answer.text.replace(name, label))
    for plan in Plan.objects.filter(case=participant.case_id):
        if name in plan.contingency or name in plan.monitor_note:
            Plan.objects.filter(pk=plan.pk).update(
                contingency=plan.contingency.replace(name, label),
                monitor_note=plan.monitor_note.replace(name, label),
            )


def _erase_participant(participant: Participant) -> None:
    number = Participant.objects.filter(case=participant.case, pk__lte=participant.pk).count()
    addresses = [participant.email] if participant.email else []
    _erase_from_plans(participant, f"{ERASED} {number}")
    Participant.objects.filter(pk=participant.pk).update(
        name=f"{ERASED} {number}",
        email="",
        phone="",
        postal_address="",
        organisation="",
        accessibility="",
        diet_note="",
        written_view="",
    )
    participant.contacts.update(note="")
    _erase_from_research(participant)
    PersonalLink.objects.filter(participant=participant).delete()
    OutboxMessage.objects.filter(participant=participant).delete()  # whatever address then
    _delete_messages_to(participant.case, addresses)


def _erase_from_research(participant: Participant) -> None:
    """Their consent and its log go, so nobody asks them again; a follow-up still open counts
    them as declined. Answers they gave stay for the research by code and category (the
    respondent keeps a copy of the category), without their remark and without the link to
    them."""
    now = timezone.now()
    respondents = Respondent.objects.filter(participant=participant)
    respondents.filter(
        follow_up__state__in=[FollowUp.State.PLANNED, FollowUp.State.OPEN],
        answered_at__isnull=True,
        declined_at__isnull=True,
    ).update(declined_at=now)
    respondents.update(remark="", participant=None, version=F("version") + 1)
    ConsentChange.objects.filter(participant=participant).delete()
    Participant.objects.filter(pk=participant.pk).update(research_consent=None)


def _delete_messages_to(case: Case, addresses: list[str]) -> None:
    if not addresses:
        return
    doomed = [
        m.pk
        for m in OutboxMessage.objects.filter(case=case).only("pk", "to_addresses")
        if set(m.to_addresses) & set(addresses)
    ]
    OutboxMessage.objects.filter(pk__in=doomed).delete()
