from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role, User
from kring.audit import log as audit
from kring.cases import intake, lifecycle, matching, tally
from kring.cases.access import (
    case_partitions,
    cases_for,
    get_case_for_user,
    get_managed_case,
    manages,
    may_see_people,
    scope_key,
)
from kring.cases.forms import (
    AcceptAssignmentForm,
    AskCoordinatorForm,
    BottomLineForm,
    CaseFilterForm,
    ConflictForm,
    DeclineAssignmentForm,
    FundingForm,
    IntakeForm,
    MoveRegionForm,
    StatusChangeForm,
    VersionForm,
    on_version,
)
from kring.cases.lifecycle import (
    CaseError,
    _precondition,
    accept_assignment,
    active_assignments,
    assign_coordinator,
    attach_coordinator_names,
    available_transitions,
    change_status,
    decline_assignment,
)
from kring.cases.models import (
    Assignment,
    BottomLine,
    Case,
    CaseEvent,
    Funding,
)
from kring.cases.next_step import next_step
from kring.cases.norms import norm_for
from kring.cases.paging import seek_page
from kring.cases.questions import GOOD_EXAMPLES, check_question

# From here on the conference, the plan, its copies and the aftercare have pages.
CONFERENCE = frozenset(
    {"scheduled", "held", "plan_without_meeting", "plan_distributed", "aftercare", "follow_up"}
)
# From here on a case has a circle, dates and a meeting to show.
PREPARED = frozenset(
    {
        "preparation",
        "scheduled",
        "held",
        "plan_without_meeting",
        "plan_distributed",
        "aftercare",
        "follow_up",
        "closed",
        "stopped",
    }
)


