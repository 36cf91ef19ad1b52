"""The conference page — who was there per part, who endorses the plan, the bottom lines,
the outcome — and the aftercare call that hands the case over.

Of the private time Kring records only who was in the room: there is no field for what was
said, on any form here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.audit import log as audit
from kring.cases import confirm
from kring.cases.access import cases_with_people, coordinates, get_people_case
from kring.cases.forms import on_version
from kring.cases.lifecycle import CaseError
from kring.cases.models import BottomLine, Case, Status
from kring.circle.models import Participant, Willingness
from kring.meetings.models import Attendance, Meeting
from kring.plans import services
from kring.plans.conference_forms import (
    PARTS,
    AftercareForm,
    AttendanceForm,
    BottomLineCheckForm,
    EndorsementForm,
    OutcomeForm,
)
from kring.plans.models import AftercareCall, BottomLineCheck, Endorsement, Plan

CASE_ROLES = (Role.REGIONAL_MANAGER, Role.COORDINATOR)
S = Status
# After these, the conference page only shows what was recorded.
LATER = frozenset({S.PLAN_DISTRIBUTED, S.AFTERCARE, S.FOLLOW_UP, S.CLOSED})
AFTERCARE_OPEN = frozenset({S.PLAN_DISTRIBUTED, S.AFTERCARE})


def _still_sees(request: HttpRequest, case: Case) -> bool:
    """Whether the user can still open the case (a coordinator's role ends at the handover,
    or when the case closes)."""
    return cases_with_people(request.user).filter(pk=case.pk).exists()


# --- The conference page --------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A bottom line, what was recorded of it, and its form."""

    bottom_line: BottomLine
    check: BottomLineCheck | None
    form: BottomLineCheckForm


def _held(meeting: Meeting | None) -> bool:
    return (
        meeting is not None
        and meeting.is_scheduled
        and meeting.starts_at is not None
        and timezone.localdate(meeting.starts_at) <= timezone.localdate()
    )


