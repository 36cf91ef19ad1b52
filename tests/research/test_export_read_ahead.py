"""The cases dataset read ahead in a thread of its own (issue 18, SQLite) or streamed
(PostgreSQL): the same rows in the same order as read in the caller's thread or from a
cursor; the reading thread gone (and its connection closed) when the rows are all read, when
the reader stops early and when reading fails; a stream left halfway frees its connection,
and no other query may use the connection while it streams; inside a transaction, read
where the transaction's own changes are seen. The worker writes an export's progress from a
thread of its own and notices a job taken over."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from typing import cast

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


def chunks_of(cases, size: int) -> Iterator[list[list[object]]]:
    """The rows of ``cases`` a chunk at a time, each chunk read whole by
    ``case_sql.case_chunk_rows`` (as the API's pages read them)."""
    statement, last = case_sql.statement(), 0
    while True:
        rows, keys = case_sql.case_chunk_rows(statement, cases, last, size)
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = keys[-1]


def as_read(rows: list[list[object]]) -> list[list[object]]:
    return rows


def in_this_thread(cases, chunk: int) -> list[list[object]]:
    return [row for rows in chunks_of(cases, chunk) for row in rows]


@pytest.mark.parametrize("chunk", [7, 500])
def test_outside_a_transaction_the_rows_are_those_read_inside_one(seeded, chunk):
    """SQLite: read ahead against read in this thread; PostgreSQL: streamed against from a
    cursor."""
    cases = Case.objects.filter(pk__gt=0)
    outside = list(CASES.rows(cases, chunk_size=chunk))
    with transaction.atomic():
        inside = list(CASES.rows(cases, chunk_size=chunk))
    assert len(outside) == seeded > 50
    assert outside == inside
    assert readers() == []


@pytest.mark.parametrize("chunk", [7, 500])
def test_read_ahead_gives_every_row_in_order_as_one_thread_does(seeded, chunk):
    cases = Case.objects.filter(pk__gt=0)
    expected = in_this_thread(cases, chunk)
    assert len(expected) == seeded > 50
    ahead = list(case_sql._read_ahead(chunks_of(cases, chunk), as_read))
    assert ahead == expected
    assert readers() == []
    if connection.vendor == "sqlite":  # the export's own path there (PostgreSQL: a cursor)
        assert list(CASES.rows(cases, chunk_size=chunk)) == expected


def test_a_reader_that_stops_early_stops_the_thread(seeded):
    rows = case_sql._read_ahead(chunks_of(Case.objects.all(), 5), as_read, depth=1)
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
    rows = case_sql._read_ahead(chunks_of(Case.objects.all(), 5), as_read)
    with pytest.raises(RuntimeError, match="went away"):
        list(rows)
    assert readers() == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL streams (below)")
def test_a_failed_chunk_of_the_export_is_raised_to_the_reader(seeded, monkeypatch):
    """The export's own path: the thread reads each chunk's statement (Tables.fetch), the
    caller puts the rows together; a chunk that fails ends the export with its error."""
    real = case_sql.Tables.fetch
    calls = []

    def failing(self, *args):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("the database went away")
        return real(self, *args)

    monkeypatch.setattr(case_sql.Tables, "fetch", failing)
    rows = CASES.rows(Case.objects.all(), chunk_size=5)
    assert len([next(rows) for _ in range(10)]) == 10  # two chunks
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


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL streams; SQLite reads ahead (above)"
)


def streamed(cases) -> Generator[list[object], None, None]:
    return cast(Generator[list[object], None, None], CASES.rows(cases, chunk_size=5))


@postgresql_only
def test_no_other_query_may_use_the_connection_while_it_streams(seeded):
    rows = streamed(Case.objects.all())
    next(rows)
    # Checked first, so that without it this test fails instead of waiting for ever.
    assert case_sql._refuse in connection.execute_wrappers
    with pytest.raises(case_sql.Streaming):
        Case.objects.count()
    rows.close()
    assert Case.objects.count() == seeded


