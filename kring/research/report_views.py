"""The financiers in the user's scope, and the report per financier as a page and a PDF.

Managers see the financiers of their regions' cases, researchers and administrators all of
them; a financier outside the scope is a 404. Reports hold aggregates only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Organisation, User
from kring.audit import log as audit
from kring.core.downloads import attachment
from kring.research import report as reports
from kring.research import summary
from kring.research.access import financiers_for, research_areas
from kring.research.period import FiguresPeriodForm
from kring.research.views import (
    FIGURE_ROLES,
    execution_chart,
    funnel_chart,
    period_text,
    region_choices,
    scope_text,
)

REPORT_TEMPLATE = "research/report.html"


@roles_required(*FIGURE_ROLES)
def financiers(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    organisations = (
        financiers_for(user)
        .annotate(case_count=summary.financier_case_count(research_areas(user)))
        .order_by("name", "pk")
    )
    page = Paginator(organisations, settings.KRING_CASE_PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(request, action="view", object_type="financier_report")
    return render(request, "research/financiers.html", {"page": page, "query": ""})


def _financier(user: User, pk: int) -> Organisation:
    organisation = financiers_for(user).filter(pk=pk).first()
    if organisation is None:
        raise Http404
    return organisation


def _report(
    request: HttpRequest, pk: int
) -> tuple[Organisation, FiguresPeriodForm, reports.FinancierReport | None]:
    user = staff_user(request)
    organisation = _financier(user, pk)
    form = FiguresPeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return organisation, form, None
    report = reports.summarised_report(research_areas(user), organisation, form.period())
    return organisation, form, report


def _context(user: User, report: reports.FinancierReport) -> dict[str, Any]:
    return {
        "report": report,
        "scope_text": scope_text(user, region_choices(user), ""),
        "period_text": period_text(report.period),
        "title": reports.title(report),
    }


@roles_required(*FIGURE_ROLES)
def report(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    organisation, form, result = _report(request, pk)
    context: dict[str, Any] = {"form": form, "organisation": organisation}
    if result is None:
        return render(request, REPORT_TEMPLATE, context, status=400)
    context.update(_context(user, result))
    context["charts"] = {
        "funnel": funnel_chart(result.funnel, "chart-report-funnel"),
        "execution": execution_chart(result.execution, "chart-report-execution"),
    }
    context["pdf_query"] = request.GET.urlencode()
    audit.record(request, action="view", object_type="financier_report", object_id=organisation.pk)
    return render(request, REPORT_TEMPLATE, context)


@roles_required(*FIGURE_ROLES)
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    organisation, form, result = _report(request, pk)
    if result is None:
        return render(
            request, REPORT_TEMPLATE, {"form": form, "organisation": organisation}, status=400
        )
    pdf = reports.report_pdf(result, _context(user, result))
    audit.record(
        request, action="download", object_type="financier_report", object_id=organisation.pk
    )
    return attachment(pdf, reports.filename(result))