def _page(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    error: str | Promise | None = None,
    attendance_form: AttendanceForm | None = None,
    endorsement_form: EndorsementForm | None = None,
    line_form: tuple[int, BottomLineCheckForm] | None = None,
    outcome_form: OutcomeForm | None = None,
) -> HttpResponse:
    """Render the conference page (after a refusal: with the user's input kept) and record
    whose data it shows."""
    meeting = Meeting.objects.filter(case=case).first()
    people = list(Participant.objects.filter(case=case).order_by("name", "pk"))
    present: dict[int, Attendance] = {}
    if meeting is not None:
        present = {a.participant_id: a for a in Attendance.objects.filter(meeting=meeting)}
    plan = services.plan_of(case)
    endorsed: dict[int, Endorsement] = {}
    checks: dict[int, BottomLineCheck] = {}
    if plan.pk is not None:
        endorsed = {e.participant_id: e for e in plan.endorsements.all()}
        checks = {
            c.bottom_line_id: c for c in plan.bottom_line_checks.select_related("recorded_by")
        }
    bottom_lines = list(case.bottom_lines.all())

    without_meeting = case.status == S.PLAN_WITHOUT_MEETING
    attendance_open = case.status in (S.SCHEDULED, S.HELD) and _held(meeting)
    show_attendance = attendance_open or bool(present)
    after = bool(present) or without_meeting or (plan.pk is not None and case.status in LATER)
    plan_open = case.status in services.PLAN_OPEN
    candidates = _candidates(people, present)
    candidate_ids = {p.pk for p in candidates}
    counts = {part: sum(1 for a in present.values() if getattr(a, part)) for part, _l in PARTS}

    if attendance_form is None and attendance_open and meeting is not None:
        attendance_form = AttendanceForm(
            people=people, meeting=meeting, present=present, auto_id="attendance_%s"
        )
    if endorsement_form is None:
        endorsement_form = EndorsementForm(
            candidates=candidates,
            initial={
                "participants": [
                    pk for pk, e in endorsed.items() if e.via == Endorsement.Via.MEETING
                ]
            },
            auto_id="endorse_%s",
        )
    lines = []
    for line in bottom_lines:
        if line_form is not None and line_form[0] == line.pk:
            form = line_form[1]
        else:
            form = BottomLineCheckForm(
                initial=BottomLineCheckForm.initial_for(checks.get(line.pk)),
                prefix=f"line{line.pk}",
                set_by=line.set_by,
            )
        lines.append(Line(line, checks.get(line.pk), form))

    shown: set[int] = set()
    if show_attendance:
        shown.update(p.pk for p in people)
    if after:
        shown.update(candidate_ids)
        shown.update(endorsed)
    audit.record(
        request,
        action="view",
        object_type="conference",
        object_id=case.pk,
        case_reference=case.reference,
        people=[
            *[audit.Person("participant", p.pk) for p in people if p.pk in shown],
            *[audit.Person("bottom_line_setter", b.pk) for b in bottom_lines],
        ],
    )
    context: dict[str, Any] = {
        "case": case,
        "meeting": meeting,
        "scheduled": meeting is not None and meeting.is_scheduled,
        "held": _held(meeting),
        "people": people,
        "present": present,
        "counts": counts,
        # After a refusal the form stays with the input, whatever the status.
        "attendance_open": attendance_open
        or (attendance_form is not None and attendance_form.is_bound),
        "show_attendance": show_attendance,
        "attendance_form": attendance_form,
        "rows": _read_only_rows(people, present),
        "without_meeting": without_meeting,
        "in_preparation": case.status in (S.PREPARATION, S.SCHEDULED),
        "after": after,
        "plan": plan,
        "plan_open": plan_open,
        "candidates": candidates,
        "endorsed": endorsed,
        "endorse_rows": [(p, endorsed.get(p.pk)) for p in candidates],
        "endorsers": [(p, endorsed[p.pk]) for p in people if p.pk in endorsed],
        "endorsement_form": endorsement_form,
        "selected": endorsement_form.selected(),
        "lines": lines,
        "outcome_form": outcome_form or OutcomeForm(auto_id="outcome_%s"),
        # After a refusal its form stays on the page with the input, whatever the status.
        "outcome_open": case.status in services.OUTCOME_FROM or outcome_form is not None,
        "endorsement_open": plan_open or endorsement_form.is_bound,
        "line_open": after and plan_open,
        "retry_endorsement": endorsement_form.is_bound,
        "retry_outcome": outcome_form is not None,
        "retry_line": line_form[0] if line_form is not None else None,
        "error": error,
    }
    return render(request, "plans/conference.html", context, status=status)


def _candidates(people: list[Participant], present: dict[int, Attendance]) -> list[Participant]:
    """Who can endorse the plan at the meeting: those present at its presentation; without
    a meeting (nobody recorded present), everyone who takes part."""
    if present:
        return [p for p in people if p.pk in present and present[p.pk].plan]
    return [p for p in people if p.willingness == Willingness.YES]


def _read_only_rows(
    people: list[Participant], present: dict[int, Attendance]
) -> list[tuple[Participant, list[bool]]]:
    return [
        (p, [bool(getattr(present[p.pk], part)) for part, _l in PARTS])
        for p in people
        if p.pk in present
    ]


