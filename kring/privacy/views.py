"""'Who viewed this case': the access log of one case, for its regional manager."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.audit.models import AccessLog, ErasureRequest
from kring.cases.access import get_managed_case, managed_cases
from kring.cases.lifecycle import CaseError
from kring.cases.models import Case
from kring.circle.models import Participant
from kring.core.downloads import attachment
from kring.privacy import display, rights


@roles_required(Role.REGIONAL_MANAGER)
def case_access(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_managed_case(request, reference)
    entries = (
        AccessLog.objects.filter(case_reference=case.reference)
        .select_related("user")
        .order_by("-pk")
    )
    page = Paginator(entries, settings.KRING_CASE_PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/case_access.html",
        {"case": case, "page": page, "rows": display.rows(case, page.object_list), "query": ""},
    )


# --- The rights of the people in the data -----------------------------------------------


def _person_label(case: Case, kind: str, pk: int) -> str:
    if kind == ErasureRequest.Kind.REQUESTER and pk == case.pk:
        return case.requester_name
    participant = Participant.objects.filter(case=case, pk=pk).first()
    if kind == ErasureRequest.Kind.PARTICIPANT and participant is not None:
        return participant.name
    raise Http404


@roles_required(Role.REGIONAL_MANAGER)
def person_rights(request: HttpRequest, reference: str, kind: str, pk: int) -> HttpResponse:
    """Export and erasure for one requester or participant of a case."""
    case = get_managed_case(request, reference)
    name = _person_label(case, kind, pk)
    context = {
        "case": case,
        "kind": kind,
        "pk": pk,
        "name": name,
        "exported": case.events.filter(
            action="person.exported", data__kind=kind, data__person=pk
        ).exists(),
        "requests": list(
            ErasureRequest.objects.filter(case=case, kind=kind, person_id=pk).select_related(
                "requested_by", "confirmed_by"
            )
        ),
        "error": None,
    }
    if request.method == "POST":
        try:
            rights.request_erasure(
                case,
                kind,
                pk,
                reason=request.POST.get("reason", "")[:500],
                user=staff_user(request),
            )
        except CaseError as failure:
            context["error"] = failure.message
            return render(request, "audit/person_rights.html", context, status=409)
        messages.success(
            request, _("The erasure is requested. A second person must now confirm it.")
        )
        return redirect("person_rights", reference=reference, kind=kind, pk=pk)
    return render(request, "audit/person_rights.html", context)


@roles_required(Role.REGIONAL_MANAGER)
def person_export(
    request: HttpRequest, reference: str, kind: str, pk: int, fmt: str
) -> HttpResponse:
    case = get_managed_case(request, reference)
    _person_label(case, kind, pk)
    if fmt not in ("json", "pdf"):
        raise Http404
    try:
        data = rights.export(case, kind, pk)
    except CaseError as error:
        raise Http404 from error
    rights.record_export(request, case, kind, pk, fmt, user=staff_user(request))
    filename = f"{case.reference}-{kind}-{pk}"
    if fmt == "json":
        return attachment(
            json.dumps(data, indent=2, ensure_ascii=False),
            f"{filename}.json",
            content_type="application/json",
        )
    return attachment(rights.export_pdf(data), f"{filename}.pdf")


@require_POST
@roles_required(Role.REGIONAL_MANAGER, Role.ADMINISTRATOR)
def erasure_confirm(request: HttpRequest, reference: str, request_pk: int) -> HttpResponse:
    """The second person confirms: another manager of the region, or an administrator."""
    user = staff_user(request)
    if user.is_administrator:
        case = get_object_or_404(Case, reference=reference)
    else:
        case = get_managed_case(request, reference)
    erasure = get_object_or_404(ErasureRequest, case=case, pk=request_pk)
    try:
        rights.confirm_erasure(erasure, user=user)
    except CaseError as failure:
        messages.error(request, str(failure.message))
        return redirect("erasure_requests")
    messages.success(request, _("The data of this person is erased."))
    return redirect("erasure_requests")


@roles_required(Role.REGIONAL_MANAGER, Role.ADMINISTRATOR)
def erasure_requests(request: HttpRequest) -> HttpResponse:
    """Open erasure requests this user may confirm (not their own)."""
    user = staff_user(request)
    pending = ErasureRequest.objects.filter(confirmed_at__isnull=True).select_related(
        "case", "requested_by"
    )
    if not user.is_administrator:
        pending = pending.filter(case__in=managed_cases(user))
    return render(
        request,
        "audit/erasure_requests.html",
        {"pending": list(pending.order_by("requested_at")[:100])},
    )