@roles_required(Role.REGIONAL_MANAGER, Role.COORDINATOR)
def case_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = CaseFilterForm(request.GET or None, user=user)
    cases = form.apply(cases_for(user)) if form.is_bound else cases_for(user)
    # The scope's pieces, read apart along their own indexes (kring.cases.paging). A text
    # search is not counted past its page: a term found in many cases is counted by visiting
    # its matches (6 ms to 1,000 of them at 100,000 cases on either database); the list says
    # "more than 25" and pages on through every match.
    # On SQLite a manager's plain search is read in one piece, along the plan the term's
    # number of matches calls for (kring.cases.search); anything else as before.
    searching = form.is_bound and form.is_valid() and bool(form.cleaned_data.get("q"))
    # Without a search or a filter the page's plan is the same whatever the values (the
    # scope's regions, the seek point): PostgreSQL may keep it planned. A term's or a status's
    # number of cases calls for a plan of its own each time.
    filtered = form.is_bound and form.is_valid() and any(form.cleaned_data.values())
    page = seek_page(
        cases,
        request.GET,
        settings.KRING_CASE_PAGE_SIZE,
        pieces=case_partitions(user),
        counted=not searching,
        hint=form.search_hint,
        planned=not filtered,
        known=_known_count(user, form),
        key=None if filtered else scope_key(user),
    )
    attach_coordinator_names(page.object_list)
    query = request.GET.copy()
    for key in ("page", "after", "before"):
        query.pop(key, None)
    return render(
        request,
        "cases/case_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _known_count(user: User, form: CaseFilterForm) -> int | None:
    """A manager's list, whole or by status and region, counted from the figures the start
    page shows (kring.cases.tally): exact at any size, in one small query."""
    if not form.is_bound:
        return tally.scope_count(user)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    if any(value for name, value in data.items() if name not in ("status", "region")):
        return None
    return tally.scope_count(
        user, status=data["status"], region=data["region"] and data["region"].pk
    )


def _detail_context(request: HttpRequest, case: Case) -> dict[str, object]:
    user = staff_user(request)
    is_manager = manages(user, case)
    assignments = list(case.assignments.select_related("coordinator"))
    offered = next(
        (
            a
            for a in assignments
            if a.coordinator_id == user.pk and a.state == Assignment.State.OFFERED
        ),
        None,
    )
    step = next_step(case, user)
    return {
        "case": case,
        "is_manager": is_manager,
        "show_people": is_manager or may_see_people(user, case),
        "norm": norm_for(case),
        "questions": list(case.questions.all()),
        "bottom_lines": list(case.bottom_lines.all()),
        "fundings": list(case.fundings.select_related("organisation")),
        "assignments": assignments,
        "offered": offered,
        "accept_form": AcceptAssignmentForm() if offered else None,
        "decline_form": DeclineAssignmentForm(auto_id="decline_%s") if offered else None,
        "move_form": MoveRegionForm(
            initial={"region": case.region, "version": case.version}, auto_id="move_%s"
        )
        if is_manager
        else None,
        "intake_open": is_manager and case.status in intake.INTAKE_OPEN,
        "prepared": case.status in PREPARED,
        "conference": case.status in CONFERENCE,
        "circle_size": case.participants.count(),
        "may_ask": is_manager and _may_ask(case, assignments),
        "events": list(
            CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk")
        ),
        "case_messages": list(case.messages.order_by("-created_at")[:20]),
        "next_step": step,
        # The other moves open to this user now; one whose condition is not met (a plan
        # recorded as distributed before there is a plan) is not offered.
        "transitions": [
            t
            for t in available_transitions(case, user)
            if not t.dedicated and t != step.transition and _precondition(case, t.target) is None
        ],
    }


def _may_ask(case: Case, assignments: list[Assignment]) -> bool:
    from kring.cases.lifecycle import MAX_COORDINATORS, SECOND_COORDINATOR_STATUSES

    active = [a for a in assignments if a.state in matching.ACTIVE]
    return case.status == "accepted" or (
        case.status in SECOND_COORDINATOR_STATUSES and len(active) < MAX_COORDINATORS
    )


@roles_required(Role.REGIONAL_MANAGER, Role.COORDINATOR)
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_for_user(request, reference)
    context = _detail_context(request, case)
    context["status_form"] = StatusChangeForm(initial={"version": case.version})
    if context["show_people"]:
        audit.record(
            request,
            action="view",
            object_type="case",
            object_id=case.pk,
            case_reference=case.reference,
            people=[
                audit.Person("requester", case.pk),
                *[audit.Person("bottom_line_setter", b.pk) for b in context["bottom_lines"]],  # type: ignore[attr-defined]
            ],
        )
    return render(request, "cases/case_detail.html", context)


@require_POST
@roles_required(Role.REGIONAL_MANAGER, Role.COORDINATOR)
def case_change_status(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_for_user(request, reference)
    form = StatusChangeForm(request.POST)
    error: str | None = None
    if not form.is_valid():
        error = _("This step could not be read. Reload the page and try again.")
    elif form.cleaned_data["version"] != case.version:
        error = _("Someone else changed this case in the meantime. Look at it again and retry.")
    else:
        try:
            change_status(
                case,
                form.cleaned_data["target"],
                user=staff_user(request),
                reason=form.cleaned_data["reason"],
            )
        except CaseError as failure:
            error = str(failure.message)
    if error is None:
        messages.success(
            request, _("The case is now: %(status)s.") % {"status": case.get_status_display()}
        )
        return redirect(case)
    context = _detail_context(request, case)
    context["status_form"] = form
    context["status_error"] = error
    context["status_target"] = request.POST.get("target", "")
    return render(
        request, "cases/case_detail.html", context, status=409 if form.is_valid() else 400
    )


# --- Region -----------------------------------------------------------------------------


@require_POST
@roles_required(Role.REGIONAL_MANAGER)
def case_move(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_managed_case(request, reference)
    form = MoveRegionForm(request.POST, auto_id="move_%s")
    error = None
    if not form.is_valid():
        error = _("Choose a region from the list.")
    else:
        try:
            intake.move_region(
                case,
                form.cleaned_data["region"],
                user=staff_user(request),
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except CaseError as failure:
            error = str(failure.message)
    if error is None:
        messages.success(
            request, _("The case is now in %(inbox)s.") % {"inbox": intake.inbox_name(case)}
        )
        if manages(staff_user(request), case):
            return redirect(case)
        return redirect("start")
    context = _detail_context(request, case)
    context.update(status_form=StatusChangeForm(initial={"version": case.version}))
    if form.is_valid():  # refused as stale: offer the choice again on the current version
        form = MoveRegionForm(_with_version(request, case), auto_id="move_%s")
    context.update(move_form=form, move_error=error)
    return render(
        request, "cases/case_detail.html", context, status=409 if form.is_valid() else 400
    )


# --- Intake -----------------------------------------------------------------------------


def _checked(texts: list[str]) -> list[dict[str, object]]:
    return [{"text": text, "warnings": check_question(text)} for text in texts]


def _intake_context(request: HttpRequest, case: Case, **forms: object) -> dict[str, object]:
    questions = [q.text for q in case.questions.all()]
    intake_form = forms.get("intake_form") or IntakeForm(
        requested_on=timezone.localdate(case.requested_at),
        initial={
            "intake_on": case.intake_on,
            "intake_notes": case.intake_notes,
            "version": case.version,
            **{f"question_{i + 1}": text for i, text in enumerate(questions)},
        },
    )
    checks = {}
    for name in IntakeForm.QUESTIONS:
        text = str(intake_form[name].value() or "")[:300]  # type: ignore[index]
        checks[name] = check_question(text)
    return {
        "case": case,
        "intake_form": intake_form,
        "checks": checks,
        "examples": GOOD_EXAMPLES.get(_language_code(), GOOD_EXAMPLES["nl"]),
        "bottom_lines": list(case.bottom_lines.all()),
        "bottom_line_form": forms.get("bottom_line_form")
        or BottomLineForm(initial={"version": case.version}, auto_id="line_%s"),
        "fundings": list(case.fundings.select_related("organisation")),
        "funding_form": forms.get("funding_form") or FundingForm(auto_id="funding_%s"),
        "editable": case.status in intake.INTAKE_OPEN,
        "error": forms.get("error"),
    }


def _with_version(request: HttpRequest, case: Case) -> QueryDict:
    """The submitted data on the case's current version (see ``on_version``)."""
    case.refresh_from_db(fields=["version"])
    return on_version(request.POST, case.version)


def _language_code() -> str:
    from django.utils.translation import get_language

    return (get_language() or "nl")[:2]


@roles_required(Role.REGIONAL_MANAGER)
def case_intake(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_managed_case(request, reference)
    if request.method != "POST":
        context = _intake_context(request, case)
        audit.record(
            request,
            action="view",
            object_type="intake",
            object_id=case.pk,
            case_reference=case.reference,
            people=[
                audit.Person("requester", case.pk),
                *[audit.Person("bottom_line_setter", b.pk) for b in context["bottom_lines"]],  # type: ignore[attr-defined]
                *[
                    audit.Person("funding_contact", f.pk)
                    for f in context["fundings"]  # type: ignore[attr-defined]
                    if f.contact_person
                ],
            ],
        )
        return render(request, "cases/case_intake.html", context)
    form = IntakeForm(request.POST, requested_on=timezone.localdate(case.requested_at))
    error = None
    if form.is_valid():
        try:
            intake.save_intake(
                case,
                intake.IntakeData(
                    intake_on=form.cleaned_data["intake_on"],
                    intake_notes=form.cleaned_data["intake_notes"],
                    questions=form.questions(),
                ),
                user=staff_user(request),
                version=form.cleaned_data["version"],
            )
        except CaseError as failure:
            error = str(failure.message)
            form = IntakeForm(
                _with_version(request, case), requested_on=timezone.localdate(case.requested_at)
            )
        else:
            messages.success(request, _("The intake is saved."))
            warned = sum(1 for text in form.questions() if check_question(text))
            if warned:
                messages.warning(
                    request,
                    _("Look again at the questions marked below: they may not be open."),
                )
            return redirect("case_intake", reference=case.reference)
    context = _intake_context(request, case, intake_form=form, error=error)
    return render(request, "cases/case_intake.html", context, status=409 if error else 400)


@require_POST
@roles_required(Role.REGIONAL_MANAGER)
def question_check(request: HttpRequest) -> HttpResponse:
    """The open-question check for one question as it is typed (HTMX); never blocks."""
    name = request.headers.get("HX-Trigger-Name", "")
    text = request.POST.get(name if name in IntakeForm.QUESTIONS else "question_1", "")
    return render(
        request,
        "cases/question_check.html",
        {"warnings": check_question(text[:300]), "text": text},
    )


@require_POST
@roles_required(Role.REGIONAL_MANAGER)
def bottom_line_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_managed_case(request, reference)
    form = BottomLineForm(request.POST, auto_id="line_%s")
    error = None
    if form.is_valid():
        try:
            intake.add_bottom_line(
                case,
                text=form.cleaned_data["text"],
                set_by=form.cleaned_data["set_by"],
                mandate=form.cleaned_data["mandate"],
                user=staff_user(request),
                version=form.cleaned_data["version"],
            )
        except CaseError as failure:
            error = str(failure.message)
            form = BottomLineForm(_with_version(request, case), auto_id="line_%s")
        else:
            messages.success(request, _("The bottom line is added."))
            return redirect("case_intake", reference=case.reference)
    context = _intake_context(request, case, bottom_line_form=form, error=error)
    return render(request, "cases/case_intake.html", context, status=409 if error else 400)


@require_POST
@roles_required(Role.REGIONAL_MANAGER)
def bottom_line_remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = get_managed_case(request, reference)
    line = get_object_or_404(BottomLine, case=case, pk=pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        error = _("This step could not be read. Reload the page and try again.")
        context = _intake_context(request, case, error=error)
        return render(request, "cases/case_intake.html", context, status=400)
    try:
        intake.remove_bottom_line(
            line, user=staff_user(request), version=form.cleaned_data["version"]
        )
    except CaseError as failure:
        context = _intake_context(request, case, error=str(failure.message))
        return render(request, "cases/case_intake.html", context, status=409)
    messages.success(request, _("The bottom line is removed."))
    return redirect("case_intake", reference=case.reference)


@require_POST
@roles_required(Role.REGIONAL_MANAGER)
def funding_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_managed_case(request, reference)
    form = FundingForm(request.POST, auto_id="funding_%s")
    if form.is_valid():
        intake.save_funding(case, form.to_data(), user=staff_user(request))
        messages.success(request, _("The funding is added."))
        return redirect("case_intake", reference=case.reference)
    context = _intake_context(request, case, funding_form=form)
    return render(request, "cases/case_intake.html", context, status=400)


@roles_required(Role.REGIONAL_MANAGER)
def funding_edit(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    case = get_managed_case(request, reference)
    funding = get_object_or_404(Funding.objects.select_related("organisation"), case=case, pk=pk)
    if request.method != "POST":
        form = FundingForm(initial=FundingForm.initial_for(funding))
        return render(request, "cases/funding_edit.html", {"case": case, "form": form})
    form = FundingForm(request.POST)
    error = None
    if form.is_valid():
        try:
            intake.save_funding(
                case,
                form.to_data(),
                user=staff_user(request),
                funding=funding,
                version=form.cleaned_data["version"],
            )
        except CaseError as failure:
            error = str(failure.message)
            funding.refresh_from_db()
            form = FundingForm(on_version(request.POST, funding.version))
        else:
            messages.success(request, _("The funding is saved."))
            return redirect("case_intake", reference=case.reference)
    return render(
        request,
        "cases/funding_edit.html",
        {"case": case, "form": form, "error": error},
        status=409 if error else 400,
    )


# --- Coordinators -----------------------------------------------------------------------


def _match_context(case: Case, **extra: object) -> dict[str, object]:
    ranked, excluded = matching.match(case)
    return {
        "case": case,
        "ranked": ranked,
        "excluded": excluded,
        "active": active_assignments(case),
        "may_ask": _may_ask(case, list(case.assignments.all())),
        "conflict_form": extra.pop("conflict_form", None) or ConflictForm(),
        **extra,
    }


@roles_required(Role.REGIONAL_MANAGER)
def case_match(request: HttpRequest, reference: str) -> HttpResponse:
    """The ranked coordinators for a case; asking one (POST) emails them."""
    case = get_managed_case(request, reference)
    if request.method != "POST":
        return render(request, "cases/case_match.html", _match_context(case))
    form = AskCoordinatorForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("Choose a coordinator from the list.")
    else:
        try:
            assignment = assign_coordinator(
                case,
                form.cleaned_data["coordinator"],
                user=staff_user(request),
                version=form.cleaned_data["version"],
            )
        except CaseError as failure:
            error = str(failure.message)
        else:
            messages.success(
                request,
                _("%(name)s is asked by email to coordinate this case.")
                % {"name": assignment.coordinator.full_name},
            )
            return redirect(case)
    case.refresh_from_db()
    return render(
        request,
        "cases/case_match.html",
        _match_context(case, error=error),
        status=409 if form.is_valid() else 400,
    )


@require_POST
@roles_required(Role.REGIONAL_MANAGER)
def case_conflict(request: HttpRequest, reference: str) -> HttpResponse:
    """Record that a coordinator has a conflict of interest for this case."""
    case = get_managed_case(request, reference)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        context = _match_context(case, conflict_form=form)
        return render(request, "cases/case_match.html", context, status=400)
    coordinator = form.cleaned_data["coordinator"]
    try:
        lifecycle.declare_conflict(
            case, coordinator, reason=form.cleaned_data["reason"], user=staff_user(request)
        )
    except CaseError as error:
        context = _match_context(case, conflict_form=form, error=error.message)
        return render(request, "cases/case_match.html", context, status=409)
    messages.success(
        request,
        _("%(name)s will not be proposed for this case.") % {"name": coordinator.full_name},
    )
    return redirect("case_match", reference=case.reference)


def _offered(request: HttpRequest, reference: str) -> tuple[Case, Assignment]:
    case = get_case_for_user(request, reference)
    assignment = (
        case.assignments.select_related("case", "coordinator")
        .filter(coordinator=staff_user(request), state=Assignment.State.OFFERED)
        .first()
    )
    if assignment is None:
        raise Http404
    return case, assignment


@require_POST
@roles_required(Role.COORDINATOR)
def assignment_accept(request: HttpRequest, reference: str) -> HttpResponse:
    case, assignment = _offered(request, reference)
    user = staff_user(request)
    form = AcceptAssignmentForm(request.POST)
    error = None
    if form.is_valid():
        try:
            accept_assignment(assignment, user=user, declaration=form.declaration(user.full_name))
        except CaseError as failure:
            error = str(failure.message)
        else:
            messages.success(
                request, _("You accepted the case. Thank you: the preparation can start.")
            )
            return redirect(case)
    else:
        error = _("Tick all three statements of the independence declaration to accept.")
    context = _detail_context(request, case)
    context.update(
        status_form=StatusChangeForm(initial={"version": case.version}),
        accept_form=form,
        assignment_error=error,
    )
    return render(
        request, "cases/case_detail.html", context, status=409 if form.is_valid() else 400
    )


@require_POST
@roles_required(Role.COORDINATOR)
def assignment_decline(request: HttpRequest, reference: str) -> HttpResponse:
    case, assignment = _offered(request, reference)
    form = DeclineAssignmentForm(request.POST, auto_id="decline_%s")
    error = None
    if form.is_valid():
        try:
            decline_assignment(
                assignment,
                user=staff_user(request),
                reason=form.cleaned_data["reason"],
                conflict=form.cleaned_data["conflict"],
            )
        except CaseError as failure:
            error = str(failure.message)
        else:
            messages.success(request, _("You declined the case. The manager has been told."))
            return redirect("start")
    context = _detail_context(request, case)
    context.update(
        status_form=StatusChangeForm(initial={"version": case.version}),
        decline_form=form,
        assignment_error=error,
    )
    return render(
        request, "cases/case_detail.html", context, status=409 if form.is_valid() else 400
    )