@postgresql_only
def test_a_stream_left_halfway_frees_the_connection_and_resets_the_planner(seeded):
    def planner() -> list[object]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_nestloop'), current_setting('jit')")
            return list(cursor.fetchone() or ())

    before = planner()
    rows = streamed(Case.objects.all())
    assert len([next(rows) for _ in range(7)]) == 7
    rows.close()
    assert planner() == before and before[0] == "on"
    assert case_sql._refuse not in connection.execute_wrappers
    assert Case.objects.count() == seeded


@postgresql_only
def test_a_case_without_a_study_id_when_the_stream_began_comes_last_with_one(seeded, monkeypatch):
    from kring.followup.models import StudyCase

    two = list(Case.objects.order_by("pk").values_list("pk", flat=True)[:2])
    list(CASES.rows(Case.objects.all()))  # every case has its study ID
    StudyCase.objects.filter(case_id__in=two).delete()
    monkeypatch.setattr(case_sql, "_give_study_ids", lambda scope: None)  # "added meanwhile"
    rows = list(CASES.rows(Case.objects.all(), chunk_size=5))
    assert len(rows) == seeded
    ids = [row[0] for row in rows]
    assert all(ids) and len(set(ids)) == seeded
    made = dict(StudyCase.objects.filter(case_id__in=two).values_list("case_id", "study_id"))
    assert ids[-2:] == [made[two[0]], made[two[1]]]


def test_the_worker_notices_from_its_lease_thread_that_the_job_was_taken_over(seeded, monkeypatch):
    """Outside a transaction the progress and the lease are written by a thread of its own:
    the rows written so far show on the job while the rows are read, and a job another
    worker took over stops the export."""
    import time

    from kring.research import export_files
    from kring.research.models import ExportFile
    from kring.research.period import Period

    monkeypatch.setattr(export_files, "PROGRESS_SECONDS", 0.05)
    researcher = User.objects.filter(is_researcher=True).order_by("pk").first()
    assert researcher is not None
    job = export_files.request_export(researcher, export_files.DATASETS["zaken"], "csv", Period())
    claimed = export_files.claim(job.pk, "w1")
    assert claimed is not None

    def slowly(count: int):
        for number in range(count):
            time.sleep(0.01)
            yield [number]

    rows = export_files._progress(claimed, "w1", slowly(1000))
    for _row in range(30):
        next(rows)
    assert ExportFile.objects.get(pk=job.pk).rows_done > 0  # written by the lease's thread
    ExportFile.objects.filter(pk=job.pk).update(claimed_by="w2")
    with pytest.raises(export_files.LostClaim):
        for _rest in rows:
            pass
    assert [t for t in threading.enumerate() if t.name == "kring-export-lease"] == []


def test_an_export_that_fails_halfway_gives_the_connection_back_to_the_worker(seeded, monkeypatch):
    """The writer fails after a few rows while the rows still stream: the worker's own lines
    after it (the job back in the queue) find the connection free, and the lease's thread
    and the reading stop."""
    from kring.research import export_files
    from kring.research.models import ExportFile
    from kring.research.period import Period

    write = export_files.write

    def failing(job, dataset, rows, target):
        def some(rows):
            for number, row in enumerate(rows):
                if number == 7:
                    raise OSError("disk full")
                yield row

        return write(job, dataset, some(rows), target)

    monkeypatch.setattr(export_files, "write", failing)
    researcher = User.objects.filter(is_researcher=True).order_by("pk").first()
    assert researcher is not None
    job = export_files.request_export(researcher, export_files.DATASETS["zaken"], "csv", Period())
    again = export_files.build(job.pk, "worker")
    assert again is not None and again.state == ExportFile.State.QUEUED
    assert again.attempts == 1 and again.claimed_by == ""
    assert case_sql._refuse not in connection.execute_wrappers
    assert readers() == []
    assert [t for t in threading.enumerate() if t.name == "kring-export-lease"] == []
