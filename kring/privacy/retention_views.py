"""'Retention periods': how long Kring keeps what, and which cases will be anonymised when."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Role
from kring.privacy import retention

PAGE_SIZE = 50


@roles_required(Role.REGIONAL_MANAGER, Role.ADMINISTRATOR)
def retention_overview(request: HttpRequest) -> HttpResponse:
    """The periods with their reasons, and the finished cases still to be anonymised.

    A regional manager sees their regions' cases and can open them; an administrator sees
    every case but only its reference, status, region and date (no case content).
    """
    user = staff_user(request)
    page = Paginator(retention.upcoming(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/retention.html",
        {
            "periods": retention.periods(),
            "page": page,
            "query": "",
            "now": timezone.now(),
            "link_cases": user.is_regional_manager and not user.is_administrator,
            "all_regions": user.is_administrator,
        },
    )
