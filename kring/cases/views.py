from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kring.accounts.models import Role
from kring.cases.access import cases_for, get_case_for_user, may_see_people
from kring.cases.forms import CaseFilterForm, StatusChangeForm
from kring.cases.lifecycle import CaseError, available_transitions, change_status
from kring.cases.models import Assignment, Case, CaseEvent
from kring.core.auth import roles_required, staff_user

ACTIVE_ASSIGNMENTS = Prefetch(
    "assignments",
    queryset=Assignment.objects.filter(
        state__in=[Assignment.State.OFFERED, Assignment.State.ACCEPTED]
    ).select_related("coordinator"),
    to_attr="active_assignments",
)


@roles_required(Role.REGIONAL_MANAGER, Role.COORDINATOR)
def case_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = CaseFilterForm(request.GET or None)
    cases = form.apply(cases_for(user)) if form.is_bound else cases_for(user)
    cases = (
        cases.select_related("region", "municipality")
        .prefetch_related(ACTIVE_ASSIGNMENTS)
        .order_by("-requested_at", "-pk")
    )
    page = Paginator(cases, settings.KRING_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _detail_context(request: HttpRequest, case: Case) -> dict[str, object]:
    user = staff_user(request)
    return {
        "case": case,
        "show_people": may_see_people(user, case),
        "questions": list(case.questions.all()),
        "assignments": list(case.assignments.select_related("coordinator")),
        "events": list(
            CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk")
        ),
        "case_messages": list(case.messages.order_by("-created_at")[:20]),
        "transitions": available_transitions(case, user),
    }


@roles_required(Role.REGIONAL_MANAGER, Role.COORDINATOR)
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_case_for_user(request, reference)
    context = _detail_context(request, case)
    context["status_form"] = StatusChangeForm(initial={"version": case.version})
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
