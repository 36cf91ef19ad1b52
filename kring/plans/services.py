"""The conference and its plan: attendance, the plan as the circle decided it, endorsement,
bottom lines, the outcome, finalising a version, and the aftercare call that ends the
coordinator's role.

Every change checks the version of what it changes (two people editing at once cannot
overwrite each other: the second save is refused) and leaves a history entry on the case
without content or personal data in it. The plan's content is the circle's; Kring records it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import User
from kring.cases.lifecycle import CaseError, change_status
from kring.cases.models import BottomLine, Case, CaseAction, Status
from kring.circle.models import Participant, Willingness
from kring.meetings.models import Attendance, Meeting
from kring.meetings.services import claim as claim_meeting
from kring.plans import precision
from kring.plans.models import (
    Agreement,
    Answer,
    BottomLineCheck,
    Endorsement,
    Evaluation,
    OrganisationRequest,
    Plan,
    PlanVersion,
)

S = Status
# The plan can be written from the day of the meeting until the coordinator hands over.
PLAN_OPEN = frozenset(
    {S.SCHEDULED, S.HELD, S.PLAN_WITHOUT_MEETING, S.PLAN_DISTRIBUTED, S.AFTERCARE}
)
# A version can be finalised once the conference was held (or there is none).
FINALISE_FROM = frozenset({S.HELD, S.PLAN_WITHOUT_MEETING, S.PLAN_DISTRIBUTED, S.AFTERCARE})
# The outcome "not accepted" or "no plan" closes the case from here.
OUTCOME_FROM = frozenset({S.HELD, S.PLAN_WITHOUT_MEETING})

STALE_PLAN = _(
    "Someone else changed the plan in the meantime. Your text is kept below: compare it "
    "with the saved text and save again."
)
STALE_ITEM = _(
    "Someone else changed this in the meantime. Your text is kept below: compare it with "
    "the saved text and save again."
)

KINDS: dict[str, type[Agreement] | type[OrganisationRequest] | type[Evaluation]] = {
    "agreement": Agreement,
    "request": OrganisationRequest,
    "evaluation": Evaluation,
}
Item = Agreement | OrganisationRequest | Evaluation


def item_action(kind: str, verb: str) -> CaseAction:
    """The history entry for adding, changing, removing or moving an item of ``kind``."""
    return CaseAction(f"plan.{kind}.{verb}")


# --- Reading ------------------------------------------------------------------------------


def plan_of(case: Case) -> Plan:
    """The case's plan, unsaved if nobody wrote anything yet (looking creates nothing)."""
    return Plan.objects.filter(case=case).first() or Plan(case=case)


def plan_for(case: Case) -> Plan:
    """The case's plan, made on the first change."""
    plan, _created = Plan.objects.get_or_create(case=case)
    return plan


def agreements(plan: Plan) -> list[Agreement]:
    if plan.pk is None:
        return []
    return list(
        plan.agreements.prefetch_related(
            Prefetch("who", queryset=Participant.objects.order_by("name", "pk"))
        ).order_by("order", "pk")
    )


def agreement_text(
    agreement: Agreement, who: Iterable[Participant] | None = None
) -> precision.AgreementText:
    people = list(agreement.who.all()) if who is None else list(who)
    return precision.AgreementText(
        what=agreement.what,
        who=[p.name for p in people],
        who_organisation=agreement.who_organisation,
        where=agreement.where,
        when=agreement.when,
        on=agreement.on,
        until=agreement.until,
        recurrence=agreement.recurrence,
    )


def check(plan: Plan, listed: Sequence[Agreement] | None = None) -> precision.Report:
    """The precision check of the plan as saved (``listed``: its agreements, prefetched)."""
    listed = agreements(plan) if listed is None else listed
    if plan.pk is None:
        return precision.check_plan([])
    return precision.check_plan(
        [agreement_text(a) for a in listed],
        requests=list(plan.requests.order_by("order", "pk").values_list("request", flat=True)),
        evaluations=plan.evaluations.count(),
        contingency=plan.contingency,
        monitored=plan.monitors.exists(),
        monitor_note=plan.monitor_note,
    )


