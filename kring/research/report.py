"""The report for a financier: what came of the conferences it funds, in aggregates only.

For one organisation and a period, over the cases in the user's scope that the organisation
funds (any ``Funding`` row, whatever its decision) and that were requested in the period: how
far they came, what the plans hold, what the follow-up said, the money approved and the
meeting costs paid from this funding. No names, no references: numbers only.

The same content is a page and a PDF/UA-1 document (WeasyPrint, like the plan).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext

from kring.accounts.models import Organisation
from kring.cases.models import Case, CaseEvent, Funding, Status
from kring.core.pdf import pdf_ua
from kring.meetings.models import CostItem
from kring.plans.models import OrganisationRequest, Plan
from kring.research import figures, summary
from kring.research.period import ClosedPeriod

PDF_TEMPLATE = "research/report_pdf.html"


@dataclass(frozen=True)
class FinancierReport:
    organisation: Organisation
    period: ClosedPeriod
    funnel: list[figures.Stage]
    agreements: int  # in the distributed plans
    organisation_requests: int  # requests to organisations in the distributed plans
    organisation_requests_agreed: int
    organisation_requests_partly: int
    execution: figures.Execution
    approved_amount: Decimal
    approved_fundings: int
    pending_amount: Decimal
    pending_fundings: int
    refused_fundings: int
    costs: Decimal  # meeting costs paid from this organisation's funding
    cost_items: int

    def stage(self, key: str) -> figures.Stage:
        return next(stage for stage in self.funnel if stage.key == key)

    @property
    def cases(self) -> int:
        return self.stage("requested").count

    @property
    def meetings(self) -> int:
        return self.stage("meeting").count

    @property
    def plans(self) -> int:
        return self.stage("plan").count

    @property
    def follow_up_cases(self) -> int:
        return self.stage("follow_up").count


def funded_cases(cases: QuerySet[Case], organisation: Organisation) -> QuerySet[Case]:
    """The cases of ``cases`` that ``organisation`` funds (or was asked to fund)."""
    return cases.filter(pk__in=Funding.objects.filter(organisation=organisation).values("case_id"))


def financier_report(
    cases: QuerySet[Case], organisation: Organisation, period: ClosedPeriod
) -> FinancierReport:
    """The report over ``cases`` (already scoped to the user): six queries, whatever the
    amount of data."""
    funded = funded_cases(cases, organisation)
    cohort = period.apply(funded)
    distributed = Exists(
        CaseEvent.objects.filter(case=OuterRef("case"), to_status=Status.PLAN_DISTRIBUTED)
    )
    items = (
        Plan.objects.filter(case__in=cohort)
        .filter(distributed)
        .aggregate(
            agreement_count=Count("agreements", distinct=True),
            request_count=Count("requests", distinct=True),
            agreed_count=Count(
                "requests",
                filter=Q(requests__reply=OrganisationRequest.Reply.YES),
                distinct=True,
            ),
            partly_count=Count(
                "requests",
                filter=Q(requests__reply=OrganisationRequest.Reply.PARTLY),
                distinct=True,
            ),
        )
    )
    approved, pending = Q(decision=Funding.Decision.APPROVED), Q(decision=Funding.Decision.PENDING)
    money = Funding.objects.filter(organisation=organisation, case__in=cohort).aggregate(
        approved_amount=Sum("amount", filter=approved),
        approved_fundings=Count("pk", filter=approved),
        pending_amount=Sum("amount", filter=pending),
        pending_fundings=Count("pk", filter=pending),
        refused_fundings=Count("pk", filter=Q(decision=Funding.Decision.REFUSED)),
    )
    costs = CostItem.objects.filter(funding__organisation=organisation, case__in=cohort).aggregate(
        total=Sum("amount"), items=Count("pk")
    )
    return FinancierReport(
        organisation=organisation,
        period=period,
        funnel=figures.funnel(funded, period),
        agreements=items["agreement_count"] or 0,
        organisation_requests=items["request_count"] or 0,
        organisation_requests_agreed=items["agreed_count"] or 0,
        organisation_requests_partly=items["partly_count"] or 0,
        execution=figures.execution(funded, period).protected(),
        approved_amount=money["approved_amount"] or Decimal(0),
        approved_fundings=money["approved_fundings"] or 0,
        pending_amount=money["pending_amount"] or Decimal(0),
        pending_fundings=money["pending_fundings"] or 0,
        refused_fundings=money["refused_fundings"] or 0,
        costs=costs["total"] or Decimal(0),
        cost_items=costs["items"] or 0,
    )


def summarised_report(
    areas: Sequence[str], organisation: Organisation, period: ClosedPeriod
) -> FinancierReport:
    """:func:`financier_report` from the summary (:mod:`kring.research.summary`) of ``areas``
    (:func:`kring.research.access.research_areas`): a fixed number of queries over a bounded
    number of rows, whatever the number of cases."""
    found = summary.report(areas, organisation, period)
    money = found.money
    return FinancierReport(
        organisation=organisation,
        period=period,
        funnel=found.funnel,
        agreements=found.items["agreements"],
        organisation_requests=found.items["requests"],
        organisation_requests_agreed=found.items["agreed"],
        organisation_requests_partly=found.items["partly"],
        execution=found.execution.protected(),
        approved_amount=Decimal(money["approved_amount"]),
        approved_fundings=int(money["approved_fundings"]),
        pending_amount=Decimal(money["pending_amount"]),
        pending_fundings=int(money["pending_fundings"]),
        refused_fundings=int(money["refused_fundings"]),
        costs=Decimal(money["costs"]),
        cost_items=int(money["cost_items"]),
    )


def title(report: FinancierReport) -> str:
    return gettext("Report for %(financier)s") % {"financier": report.organisation.name}


def filename(report: FinancierReport) -> str:
    """``kring-report-<financier>-<from>-<to>.pdf``, safe in a Content-Disposition header."""
    name = re.sub(r"[^a-z0-9-]+", "-", slugify(report.organisation.name)).strip("-")
    return f"kring-report-{name or report.organisation.pk}-{report.period.slug()}.pdf"


def report_html(report: FinancierReport, context: dict[str, object]) -> str:
    """The HTML the PDF is made from."""
    return render_to_string(PDF_TEMPLATE, {"report": report, "subject": title(report), **context})


def report_pdf(report: FinancierReport, context: dict[str, object]) -> bytes:
    """The report as PDF/UA-1, in the active language."""
    with translation.override(translation.get_language() or settings.LANGUAGE_CODE):
        html = report_html(report, context)
    return pdf_ua(html)
