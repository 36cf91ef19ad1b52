"""The pseudonymised datasets for researchers: what they hold, and the downloads (CSV, XLSX,
and the data dictionary). Anyone else gets a 404. Every download is logged, without any
personal data (the export holds none)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from kring.accounts.auth import staff_user
from kring.accounts.models import User
from kring.audit import log as audit
from kring.core.downloads import attachment
from kring.research import export_files, exports
from kring.research.access import export_files_for, may_export, research_cases
from kring.research.dataset import DATASETS, Dataset
from kring.research.period import Period, PeriodForm

FORMATS = ("csv", "xlsx")
TEMPLATE = "research/datasets.html"


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
    user = _researcher(request)
    return render(
        request,
        TEMPLATE,
        {
            "form": form,
            "datasets": list(DATASETS.values()),
            "period": period,
            "query": query,
            "files": list(export_files_for(user)[:10]),
            "file_formats": FILE_FORMATS,
        },
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
    suffix = fmt if dialect == exports.INTERNATIONAL else f"{dialect.slug}.{fmt}"
    rows_count = export_files.row_count(chosen, user, period)
    if rows_count > settings.KRING_EXPORT_DIRECT_MAX_ROWS:
        # Too large to stream within a request: the worker makes it into a file (asked with
        # the button on this page, a POST).
        return render(
            request,
            "research/export_large.html",
            {
                "dataset": chosen,
                "fmt": suffix,
                "period": period,
                "rows": rows_count,
                "limit": settings.KRING_EXPORT_DIRECT_MAX_ROWS,
            },
        )
    rows = chosen.rows(research_cases(user), period)
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


# --- Export files, made by the worker (issue 18) ------------------------------------------

FILE_FORMATS = [
    ("nl.csv", _("CSV (Dutch Excel: semicolon, decimal comma)")),
    ("csv", _("CSV (international: comma, decimal point)")),
    ("xlsx", _("Excel workbook")),
]


class ExportFileForm(PeriodForm):
    dataset = forms.ChoiceField(label=_("Dataset"), choices=[])
    fmt = forms.ChoiceField(label=_("Format"), choices=FILE_FORMATS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(d.slug, d.title) for d in DATASETS.values()]
        self.fields["dataset"].choices = choices  # type: ignore[attr-defined]


@require_POST
@login_required
def export_file_request(request: HttpRequest) -> HttpResponse:
    """Ask the worker to make an export into a file; then its page shows the progress."""
    user = _researcher(request)
    form = ExportFileForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    job = export_files.request_export(
        user, DATASETS[form.cleaned_data["dataset"]], form.cleaned_data["fmt"], form.period()
    )
    return redirect("export_file", job.pk)


def _refused(request: HttpRequest, form: ExportFileForm) -> HttpResponse:
    errors = [str(error) for errors in form.errors.values() for error in errors]
    return render(request, "research/export_refused.html", {"errors": errors}, status=400)


def _own_file(request: HttpRequest, pk: int) -> Any:
    user = _researcher(request)
    job = export_files_for(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


@require_GET
@login_required
def export_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file's progress (the page reloads itself while the worker works), then the link."""
    job = _own_file(request, pk)
    return render(
        request,
        "research/export_file.html",
        {
            "job": job,
            "title": DATASETS[job.dataset].title,
            "period": job.period,
            "ready": export_files.available(job) is not None,
            "working": job.state in (job.State.QUEUED, job.State.RUNNING),
        },
    )


@require_GET
@login_required
def export_file_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The whole file (its length in the headers), only for the researcher who asked."""
    job = _own_file(request, pk)
    path = export_files.available(job)
    if path is None:
        raise Http404
    audit.record(
        request,
        action="export",
        object_type="dataset",
        object_id=f"{job.dataset}.{job.fmt} {job.period}".strip(),
    )
    content_type = exports.XLSX_TYPE if job.fmt == "xlsx" else exports.CSV_TYPE
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=export_files.filename(job),
        content_type=content_type,
    )
    response["Cache-Control"] = "no-store"
    return response
