"""'Who viewed this case': the access log of one case, for its regional manager."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kring.accounts.models import Role
from kring.audit.models import AccessLog
from kring.cases.access import get_managed_case
from kring.core.auth import roles_required


@roles_required(Role.REGIONAL_MANAGER)
def case_access(request: HttpRequest, reference: str) -> HttpResponse:
    case = get_managed_case(request, reference)
    entries = (
        AccessLog.objects.filter(case_reference=case.reference)
        .select_related("user")
        .order_by("-pk")
    )
    page = Paginator(entries, settings.KRING_CASE_PAGE_SIZE * 2).get_page(request.GET.get("page"))
    return render(request, "audit/case_access.html", {"case": case, "page": page, "query": ""})
