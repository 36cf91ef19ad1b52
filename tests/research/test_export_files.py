"""Large research exports built by the worker into a file (issue 18, point 6): asked for,
built with progress, downloaded whole by the researcher who asked and nobody else, logged,
deleted after the retention; a build stopped halfway is never a file marked done, and goes
back in the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kring.audit.models import AccessLog
from kring.messaging.models import OutboxMessage
from kring.research import export_files, exports
from kring.research.models import ExportFile
from kring.research.period import Period
from kring.research.tasks import build_export_file
from tests.factories import CaseFactory, UserFactory
from tests.research.test_dataset_export import EN, csv_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(world, settings):
    for i in range(12):
        CaseFactory(region=world.west if i % 2 else world.zuid, place=f"Plein {i}")
    settings.KRING_EXPORT_DIRECT_MAX_ROWS = 5  # 13 cases: a large export here
    return world


def _ask(client, **data: str) -> ExportFile:
    with TestCase.captureOnCommitCallbacks(execute=True):  # the task is sent after the commit
        response = client.post("/onderzoek/gegevens/bestanden/", data, **EN)
    assert response.status_code == 302
    job = ExportFile.objects.latest("pk")
    assert response["Location"] == f"/onderzoek/gegevens/bestanden/{job.pk}/"
    return job


def _run_tasks() -> None:
    """What the worker does with the queue: run each queued build (the worker command itself
    closes the connection, which a test's transaction cannot have)."""
    queued = DBTaskResult.objects.filter(task_path=build_export_file.module_path)
    assert queued.exists()
    for result in queued:
        build_export_file.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
    queued.delete()


def test_a_large_export_is_made_by_the_worker_and_downloaded_whole(many, client, settings):
    client.force_login(many.researcher)
    # The direct link offers the file instead of streaming a large export.
    offer = client.get("/onderzoek/gegevens/zaken.csv", **EN)
    assert offer.status_code == 200 and not offer.streaming
    assert "Make the file" in offer.content.decode()
    assert "13 rows" in offer.content.decode()

    job = _ask(client, dataset="zaken", fmt="csv")
    assert job.state == ExportFile.State.QUEUED and job.requested_by == many.researcher
    page = client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/", **EN).content.decode()
    assert 'data-hx-trigger="every 3s"' in page  # follows the progress with JavaScript
    assert f'href="/onderzoek/gegevens/bestanden/{job.pk}/">Refresh now' in page  # and without
    assert "Waiting for the worker." in page
    assert f"/onderzoek/gegevens/bestanden/{job.pk}/download" not in page
    assert client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/download").status_code == 404

    _run_tasks()
    job.refresh_from_db()
    assert job.state == ExportFile.State.DONE
    assert (job.rows_done, job.rows_total, job.percent) == (13, 13, 100)
    assert job.finished_at is not None and job.expires_at is not None
    assert job.expires_at == job.finished_at + dt.timedelta(hours=24)
    page = client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/", **EN).content.decode()
    assert "data-hx-trigger" not in page  # done: no more polling
    assert "The file is ready: 13 rows." in page
    dutch = client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/", HTTP_ACCEPT_LANGUAGE="nl")
    assert "Het bestand is klaar: 13 rijen." in dutch.content.decode()

    # The email says it is ready, with a link and no data.
    mail = OutboxMessage.objects.get(purpose="research.export_file")
    assert mail.to_addresses == [many.researcher.email]
    assert f"/onderzoek/gegevens/bestanden/{job.pk}/" in mail.body_text
    assert "Plein" not in mail.body_text and "kring-end" not in mail.body_text

    response = client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/download", **EN)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(content) == job.size
    assert response["Content-Type"] == exports.CSV_TYPE
    assert exports.complete(content) == 13
    assert len(csv_rows(content)) == 13
    # A download of the file cut off anywhere is not complete (the end line counts the rows;
    # tests/research/test_export_end_line.py tries every offset of the streamed CSV).
    for cut in (1, 100, len(content) // 2, len(content) - 30, len(content) - 2):
        assert exports.complete(content[:cut]) is None, cut
    # The same bytes as the direct export.
    settings.KRING_EXPORT_DIRECT_MAX_ROWS = 1000
    direct = client.get("/onderzoek/gegevens/zaken.csv", **EN)
    assert b"".join(direct.streaming_content) == content
    logged = AccessLog.objects.filter(object_type="dataset", action="export")
    assert list(logged.values_list("user_id", "object_id")) == [
        (many.researcher.pk, "zaken.csv"),
        (many.researcher.pk, "zaken.csv"),
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "nl.csv"])
def test_the_other_formats_and_a_period(many, client, fmt):
    client.force_login(many.researcher)
    today = timezone.localdate().isoformat()
    job = _ask(client, dataset="antwoorden" if fmt == "xlsx" else "zaken", fmt=fmt, start=today)
    assert job.start == timezone.localdate()
    _run_tasks()
    job.refresh_from_db()
    assert job.state == ExportFile.State.DONE
    response = client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/download")
    content = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(content)
    if fmt == "xlsx":
        assert content.startswith(b"PK") and response["Content-Type"] == exports.XLSX_TYPE
    else:
        assert exports.complete(content) == 13
        assert content.decode("utf-8-sig").split("\r\n")[0].count(";") > 10


def test_another_researcher_gets_a_404(many, client):
    client.force_login(many.researcher)
    job = _ask(client, dataset="zaken", fmt="csv")
    _run_tasks()
    other = UserFactory(is_researcher=True)
    client.force_login(other)
    for path in (
        f"/onderzoek/gegevens/bestanden/{job.pk}/",
        f"/onderzoek/gegevens/bestanden/{job.pk}/download",
    ):
        assert client.get(path).status_code == 404, path
    assert f"/bestanden/{job.pk}/" not in client.get("/onderzoek/gegevens/").content.decode()
    client.force_login(many.manager)
    assert client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/download").status_code == 404
    assert (
        client.post(
            "/onderzoek/gegevens/bestanden/", {"dataset": "zaken", "fmt": "csv"}
        ).status_code
        == 404
    )


def test_bad_input_is_refused_and_changes_nothing(many, client):
    client.force_login(many.researcher)
    for data in (
        {"dataset": "personen", "fmt": "csv"},
        {"dataset": "zaken", "fmt": "pdf"},
        {"dataset": "zaken", "fmt": "csv", "start": "2026-06-01", "end": "2026-01-01"},
    ):
        response = client.post("/onderzoek/gegevens/bestanden/", data, **EN)
        assert response.status_code == 400, data
        assert "The file was not asked for" in response.content.decode()
    response = client.post(
        "/onderzoek/gegevens/bestanden/",
        {"dataset": "zaken", "fmt": "csv", "start": "2026-06-01", "end": "2026-01-01"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert "Het einde van de periode ligt vóór het begin." in response.content.decode()
    assert not ExportFile.objects.exists()


def test_expiry_removes_the_file(many, client):
    client.force_login(many.researcher)
    job = _ask(client, dataset="zaken", fmt="csv")
    _run_tasks()
    job.refresh_from_db()
    path = export_files.directory() / job.path
    assert path.is_file() and job.expires_at is not None
    assert export_files.sweep(now=job.expires_at - dt.timedelta(minutes=1)) == (0, 0)
    assert path.is_file()
    assert export_files.sweep(now=job.expires_at + dt.timedelta(seconds=1)) == (0, 1)
    assert not path.exists()
    job.refresh_from_db()
    assert job.path == "" and job.state == ExportFile.State.DONE
    assert client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/download").status_code == 404
    page = client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/", **EN).content.decode()
    assert "has been deleted" in page


class Killed(BaseException):
    """What a kill -9 looks like from inside: nothing after it runs."""


def test_a_worker_stopped_halfway_leaves_no_file_marked_done(many, monkeypatch):
    job = export_files.request_export(
        many.researcher, export_files.DATASETS["zaken"], "csv", Period()
    )
    write = export_files.write

    def killed(job: Any, dataset: Any, rows: Any, target: Any) -> int:
        def some(rows: Any) -> Any:
            for number, row in enumerate(rows):
                if number == 7:
                    raise Killed
                yield row

        return write(job, dataset, some(rows), target)

    monkeypatch.setattr(export_files, "write", killed)
    with pytest.raises(Killed):
        export_files.build(job.pk, "worker-1")
    job.refresh_from_db()
    assert job.state == ExportFile.State.RUNNING and job.path == ""
    assert not export_files.final_path(job).exists()
    assert export_files.available(job) is None
    # Another worker may not take it while the lease runs; once it has run out, the sweep
    # puts it back in the queue and removes the half file.
    assert export_files.build(job.pk, "worker-2") is None
    assert export_files.part_path(job).exists()
    assert job.claimed_until is not None
    later = job.claimed_until + dt.timedelta(seconds=1)
    assert export_files.sweep(now=later) == (1, 0)
    job.refresh_from_db()
    assert job.state == ExportFile.State.QUEUED
    assert not export_files.part_path(job).exists()
    monkeypatch.setattr(export_files, "write", write)
    done = export_files.build(job.pk, "worker-2")
    assert done is not None and done.state == ExportFile.State.DONE and done.attempts == 2
    content = export_files.final_path(done).read_bytes()
    assert exports.complete(content) == 13


def test_a_failure_is_tried_again_then_shown_clearly(many, client, monkeypatch):
    client.force_login(many.researcher)
    job = _ask(client, dataset="zaken", fmt="csv")

    def broken(*args: Any, **kwargs: Any) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(export_files, "write", broken)
    for attempt in (1, 2):
        export_files.build(job.pk, "worker")
        job.refresh_from_db()
        assert (job.state, job.attempts) == (ExportFile.State.QUEUED, attempt)
    export_files.build(job.pk, "worker")
    job.refresh_from_db()
    assert job.state == ExportFile.State.FAILED
    assert not list(export_files.directory().glob(f"export-{job.pk}.*"))
    page = client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/", **EN).content.decode()
    assert "The file could not be made" in page and "data-hx-trigger" not in page
    dutch = client.get(f"/onderzoek/gegevens/bestanden/{job.pk}/", HTTP_ACCEPT_LANGUAGE="nl")
    assert "Het bestand kon niet worden gemaakt" in dutch.content.decode()
    assert OutboxMessage.objects.filter(purpose="research.export_file").count() == 1
    assert export_files.build(job.pk, "worker") is None  # no fourth attempt


def test_a_small_export_still_streams_with_its_end_line(world, client):
    client.force_login(world.researcher)
    response = client.get("/onderzoek/gegevens/zaken.csv", **EN)
    assert response.streaming
    assert exports.complete(b"".join(response.streaming_content)) == 1
