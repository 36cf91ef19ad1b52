"""The pseudonymised datasets for researchers: what they hold, and the downloads (CSV, XLSX,
and the data dictionary). Anyone else gets a 404. Every download is logged, without any
personal data (the export holds none)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from kring.accounts.models import User
from kring.audit import log as audit
from kring.core.auth import staff_user
from kring.core.downloads import attachment
from kring.research import exports
from kring.research.access import may_export, research_cases
from kring.research.dataset import DATASETS, Dataset, Period

FORMATS = ("csv", "xlsx")
TEMPLATE = "research/datasets.html"
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("Requested from"), required=False, widget=DATE_WIDGET)
    end = forms.DateField(
        label=_("Requested up to and including"), required=False, widget=DATE_WIDGET
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise ValidationError(_("The end of the period lies before its start."))
        return cleaned

    def period(self) -> Period:
        return Period(self.cleaned_data.get("start"), self.cleaned_data.get("end"))


def _researcher(request: HttpRequest) -> User:
    user = staff_user(request)
    if not may_export(user):
        raise Http404
    return user


def _dataset(slug: str) -> Dataset:
    dataset = DATASETS.get(slug)
    if dataset is None:
        raise Http404
    return dataset


def _page(request: HttpRequest, form: PeriodForm, status: int = 200) -> HttpResponse:
    period = form.period() if form.is_bound and form.is_valid() else Period()
    chosen = {"start": period.start, "end": period.end}
    query = urlencode({name: day.isoformat() for name, day in chosen.items() if day is not None})
    return render(
        request,
        TEMPLATE,
        {"form": form, "datasets": list(DATASETS.values()), "period": period, "query": query},
        status=status,
    )


@require_GET
@login_required
def datasets(request: HttpRequest) -> HttpResponse:
    _researcher(request)
    form = PeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return _page(request, form, status=400)
    return _page(request, form)


@require_GET
@login_required
def download(request: HttpRequest, dataset: str, fmt: str) -> HttpResponseBase:
    return _download(request, dataset, fmt, exports.INTERNATIONAL)


@require_GET
@login_required
def download_dutch(request: HttpRequest, dataset: str) -> HttpResponseBase:
    """The CSV for Excel with Dutch settings: semicolons and a decimal comma."""
    return _download(request, dataset, "csv", exports.DUTCH)


def _download(
    request: HttpRequest, dataset: str, fmt: str, dialect: exports.Dialect
) -> HttpResponseBase:
    user = _researcher(request)
    chosen = _dataset(dataset)
    if fmt not in FORMATS:
        raise Http404
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return _page(request, form, status=400)
    period = form.period()
    rows = chosen.rows(research_cases(user), period)
    suffix = fmt if dialect == exports.INTERNATIONAL else f"{dialect.slug}.{fmt}"
    audit.record(
        request,
        action="export",
        object_type="dataset",
        object_id=f"{chosen.slug}.{suffix} {period}".strip(),
    )
    filename = f"kring-{chosen.slug}-{timezone.localdate():%Y-%m-%d}.{suffix}"
    if fmt == "csv":
        return exports.csv_response(chosen, rows, filename, dialect)
    return exports.xlsx_response(chosen, rows, filename)


@require_GET
@login_required
def dictionary(request: HttpRequest, dataset: str) -> HttpResponse:
    return _dictionary(request, dataset, exports.INTERNATIONAL)


@require_GET
@login_required
def dictionary_dutch(request: HttpRequest, dataset: str) -> HttpResponse:
    return _dictionary(request, dataset, exports.DUTCH)


def _dictionary(request: HttpRequest, dataset: str, dialect: exports.Dialect) -> HttpResponse:
    _researcher(request)
    chosen = _dataset(dataset)
    suffix = "csv" if dialect == exports.INTERNATIONAL else f"{dialect.slug}.csv"
    return attachment(
        exports.dictionary_csv(chosen, dialect),
        f"kring-{chosen.slug}-woordenboek.{suffix}",
        content_type=exports.CSV_TYPE,
    )