def latest_version(plan: Plan) -> PlanVersion | None:
    if plan.pk is None:
        return None
    return plan.versions.order_by("-number").first()


# --- Guards -------------------------------------------------------------------------------


def _open(case: Case) -> None:
    if case.status not in PLAN_OPEN:
        raise CaseError(
            _("The plan can be written from the day of the meeting until the handover.")
        )


def _claim_plan(plan: Plan, version: int | None) -> None:
    expected = plan.version if version is None else version
    now = timezone.now()
    if (
        Plan.objects.filter(pk=plan.pk, version=expected).update(
            version=F("version") + 1, updated_at=now
        )
        != 1
    ):
        raise CaseError(STALE_PLAN)
    plan.version, plan.updated_at = expected + 1, now


def _claim_item(item: Item, version: int | None) -> None:
    expected = item.version if version is None else version
    if (
        type(item).objects.filter(pk=item.pk, version=expected).update(version=F("version") + 1)
        != 1
    ):
        raise CaseError(STALE_ITEM)
    item.version = expected + 1
    Plan.objects.filter(pk=item.plan_id).update(updated_at=timezone.now())


def _own_people(case: Case, people: Iterable[Participant]) -> list[Participant]:
    listed = list(people)
    if any(p.case_id != case.pk for p in listed):
        raise CaseError(_("Choose people from this case's circle."))
    return listed


# --- The plan's text ----------------------------------------------------------------------


def save_plan_text(
    plan: Plan,
    *,
    answers: dict[int, str],
    monitors: Iterable[Participant],
    monitor_note: str,
    contingency: str,
    user: User,
    version: int | None,
) -> Plan:
    """The answers to the questions, who watches over the plan, and what happens if
    something does not work."""
    case = plan.case
    _open(case)
    monitors = _own_people(case, monitors)
    questions = set(case.questions.values_list("pk", flat=True))
    if set(answers) - questions:
        raise CaseError(_("Answer the questions of this case."))
    with transaction.atomic():
        _claim_plan(plan, version)
        Plan.objects.filter(pk=plan.pk).update(
            monitor_note=monitor_note.strip(), contingency=contingency.strip()
        )
        plan.monitor_note, plan.contingency = monitor_note.strip(), contingency.strip()
        plan.monitors.set(monitors)
        for question_id, text in answers.items():
            Answer.objects.update_or_create(
                plan=plan, question_id=question_id, defaults={"text": text.strip()}
            )
        case.log(CaseAction.PLAN_CHANGED, user=user)
    return plan


# --- Agreements, requests and evaluation moments -------------------------------------------

ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "agreement": ("what", "who_organisation", "where", "when", "on", "until", "recurrence"),
    "request": ("organisation", "request", "reply", "reply_note"),
    "evaluation": ("on", "description"),
}


