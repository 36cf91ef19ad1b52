"""The financiers (GET /onderzoek/financiers/) and the report per financier, as a page and as a
PDF/UA document: aggregates over the funded cases in the user's scope, no names."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kring.accounts.models import Organisation
from kring.audit.models import AccessLog
from kring.cases.models import Case, Funding
from kring.demo import personas
from kring.meetings.models import CostItem
from kring.research import figures
from kring.research import report as reports
from tests.factories import grow
from tests.research.test_dashboards import (
    PERIOD_2026,
    YEAR_2026,
    build_cohort,
    count_queries,
    get,
    secrets_of,
)


def fund(case: Case, organisation: Organisation, decision: str, amount: int | None) -> Funding:
    return Funding.objects.create(
        case=case,
        organisation=organisation,
        decision=decision,
        amount=amount,
        contact_person="Wethouder Geertje Geldgever",
    )


@pytest.fixture
def funded(world):
    """The hand-built cohort, funded: "Gemeente Voorbeeldstad" pays for A and D and was asked
    for B; another financier also pays part of A."""
    cohort = build_cohort(world)
    financier = Organisation.objects.create(
        name="Gemeente Voorbeeldstad", kind=Organisation.Kind.MUNICIPALITY
    )
    other = Organisation.objects.create(name="Woonstichting Elders")
    a_funding = fund(cohort.a, financier, Funding.Decision.APPROVED, 2400)
    fund(cohort.b, financier, Funding.Decision.PENDING, 1850)
    fund(cohort.d, financier, Funding.Decision.APPROVED, 3200)
    fund(cohort.e, financier, Funding.Decision.APPROVED, 999)  # requested in 2025
    other_funding = fund(cohort.a, other, Funding.Decision.APPROVED, 500)
    CostItem.objects.create(
        case=cohort.a, funding=a_funding, description="Zaalhuur", amount=Decimal("120.50")
    )
    CostItem.objects.create(case=cohort.a, funding=a_funding, description="Soep", amount=30)
    CostItem.objects.create(case=cohort.a, funding=other_funding, description="Tolk", amount=99)
    CostItem.objects.create(case=cohort.a, description="Koffie", amount=12)
    return cohort, financier, other


@pytest.mark.django_db
def test_the_report_adds_up_the_funded_cases_of_the_managers_regions(world, funded):
    _cohort, financier, _other = funded
    west = reports.financier_report(Case.objects.filter(region=world.west), financier, YEAR_2026)
    assert [stage.count for stage in west.funnel] == [2, 2, 1, 1, 1, 1]
    assert (west.cases, west.meetings, west.plans, west.follow_up_cases) == (2, 1, 1, 1)
    assert west.agreements == 2
    assert (west.organisation_requests, west.organisation_requests_agreed) == (1, 1)
    assert (west.execution.respondents, west.execution.mean_satisfaction) == (2, 7.0)
    assert west.execution.share_better == 50
    assert [o.count for o in west.execution.outcomes] == [2, 1, 1, 0]
    assert (west.approved_amount, west.approved_fundings) == (Decimal("2400"), 1)
    assert (west.pending_amount, west.pending_fundings, west.refused_fundings) == (
        Decimal("1850"),
        1,
        0,
    )
    assert (west.costs, west.cost_items) == (Decimal("150.50"), 2)

    everywhere = reports.financier_report(Case.objects.all(), financier, YEAR_2026)
    assert everywhere.cases == 3
    assert everywhere.approved_amount == Decimal("5600")
    assert everywhere.agreements == 3


@pytest.mark.django_db
def test_the_report_page(world, funded, client, monkeypatch):
    monkeypatch.setattr(figures, "MIN_RESPONDENTS", 1)  # the cohort's few answers are shown
    _cohort, financier, _other = funded
    client.force_login(world.manager)
    response = get(client, reverse("financier_report", args=[financier.pk]), PERIOD_2026)
    assert response.status_code == 200
    body = response.text
    assert "Report for Gemeente Voorbeeldstad" in body
    assert "Figures for your regions: West." in body
    assert "€ 2,400.00" in body and "€ 1,850.00" in body and "€ 150.50" in body
    assert body.count('role="img"') == 2
    assert "2 (100 %)" in body  # the funnel chart: both cases were accepted
    pdf_link = reverse("financier_report_pdf", args=[financier.pk])
    assert f'href="{pdf_link}?from=2026-01-01&amp;to=2026-12-31"' in body


@pytest.mark.django_db
def test_no_name_or_case_reference_in_the_report_or_its_pdf(world, funded, client):
    cohort, financier, _other = funded
    secrets = secrets_of(cohort.a, cohort.b, cohort.d) | {"Wethouder Geertje Geldgever"}
    references = {c.reference for c in (cohort.a, cohort.b, cohort.c, cohort.d, cohort.e)}
    client.force_login(world.researcher)
    url = reverse("financier_report", args=[financier.pk])
    page = get(client, url, PERIOD_2026).text
    listing = get(client, reverse("financiers")).text
    pdf = get(client, reverse("financier_report_pdf", args=[financier.pk]), PERIOD_2026).content
    text = pdf_text(pdf)
    for body in (page, listing, text):
        assert [s for s in secrets | references if s in body] == []


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.mark.django_db
def test_the_report_as_pdf_ua(world, funded, client):
    _cohort, financier, _other = funded
    client.force_login(world.manager)
    response = get(client, reverse("financier_report_pdf", args=[financier.pk]), PERIOD_2026)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="kring-report-gemeente-voorbeeldstad-20260101-20261231.pdf"'
    )
    assert response["Cache-Control"] == "no-store"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.xmp_metadata
    assert xmp is not None and b"pdfuaid" in xmp.stream.get_data()
    catalog: Any = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/Lang"] == "en"
    assert reader.metadata is not None
    assert reader.metadata.title == "Report for Gemeente Voorbeeldstad"
    text = pdf_text(pdf)
    assert "Gemeente Voorbeeldstad" in text
    assert "1 January 2026 to 31 December 2026" in text
    assert "2,400.00" in text and "150.50" in text
    assert "Figures for your regions: West." in text


@pytest.mark.django_db
def test_the_dutch_pdf(world, funded, client):
    _cohort, financier, _other = funded
    client.force_login(world.researcher)
    response = client.get(
        reverse("financier_report_pdf", args=[financier.pk]),
        PERIOD_2026,
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    catalog: Any = PdfReader(io.BytesIO(response.content)).trailer["/Root"]
    assert catalog["/Lang"] == "nl"
    text = pdf_text(response.content)
    assert "5.600,00" in text  # Dutch number formatting
    assert "januari 2026" in text


@pytest.mark.django_db
def test_a_financier_outside_the_scope_is_not_found(world, funded, client):
    cohort, financier, other = funded
    west_only = Organisation.objects.create(name="Stichting Alleen West")
    fund(cohort.b, west_only, Funding.Decision.APPROVED, 100)
    client.force_login(world.other_manager)  # Zuid: sees the financier of D, not the others
    for name in ("financier_report", "financier_report_pdf"):
        assert get(client, reverse(name, args=[financier.pk]), PERIOD_2026).status_code == 200
        for organisation in (other, west_only):
            assert get(client, reverse(name, args=[organisation.pk])).status_code == 404
        assert get(client, reverse(name, args=[987654])).status_code == 404
    response = get(client, reverse("financier_report", args=[financier.pk]), PERIOD_2026)
    assert response.context["report"].cases == 1
    assert response.context["report"].approved_amount == Decimal("3200")
    # Without a funding at all, an organisation is nobody's financier.
    nobody = Organisation.objects.create(name="Gemeente Zonder Zaken")
    client.force_login(world.researcher)
    assert get(client, reverse("financier_report", args=[nobody.pk])).status_code == 404


@pytest.mark.django_db
def test_who_may_see_the_reports(world, funded, client):
    _cohort, financier, _other = funded
    urls = [
        reverse("financiers"),
        reverse("financier_report", args=[financier.pk]),
        reverse("financier_report_pdf", args=[financier.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(world.coordinator)
    for url in urls:
        assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [{"from": "nonsense"}, {"from": "2026-12-01", "to": "2026-01-01"}, {"to": "99999-01-01"}],
)
def test_a_bad_period_on_the_report(world, funded, client, query):
    _cohort, financier, _other = funded
    client.force_login(world.researcher)
    for name in ("financier_report", "financier_report_pdf"):
        response = get(client, reverse(name, args=[financier.pk]), query)
        assert response.status_code == 400
        assert "utrecht-form-field-error-message" in response.text
    assert not AccessLog.objects.filter(object_type="financier_report").exists()


@pytest.mark.django_db
def test_the_list_of_financiers(world, funded, client, settings):
    _cohort, financier, _other = funded
    client.force_login(world.manager)
    response = get(client, reverse("financiers"))
    assert response.status_code == 200
    rows = {o.name: o.case_count for o in response.context["page"].object_list}
    # Cases of the manager's regions, whenever requested: A, B and E (2025).
    assert rows == {"Gemeente Voorbeeldstad": 3, "Woonstichting Elders": 1}
    assert f'href="{reverse("financier_report", args=[financier.pk])}"' in response.text
    client.force_login(world.other_manager)
    rows = {o.name: o.case_count for o in get(client, reverse("financiers")).context["page"]}
    assert rows == {"Gemeente Voorbeeldstad": 1}

    settings.KRING_CASE_PAGE_SIZE = 5
    for number in range(6):
        fund(world.case, Organisation.objects.create(name=f"Fonds {number}"), "approved", 10)
    client.force_login(world.researcher)
    first = get(client, reverse("financiers"))
    assert first.text.count('scope="row"') == 5
    second = get(client, reverse("financiers"), {"page": 2})
    assert second.text.count('scope="row"') == 3


@pytest.mark.django_db
def test_reading_a_report_is_logged(world, funded, client):
    _cohort, financier, _other = funded
    client.force_login(world.researcher)
    get(client, reverse("financiers"))
    get(client, reverse("financier_report", args=[financier.pk]), PERIOD_2026)
    get(client, reverse("financier_report_pdf", args=[financier.pk]), PERIOD_2026)
    entries = list(
        AccessLog.objects.filter(object_type="financier_report")
        .order_by("pk")
        .values_list("action", "object_id", "person_type", "case_reference")
    )
    assert entries == [
        ("view", "", "", ""),
        ("view", str(financier.pk), "", ""),
        ("download", str(financier.pk), "", ""),
    ]


@pytest.mark.django_db
def test_the_report_and_the_list_run_as_many_queries_for_30_cases_as_for_150(world, client):
    regions = personas.ensure_reference_data()
    personas.ensure_staff(regions)
    grow(30)
    # The financier with the most cases in West after the first round.
    financier = (
        Organisation.objects.filter(fundings__case__region=world.west)
        .order_by("-fundings__amount", "pk")
        .first()
    )
    assert financier is not None
    report_url = reverse("financier_report", args=[financier.pk])
    measured = {}
    for user in (world.manager, world.researcher):
        client.force_login(user)
        client.get(report_url)  # the first request of a session sets it up
        measured[user.pk] = (
            count_queries(client, report_url),
            count_queries(client, reverse("financiers")),
        )
    small_cases = reports.financier_report(Case.objects.all(), financier, YEAR_2026).cases
    grow(120)
    assert Case.objects.count() > 150
    for user in (world.manager, world.researcher):
        client.force_login(user)
        client.get(report_url)
        assert (
            count_queries(client, report_url),
            count_queries(client, reverse("financiers")),
        ) == measured[user.pk]
    assert reports.financier_report(Case.objects.all(), financier, YEAR_2026).cases >= small_cases


@pytest.mark.django_db
def test_too_few_answers_are_not_shown_to_a_financier_or_a_manager(world, funded, client):
    """Two answers in the cohort: a report or a manager's dashboard would show one person's
    satisfaction, so neither shows the answers; a researcher's national figures do."""
    _cohort, financier, _other = funded
    client.force_login(world.manager)
    report = get(client, reverse("financier_report", args=[financier.pk]), PERIOD_2026)
    dashboard = get(client, reverse("dashboard"), PERIOD_2026)
    for page in (report, dashboard):
        assert page.status_code == 200
        assert "To protect them, their answers are not shown" in page.text
        assert "Mean satisfaction with the conference" not in page.text
    client.force_login(world.researcher)
    national = get(client, reverse("dashboard"), PERIOD_2026)
    assert "To protect them" not in national.text
    assert "Mean satisfaction with the conference" in national.text