@roles_required(*CASE_ROLES)
def conference(request: HttpRequest, reference: str) -> HttpResponse:
    """The three parts of the conference and who was there; endorsement, bottom lines and
    the outcome of the plan."""
    case = get_people_case(request, reference)
    if request.method != "POST":
        return _page(request, case)
    meeting = Meeting.objects.filter(case=case).first()
    if meeting is None or not meeting.is_scheduled:
        return _page(
            request,
            case,
            status=409,
            error=_("There is no meeting to record attendance for."),
        )
    people = list(Participant.objects.filter(case=case).order_by("name", "pk"))
    form = AttendanceForm(request.POST, people=people, meeting=meeting, auto_id="attendance_%s")
    if not form.is_valid():
        return _page(request, case, status=400, attendance_form=form)
    presence = form.presence()
    try:
        services.record_attendance(
            meeting,
            presence,
            professionals_leave=form.cleaned_data["professionals_leave"],
            user=staff_user(request),
            version=form.cleaned_data["version"],
        )
    except CaseError as failure:
        meeting.refresh_from_db()
        case.refresh_from_db()
        if meeting.version != form.cleaned_data["version"]:
            # Someone else saved in the meantime: offer this input on the current version.
            form = AttendanceForm(
                on_version(request.POST, meeting.version),
                people=people,
                meeting=meeting,
                auto_id="attendance_%s",
            )
        return _page(request, case, status=409, error=failure.message, attendance_form=form)
    counts = {part: sum(1 for p in presence.values() if getattr(p, part)) for part, _l in PARTS}
    messages.success(
        request,
        _(
            "Attendance is recorded: %(information)s at the information, %(private_time)s in "
            "the private time, %(plan)s at the presentation of the plan."
        )
        % counts,
    )
    return redirect("conference", reference=reference)


@require_POST
@roles_required(*CASE_ROLES)
def endorsements(request: HttpRequest, reference: str) -> HttpResponse:
    """Who endorsed the plan at the meeting (or, without one, among those taking part)."""
    case = get_people_case(request, reference)
    meeting = Meeting.objects.filter(case=case).first()
    people = list(Participant.objects.filter(case=case).order_by("name", "pk"))
    present = (
        {a.participant_id: a for a in Attendance.objects.filter(meeting=meeting)}
        if meeting is not None
        else {}
    )
    form = EndorsementForm(
        request.POST, candidates=_candidates(people, present), auto_id="endorse_%s"
    )
    if not form.is_valid():
        return _page(request, case, status=400, endorsement_form=form)
    if not present and case.status != S.PLAN_WITHOUT_MEETING and case.status not in LATER:
        return _page(
            request,
            case,
            status=409,
            error=_("Record who was at the meeting first."),
            endorsement_form=form,
        )
    try:
        with transaction.atomic():
            plan = services.plan_for(case)
            count = services.set_endorsements(plan, form.chosen(), user=staff_user(request))
    except CaseError as failure:
        case.refresh_from_db()
        return _page(request, case, status=409, error=failure.message, endorsement_form=form)
    messages.success(request, _("Endorsements are recorded: %(count)s in all.") % {"count": count})
    return redirect("conference", reference=reference)