def _clean(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    values = {name: data.get(name) for name in ITEM_FIELDS[kind] if name in data}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    if kind == "agreement" and "when" in values:
        when = values["when"] or ""
        if when not in Agreement.When.values:
            raise CaseError(_("Choose when: a date, a period, or how often."))
        values["when"] = when
        # Keep only what the chosen kind of "when" uses.
        if when != "period":
            values["until"] = None
        if when not in ("date", "period"):
            values["on"] = None
        if when != "recurring":
            values["recurrence"] = ""
    on, until = values.get("on"), values.get("until")
    if kind == "agreement" and on and until and until < on:
        raise CaseError(_("The end of the period lies before its start."))
    if kind == "evaluation" and "on" in values and values["on"] is None:
        raise CaseError(_("Give the date of the evaluation moment."))
    return values


def add_item(plan: Plan, kind: str, data: dict[str, Any], *, user: User) -> Item:
    """Add an agreement, a request to an organisation or an evaluation moment at the end."""
    model = KINDS[kind]
    case = plan.case
    _open(case)
    values = _clean(kind, data)
    if kind == "evaluation" and values.get("on") is None:
        raise CaseError(_("Give the date of the evaluation moment."))
    who = _own_people(case, data.get("who") or []) if kind == "agreement" else []
    with transaction.atomic():
        # Lock the plan's row so that two additions at once get different places.
        Plan.objects.select_for_update().filter(pk=plan.pk).update(updated_at=timezone.now())
        last = model.objects.filter(plan=plan).aggregate(last=Max("order"))["last"]
        item = model.objects.create(plan=plan, order=(last or 0) + 1, **values)
        if isinstance(item, Agreement):
            item.who.set(who)
        case.log(item_action(kind, "added"), user=user, data={kind: item.pk})
    return item


def update_item(item: Item, data: dict[str, Any], *, user: User, version: int | None) -> Item:
    kind = kind_of(item)
    case = item.plan.case
    _open(case)
    values = _clean(kind, data)
    # Who does it is changed only when given: a change of other fields keeps them.
    who = _own_people(case, data["who"] or []) if kind == "agreement" and "who" in data else None
    with transaction.atomic():
        _claim_item(item, version)
        type(item).objects.filter(pk=item.pk).update(**values)
        for name, value in values.items():
            setattr(item, name, value)
        if isinstance(item, Agreement) and who is not None:
            item.who.set(who)
        case.log(item_action(kind, "changed"), user=user, data={kind: item.pk})
    return item


def remove_item(item: Item, *, user: User, version: int | None) -> None:
    kind = kind_of(item)
    case = item.plan.case
    _open(case)
    model = type(item)
    with transaction.atomic():
        _claim_item(item, version)
        # Lock the plan's row, as adding and moving do, while the rest close the gap.
        Plan.objects.select_for_update().filter(pk=item.plan_id).update(updated_at=timezone.now())
        pk = item.pk
        item.delete()
        # Only the places change: the others' versions stay, so that someone editing one of
        # them at the same time is not refused for a change they cannot see.
        remaining = model.objects.filter(plan_id=item.plan_id).order_by("order", "pk")
        for number, other in enumerate(remaining.only("pk", "order"), start=1):
            if other.order != number:
                model.objects.filter(pk=other.pk).update(order=number)
        case.log(item_action(kind, "removed"), user=user, data={kind: pk})


def move_item(item: Item, direction: int, *, user: User) -> Item:
    """Move an item one place up (-1) or down (+1) in the order the circle chooses."""
    kind = kind_of(item)
    case = item.plan.case
    _open(case)
    if direction == 0:
        return item
    model = type(item)
    with transaction.atomic():
        Plan.objects.select_for_update().filter(pk=item.plan_id).update(updated_at=timezone.now())
        ordered = list(model.objects.filter(plan_id=item.plan_id).order_by("order", "pk"))
        position = next((i for i, other in enumerate(ordered) if other.pk == item.pk), None)
        if position is None:
            raise CaseError(STALE_ITEM)
        target = position + (1 if direction > 0 else -1)
        if not 0 <= target < len(ordered):
            return item
        ordered[position], ordered[target] = ordered[target], ordered[position]
        for number, other in enumerate(ordered, start=1):
            if other.order != number:
                model.objects.filter(pk=other.pk).update(order=number, version=F("version") + 1)
        case.log(item_action(kind, "moved"), user=user, data={kind: item.pk})
    item.refresh_from_db()
    return item


def kind_of(item: Item) -> str:
    return next(kind for kind, model in KINDS.items() if isinstance(item, model))


# --- The meeting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    information: bool = False
    private_time: bool = False
    plan: bool = False


def record_attendance(
    meeting: Meeting,
    presence: dict[int, Presence],
    *,
    professionals_leave: bool,
    user: User,
    version: int | None,
) -> int:
    """Who was in the room, per part. A scheduled case becomes 'conference held'. Returns
    the number of people present for at least one part."""
    case = meeting.case
    if case.status not in (S.SCHEDULED, S.HELD):
        raise CaseError(_("Attendance is recorded for a scheduled or held conference."))
    if meeting.starts_at is None or timezone.localdate(meeting.starts_at) > timezone.localdate():
        raise CaseError(_("The meeting has not taken place yet."))
    people = {p.pk: p for p in Participant.objects.filter(case=case, pk__in=list(presence))}
    if set(presence) - set(people):
        raise CaseError(_("Choose people from this case's circle."))
    if professionals_leave:
        stayed = [
            people[pk].name
            for pk, p in presence.items()
            if p.private_time and people[pk].is_professional
        ]
        if stayed:
            raise CaseError(
                _(
                    "Professionals leave for the private time in this conference: %(names)s cannot "
                    "have been there. Change the setting if the circle asked them to stay."
                )
                % {"names": ", ".join(sorted(stayed))}
            )
    expected = meeting.version if version is None else version
    with transaction.atomic():
        claim_meeting(meeting, expected)
        Meeting.objects.filter(pk=meeting.pk).update(professionals_leave=professionals_leave)
        meeting.professionals_leave = professionals_leave
        present = {pk: p for pk, p in presence.items() if p.information or p.private_time or p.plan}
        Attendance.objects.filter(meeting=meeting).exclude(
            participant_id__in=list(present)
        ).delete()
        for pk, p in present.items():
            Attendance.objects.update_or_create(
                meeting=meeting,
                participant_id=pk,
                defaults={
                    "information": p.information,
                    "private_time": p.private_time,
                    "plan": p.plan,
                    "recorded_by": user,
                    "recorded_at": timezone.now(),
                },
            )
        case.log(CaseAction.MEETING_ATTENDANCE, user=user, data={"present": len(present)})
        if case.status == S.SCHEDULED:
            # The view checked the user; the move is the system's consequence of attendance.
            change_status(case, S.HELD, user=None, actor=user)
    return len(present)


def set_endorsements(plan: Plan, participants: Iterable[Participant], *, user: User) -> int:
    """Those present who endorse the plan, ticked at the meeting. Endorsements given on
    someone's own page stay. Returns the number of endorsements."""
    case = plan.case
    _open(case)
    chosen = _own_people(case, participants)
    with transaction.atomic():
        plan.endorsements.filter(via=Endorsement.Via.MEETING).exclude(
            participant__in=chosen
        ).delete()
        have = set(plan.endorsements.values_list("participant_id", flat=True))
        Endorsement.objects.bulk_create(
            [
                Endorsement(plan=plan, participant=p, via=Endorsement.Via.MEETING, recorded_by=user)
                for p in chosen
                if p.pk not in have
            ]
        )
        count = plan.endorsements.count()
        case.log(CaseAction.PLAN_ENDORSEMENTS, user=user, data={"endorsed": count})
    return count


def may_endorse_on_own_page(plan: Plan, participant: Participant) -> bool:
    """Someone absent from the plan's presentation who must carry out an agreement can
    endorse the plan on their own page, once it is finalised."""
    if plan.pk is None or participant.declined or participant.case_id != plan.case_id:
        return False
    if plan.outcome != Plan.Outcome.ACCEPTED or not plan.versions.exists():
        return False
    if plan.endorsements.filter(participant=participant).exists():
        return False
    if Attendance.objects.filter(participant=participant, plan=True).exists():
        return False
    return plan.agreements.filter(who=participant).exists()


def endorse_on_own_page(plan: Plan, participant: Participant) -> Endorsement:
    if plan.case.status not in PLAN_OPEN | {S.FOLLOW_UP} or not may_endorse_on_own_page(
        plan, participant
    ):
        raise CaseError(_("You cannot endorse this plan here."))
    with transaction.atomic():
        endorsement, _created = Endorsement.objects.get_or_create(
            plan=plan, participant=participant, defaults={"via": Endorsement.Via.OWN_PAGE}
        )
        plan.case.log(
            CaseAction.PLAN_ENDORSED_ON_OWN_PAGE, user=None, data={"participant": participant.pk}
        )
    return endorsement


def check_bottom_line(
    plan: Plan, bottom_line: BottomLine, *, met: bool, reason: str, user: User
) -> BottomLineCheck:
    """Record what the mandated professional says: the plan meets the bottom line, or not
    (with the reason)."""
    case = plan.case
    _open(case)
    if bottom_line.case_id != case.pk:
        raise CaseError(_("Choose a bottom line of this case."))
    reason = reason.strip()
    if not met and not reason:
        raise CaseError(_("Say why the plan does not meet this bottom line."))
    with transaction.atomic():
        checked, _created = BottomLineCheck.objects.update_or_create(
            plan=plan,
            bottom_line=bottom_line,
            defaults={
                "met": met,
                "reason": "" if met else reason,
                "recorded_by": user,
                "checked_at": timezone.now(),
            },
        )
        case.log(
            CaseAction.PLAN_BOTTOM_LINE, user=user, data={"bottom_line": bottom_line.pk, "met": met}
        )
    return checked


# --- Outcome and versions -------------------------------------------------------------------


def took_part(case: Case) -> list[dict[str, Any]]:
    """Who took part: present at any part of the meeting; without a meeting, everyone who
    said yes."""
    meeting = Meeting.objects.filter(case=case).first()
    present = {}
    if meeting is not None:
        present = {a.participant_id: a for a in Attendance.objects.filter(meeting=meeting)}
    people = Participant.objects.filter(case=case).order_by("name", "pk")
    if case.status == S.PLAN_WITHOUT_MEETING or meeting is None or not present:
        people = people.filter(willingness=Willingness.YES)
    else:
        people = people.filter(pk__in=list(present))
    return [
        {"id": p.pk, "name": p.name, "organisation": p.organisation if p.is_professional else ""}
        for p in people
    ]


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def snapshot(plan: Plan) -> dict[str, Any]:
    """The plan's content as it is now: what a version freezes."""
    case = plan.case
    meeting = Meeting.objects.filter(case=case, cancelled_at__isnull=True).first()
    answers = {a.question_id: a.text for a in plan.answers.all()}
    endorsed = set(plan.endorsements.values_list("participant_id", flat=True))
    checks = {c.bottom_line_id: c for c in plan.bottom_line_checks.all()}
    return {
        "reference": case.reference,
        "place": case.place,
        "variant": case.variant,
        "meeting": None
        if meeting is None or meeting.starts_at is None
        else {
            "starts_at": meeting.starts_at.isoformat(),
            "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
            "venue_name": meeting.venue_name,
            "venue_address": meeting.venue_address,
        },
        "questions": [
            {"text": q.text, "answer": answers.get(q.pk, "")} for q in case.questions.all()
        ],
        "agreements": [
            {
                "what": a.what,
                "who": [p.name for p in a.who.all()],
                "who_ids": [p.pk for p in a.who.all()],
                "organisation": a.who_organisation,
                "where": a.where,
                "when": a.when,
                "on": _date(a.on),
                "until": _date(a.until),
                "recurrence": a.recurrence,
            }
            for a in agreements(plan)
        ],
        "requests": [
            {
                "organisation": r.organisation,
                "request": r.request,
                "reply": r.reply,
                "reply_note": r.reply_note,
            }
            for r in plan.requests.order_by("order", "pk")
        ],
        "monitors": [p.name for p in plan.monitors.order_by("name", "pk")],
        "monitor_note": plan.monitor_note,
        "evaluations": [
            {"on": _date(e.on), "description": e.description}
            for e in plan.evaluations.order_by("on", "order", "pk")
        ],
        "contingency": plan.contingency,
        "participants": [
            {**person, "endorsed": person["id"] in endorsed} for person in took_part(case)
        ],
        "bottom_lines": [
            {
                "text": b.text,
                "set_by": b.set_by,
                "met": checks[b.pk].met if b.pk in checks else None,
                "reason": checks[b.pk].reason if b.pk in checks else "",
            }
            for b in case.bottom_lines.all()
        ],
    }


def finalise(plan: Plan, *, user: User, version: int | None) -> PlanVersion:
    """The circle accepted the plan: freeze it as a version. Refused while an agreement lacks
    what, who or when. Before anyone received the latest version it is replaced; after, a
    change makes a new version and the old ones stay."""
    case = plan.case
    if case.status not in FINALISE_FROM:
        raise CaseError(_("A plan is finalised after the conference, or when there is no meeting."))
    report = check(plan)
    if not report.may_finalise:
        raise CaseError(
            _(
                "The plan cannot be finalised yet: every agreement needs what, who and when "
                "(%(count)s missing)."
            )
            % {"count": len(report.blocking)}
        )
    with transaction.atomic():
        latest = (
            PlanVersion.objects.select_for_update().filter(plan=plan).order_by("-number").first()
        )
        content = snapshot(plan)
        # Compared before the plan is claimed: a refusal leaves the plan's version as it was,
        # also on the copy the page shows again.
        if latest is not None and latest.content == content:
            raise CaseError(
                _("Nothing changed since version %(number)s.") % {"number": latest.number}
            )
        _claim_plan(plan, version)
        now = timezone.now()
        if latest is not None and not latest.deliveries.exists():
            latest.content, latest.finalised_at, latest.finalised_by = content, now, user
            latest.save(update_fields=["content", "finalised_at", "finalised_by"])
            frozen = latest
        else:
            frozen = PlanVersion.objects.create(
                plan=plan,
                number=(latest.number + 1) if latest else 1,
                content=content,
                finalised_by=user,
            )
        Plan.objects.filter(pk=plan.pk).update(
            outcome=Plan.Outcome.ACCEPTED, outcome_reason="", outcome_at=now
        )
        plan.outcome, plan.outcome_reason, plan.outcome_at = Plan.Outcome.ACCEPTED, "", now
        case.log(CaseAction.PLAN_FINALISED, user=user, data={"version": frozen.number})
    return frozen


def record_outcome(plan: Plan, outcome: str, *, reason: str, user: User) -> Plan:
    """The plan was not accepted, or there is no plan: recorded with the reason, and the case
    closes. (An accepted plan is recorded by :func:`finalise`.)"""
    case = plan.case
    if outcome not in (Plan.Outcome.NOT_ACCEPTED, Plan.Outcome.NO_PLAN):
        raise CaseError(_("Choose an outcome."))
    if case.status not in OUTCOME_FROM:
        raise CaseError(
            _("The outcome is recorded after the conference, before the plan is distributed.")
        )
    reason = reason.strip()
    if not reason:
        raise CaseError(_("Give a reason for this step."))
    with transaction.atomic():
        if plan.pk is None:
            # "No plan" often means nothing was written: the outcome still needs a row.
            plan = plan_for(case)
        Plan.objects.filter(pk=plan.pk).update(
            outcome=outcome, outcome_reason=reason, outcome_at=timezone.now()
        )
        plan.outcome, plan.outcome_reason = outcome, reason
        # The view checked the user; closing follows from the outcome.
        change_status(
            case, S.CLOSED, user=None, actor=user, reason=reason, data={"outcome": outcome}
        )
    return plan


# --- Aftercare and handover -----------------------------------------------------------------


def aftercare_due(case: Case) -> dt.date | None:
    """About four weeks after the meeting (or after the plan, without a meeting)."""
    meeting = Meeting.objects.filter(case=case, cancelled_at__isnull=True).first()
    if meeting is not None and meeting.starts_at is not None:
        return aftercare_due_from(meeting.starts_at, None)
    first = PlanVersion.objects.filter(plan__case=case).order_by("number").first()
    return aftercare_due_from(None, first.finalised_at if first else None)


def with_aftercare_starts(cases: QuerySet[Case]) -> QuerySet[Case]:
    """``cases`` with what :func:`aftercare_due` reads per case, as two columns of the one
    query (``aftercare_meeting_at``, ``aftercare_plan_at``): for lists, without a query per
    case. Pass them to :func:`aftercare_due_from`."""
    meeting = Meeting.objects.filter(case=OuterRef("pk"), cancelled_at__isnull=True).order_by(
        "starts_at", "pk"
    )
    version = PlanVersion.objects.filter(plan__case=OuterRef("pk")).order_by("number")
    return cases.annotate(
        aftercare_meeting_at=Subquery(meeting.values("starts_at")[:1]),
        aftercare_plan_at=Subquery(version.values("finalised_at")[:1]),
    )


def aftercare_due_from(
    meeting_at: dt.datetime | None, plan_at: dt.datetime | None
) -> dt.date | None:
    """The aftercare date from the (first, not cancelled) meeting's start, else from the first
    plan version's finalisation; None without either."""
    start = meeting_at if meeting_at is not None else plan_at
    if start is None:
        return None
    return timezone.localdate(start) + dt.timedelta(days=settings.KRING_AFTERCARE_DAYS)


def aftercare_earliest(case: Case) -> dt.date | None:
    """The first day the call may be recorded without a reason: a minimum time after the
    meeting (or after the plan, without a meeting)."""
    due = aftercare_due(case)
    if due is None:
        return None
    start = due - dt.timedelta(days=settings.KRING_AFTERCARE_DAYS)
    return start + dt.timedelta(days=settings.KRING_AFTERCARE_MIN_DAYS)


def aftercare_refusal(
    case: Case, *, on: dt.date, how_it_goes: str, early_reason: str = ""
) -> Promise | str | None:
    """Why this aftercare call cannot be recorded (None: it can)."""
    if case.status not in (S.PLAN_DISTRIBUTED, S.AFTERCARE):
        return _("The aftercare call follows once everyone has the plan.")
    if on > timezone.localdate():
        return _("The call cannot be in the future.")
    first = PlanVersion.objects.filter(plan__case=case).order_by("number").first()
    if first is not None and on < timezone.localdate(first.finalised_at):
        return _("The call comes after the plan was made.")
    if not how_it_goes.strip():
        return _("Write down how it is going.")
    earliest = aftercare_earliest(case)
    if earliest is not None and on < earliest and not early_reason.strip():
        return _(
            "This is early: the aftercare call comes at least %(days)s days after the meeting "
            "(from %(date)s). Say why it is recorded earlier."
        ) % {
            "days": settings.KRING_AFTERCARE_MIN_DAYS,
            "date": formats.date_format(earliest, "j F Y"),
        }
    return None


def record_aftercare(
    case: Case, *, on: dt.date, how_it_goes: str, user: User, early_reason: str = ""
) -> Case:
    """Record the aftercare call; then the case is handed over: the coordinator's role, and
    their access to the case, end. The history keeps what they did. A call before the
    minimum time after the meeting needs a reason, which the history keeps."""
    from kring.plans.models import AftercareCall

    refusal = aftercare_refusal(case, on=on, how_it_goes=how_it_goes, early_reason=early_reason)
    if refusal is not None:
        raise CaseError(refusal)
    earliest = aftercare_earliest(case)
    with transaction.atomic():
        AftercareCall.objects.update_or_create(
            case=case, defaults={"on": on, "how_it_goes": how_it_goes.strip(), "recorded_by": user}
        )
        if earliest is not None and on < earliest:
            case.log(
                CaseAction.AFTERCARE_EARLY,
                user=user,
                reason=early_reason.strip(),
                data={"on": on.isoformat(), "earliest": earliest.isoformat()},
            )
        if case.status == S.PLAN_DISTRIBUTED:
            change_status(case, S.AFTERCARE, user=None, actor=user, dedicated=True)
        change_status(case, S.FOLLOW_UP, user=None, actor=user, dedicated=True)
    return case
