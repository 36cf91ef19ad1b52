"""The cases dataset read ahead in a thread of its own (issue 18, SQLite): the same rows in
the same order as read in the caller's thread, the reading thread gone (and its connection
closed) when the rows are all read, when the reader stops early and when reading fails;
inside a transaction, read where the transaction's own changes are seen."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from kring.accounts.models import Region, User
from kring.cases.models import Case
from kring.research import case_sql
from kring.research.dataset import CASES
from tests.factories import CaseFactory
from tests.research.test_export_equal import seed_every_region

# Committed data: the reading thread has a connection of its own, which sees no test
# transaction.
pytestmark = pytest.mark.django_db(transaction=True)
READER = "kring-export-reader"


@pytest.fixture
def seeded():
    seed_every_region(60, 19)
    return Case.objects.count()


def readers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == READER]


def in_this_thread(cases, chunk: int) -> list[list[object]]:
    return [
        row for rows in case_sql._case_chunks(case_sql.Statement(), cases, chunk) for row in rows
    ]


@pytest.mark.parametrize("chunk", [7, 500])
def test_read_ahead_gives_every_row_in_order_as_one_thread_does(seeded, chunk):
    cases = Case.objects.filter(pk__gt=0)
    expected = in_this_thread(cases, chunk)
    assert len(expected) == seeded > 50
    ahead = list(case_sql._read_ahead(case_sql._case_chunks(case_sql.Statement(), cases, chunk)))
    assert ahead == expected
    assert readers() == []
    if connection.vendor == "sqlite":  # the export's own path there (PostgreSQL: a cursor)
        assert list(CASES.rows(cases, chunk_size=chunk)) == expected


def test_a_reader_that_stops_early_stops_the_thread(seeded):
    rows = case_sql._read_ahead(
        case_sql._case_chunks(case_sql.Statement(), Case.objects.all(), 5), depth=1
    )
    first = [next(rows) for _ in range(3)]
    assert len(first) == 3 and readers()  # the thread waits with the chunks ahead
    rows.close()  # a download cut off
    assert readers() == []


def test_a_failure_while_reading_is_raised_to_the_reader(seeded, monkeypatch):
    real = case_sql.case_chunk_rows
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(case_sql, "case_chunk_rows", failing)
    rows = case_sql._read_ahead(case_sql._case_chunks(case_sql.Statement(), Case.objects.all(), 5))
    with pytest.raises(RuntimeError, match="went away"):
        list(rows)
    assert readers() == []


def test_inside_a_transaction_its_own_changes_are_exported(seeded):
    """Another connection would not see a case written in this transaction: the rows are
    read in the caller's thread then."""
    with transaction.atomic():
        new = CaseFactory(region=Region.objects.first())
        exported = [row[0] for row in CASES.rows(Case.objects.filter(pk=new.pk))]
        assert len(exported) == 1
        transaction.set_rollback(True)


def test_the_worker_writes_its_progress_while_the_rows_are_read_ahead(seeded, monkeypatch):
    """Outside a transaction, as in the worker: the progress goes to the database on the
    worker's connection while the reading thread reads on its own (SQLite: one writer beside
    readers), and the file holds every case."""
    from kring.research import export_files, exports
    from kring.research.models import ExportFile
    from kring.research.period import Period

    monkeypatch.setattr(export_files, "PROGRESS_EVERY", 10)
    researcher = User.objects.filter(is_researcher=True).order_by("pk").first()
    assert researcher is not None
    job = export_files.request_export(researcher, export_files.DATASETS["zaken"], "csv", Period())
    done = export_files.build(job.pk, "worker")
    assert done is not None and done.state == ExportFile.State.DONE
    content = export_files.final_path(done).read_bytes()
    assert exports.complete(content) == done.rows_done == seeded
    assert readers() == []