@require_POST
@roles_required(*CASE_ROLES)
def bottom_line_check(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Whether the plan meets a bottom line, as the professional who set it says."""
    case = get_people_case(request, reference)
    line = get_object_or_404(BottomLine, case=case, pk=pk)
    form = BottomLineCheckForm(request.POST, prefix=f"line{line.pk}", set_by=line.set_by)
    if not form.is_valid():
        return _page(request, case, status=400, line_form=(line.pk, form))
    try:
        with transaction.atomic():
            plan = services.plan_for(case)
            services.check_bottom_line(
                plan,
                line,
                met=form.is_met,
                reason=form.cleaned_data["reason"],
                user=staff_user(request),
            )
    except CaseError as failure:
        case.refresh_from_db()
        return _page(request, case, status=409, error=failure.message, line_form=(line.pk, form))
    messages.success(
        request,
        _("Recorded for %(set_by)s: the plan meets this bottom line.") % {"set_by": line.set_by}
        if form.is_met
        else _("Recorded for %(set_by)s: the plan does not meet this bottom line.")
        % {"set_by": line.set_by},
    )
    return redirect("conference", reference=reference)


@require_POST
@roles_required(*CASE_ROLES)
def plan_outcome(request: HttpRequest, reference: str) -> HttpResponse:
    """The plan was not accepted, or there is no plan: the reason is recorded and the case
    closes. (An accepted plan is finalised on the plan page.)"""
    case = get_people_case(request, reference)
    form = OutcomeForm(request.POST, auto_id="outcome_%s")
    if not form.is_valid():
        return _page(request, case, status=400, outcome_form=form)
    try:
        with transaction.atomic():
            plan = services.plan_for(case)
            services.record_outcome(
                plan,
                form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                user=staff_user(request),
            )
    except CaseError as failure:
        case.refresh_from_db()
        return _page(request, case, status=409, error=failure.message, outcome_form=form)
    label = Plan.Outcome(form.cleaned_data["outcome"]).label
    if _still_sees(request, case):
        messages.success(
            request,
            _("Recorded: %(outcome)s. The case is closed.") % {"outcome": label},
        )
        return redirect(case)
    messages.success(
        request,
        _("Recorded: %(outcome)s. The case is closed: your part in this case has ended.")
        % {"outcome": label},
    )
    return redirect("start")


# --- Aftercare --------------------------------------------------------------------------------


def _aftercare_page(
    request: HttpRequest,
    case: Case,
    form: AftercareForm,
    *,
    status: int = 200,
    error: str | Promise | None = None,
) -> HttpResponse:
    plan = services.plan_of(case)
    latest = services.latest_version(plan)
    content: dict[str, Any] = latest.content if latest is not None else {}
    meeting = Meeting.objects.filter(case=case, cancelled_at__isnull=True).first()
    call = AftercareCall.objects.filter(case=case).select_related("recorded_by").first()
    due = services.aftercare_due(case)
    shown = {person["id"] for person in content.get("participants", [])}
    for agreement in content.get("agreements", []):
        shown.update(agreement.get("who_ids", []))
    audit.record(
        request,
        action="view",
        object_type="aftercare",
        object_id=case.pk,
        case_reference=case.reference,
        people=[audit.Person("participant", pk) for pk in sorted(shown)],
    )
    context = {
        "case": case,
        "meeting": meeting if meeting is not None and meeting.is_scheduled else None,
        "due": due,
        "earliest": services.aftercare_earliest(case),
        "overdue": due is not None and due < timezone.localdate() and call is None,
        "latest": latest,
        "content": content,
        "call": call,
        # After a refusal the form stays with the input, whatever the status.
        "aftercare_open": case.status in AFTERCARE_OPEN or form.is_bound,
        "form": form,
        "error": error,
    }
    return render(request, "plans/aftercare.html", context, status=status)


@roles_required(*CASE_ROLES)
def aftercare(request: HttpRequest, reference: str) -> HttpResponse:
    """The call about four weeks after the meeting; recording it hands the case over, and the
    coordinator's part (and access) ends."""
    case = get_people_case(request, reference)
    if request.method != "POST":
        return _aftercare_page(request, case, AftercareForm.blank())
    form = AftercareForm(request.POST, auto_id="aftercare_%s")
    if not form.is_valid():
        return _aftercare_page(request, case, form, status=400)
    data = {
        "on": form.cleaned_data["on"],
        "how_it_goes": form.cleaned_data["how_it_goes"],
        "early_reason": form.cleaned_data["early_reason"],
    }
    if not confirm.confirmed(request) and services.aftercare_refusal(case, **data) is None:
        user = staff_user(request)
        ends = [_("The case is handed over to the follow-up by the researchers.")]
        if coordinates(user, case):
            ends.append(_("Your part as coordinator, and your access to this case, end."))
        return confirm.confirmation_page(
            request,
            case,
            title=_("Record the aftercare call and hand the case over?"),
            consequences=[
                _("The aftercare call of %(day)s is recorded.")
                % {"day": date_format(data["on"], "j F Y")},
                *ends,
            ],
            button=_("Yes, record the call and hand the case over"),
            back=reverse("aftercare", args=[case.reference]),
        )
    try:
        services.record_aftercare(case, user=staff_user(request), **data)
    except CaseError as failure:
        case.refresh_from_db()
        return _aftercare_page(request, case, form, status=409, error=failure.message)
    if _still_sees(request, case):
        messages.success(
            request,
            _("The aftercare call is recorded and the case is handed over to the follow-up."),
        )
        return redirect("aftercare", reference=reference)
    messages.success(
        request,
        _(
            "The aftercare call is recorded and the case is handed over. Thank you: your part "
            "in this case has ended."
        ),
    )
    return redirect("start")
