"""Large research exports, built by the worker into a file (issue 18, point 6).

A researcher asks (:func:`request_export`); a task on the queue builds the file
(:func:`build`): it claims the job with a lease, writes the export into ``<id>.part`` under
``KRING_EXPORT_DIR`` while it counts the rows (progress, and the lease renewed, every two
seconds), and only when every row is written renames the file and marks the job done —
in that order, so a job marked done always has its whole file. A worker killed halfway leaves
a job that is still "being made" with a lease that runs out and a ``.part`` file: the sweep
(:func:`sweep`, a periodic job) puts it back in the queue, and the next build starts again
from the beginning. An export that fails with an error is tried again up to
:data:`MAX_ATTEMPTS` times and then shown as failed. Files are deleted after
``KRING_EXPORT_RETAIN_HOURS``; the job stays (without its file) as the record of the request.

The researcher is told when the file is ready, on the page and by an email that holds no data:
only the dataset's name and a link to the page.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Generator, Iterable
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from kring.accounts.models import User
from kring.research import exports
from kring.research.access import research_cases
from kring.research.dataset import DATASETS, Cell, Dataset
from kring.research.models import ExportFile
from kring.research.period import Period

logger = logging.getLogger("kring.research")

# The formats a file can have: the suffix of its name, and how it is written.
FORMATS = ("csv", "nl.csv", "xlsx")
MAX_ATTEMPTS = 3
# Progress and the lease are written this often, from a thread of its own (:class:`_Lease`);
# inside a transaction, every so many rows.
PROGRESS_SECONDS = 2.0
PROGRESS_EVERY = 2000
LEASE = dt.timedelta(minutes=2)


def directory() -> Path:
    path = Path(settings.KRING_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stem(job: ExportFile) -> str:
    # The moment of asking too: a file never passes for another job's with the same number.
    return f"export-{job.pk}-{job.created_at:%Y%m%d%H%M%S%f}"


def final_path(job: ExportFile) -> Path:
    return directory() / f"{_stem(job)}.{job.fmt}"


def part_path(job: ExportFile) -> Path:
    return directory() / f"{_stem(job)}.{job.fmt}.part"


def filename(job: ExportFile) -> str:
    """The name the researcher's browser saves the file as."""
    day = timezone.localdate(job.finished_at or job.created_at)
    return f"kring-{job.dataset}-{day:%Y-%m-%d}.{job.fmt}"


def row_count(dataset: Dataset, user: User, period: Period) -> int:
    """How many rows an export would hold (one query)."""
    from kring.research.dataset import respondent_count

    cases = period.apply(research_cases(user))
    if dataset.slug == "zaken":
        return cases.count()
    return respondent_count(cases)


def is_large(dataset: Dataset, user: User, period: Period) -> bool:
    return row_count(dataset, user, period) > settings.KRING_EXPORT_DIRECT_MAX_ROWS


def request_export(user: User, dataset: Dataset, fmt: str, period: Period) -> ExportFile:
    """Queue an export for the worker; the task is sent once the request is committed."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    job = ExportFile.objects.create(
        requested_by=user, dataset=dataset.slug, fmt=fmt, start=period.start, end=period.end
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    from kring.research.tasks import build_export_file

    build_export_file.enqueue(job_id)


def claim(job_id: int, worker: str, now: dt.datetime | None = None) -> ExportFile | None:
    """Take the job if it is waiting, or being made by a worker whose lease ran out."""
    now = now or timezone.now()
    taken = ExportFile.objects.filter(
        Q(state=ExportFile.State.QUEUED) | Q(state=ExportFile.State.RUNNING, claimed_until__lt=now),
        pk=job_id,
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        state=ExportFile.State.RUNNING,
        claimed_by=worker,
        claimed_until=now + LEASE,
        rows_done=0,
        attempts=F("attempts") + 1,
    )
    return ExportFile.objects.get(pk=job_id) if taken else None


def _progress(
    job: ExportFile, worker: str, rows: Iterable[list[Cell]]
) -> Generator[list[Cell], None, None]:
    """The rows, with the job's progress and lease written every :data:`PROGRESS_SECONDS` by a
    thread of its own: reading the rows may hold the worker's connection until the last one
    (PostgreSQL streams them, kring.research.case_sql). Inside a transaction, which another
    connection cannot see into, they are written here every :data:`PROGRESS_EVERY` rows."""
    if connection.in_atomic_block:
        for done, row in enumerate(rows, start=1):
            yield row
            if done % PROGRESS_EVERY == 0 and not _renew(job.pk, worker, done):
                raise LostClaim(job.pk)
        return
    lease = _Lease(job.pk, worker)
    lease.start()
    try:
        for done, row in enumerate(rows, start=1):
            if lease.lost.is_set():
                raise lease.error or LostClaim(job.pk)
            lease.done = done
            yield row
    finally:
        lease.stopped.set()
        lease.join()


def _renew(job_id: int, worker: str, done: int) -> bool:
    """Progress written and the lease renewed; False when another worker took the job over
    (this one stood still past its lease)."""
    return bool(
        ExportFile.objects.filter(pk=job_id, claimed_by=worker).update(
            rows_done=done, claimed_until=timezone.now() + LEASE
        )
    )


class _Lease(threading.Thread):
    """Writes an export's progress (``done``, set by the writer) and renews its lease every
    :data:`PROGRESS_SECONDS`, on a connection of its own; sets ``lost`` when the job was taken
    over, or when writing failed (``error``)."""

    def __init__(self, job_id: int, worker: str) -> None:
        super().__init__(name="kring-export-lease", daemon=True)
        self.job_id, self.worker = job_id, worker
        self.done = 0
        self.lost = threading.Event()
        self.stopped = threading.Event()
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            while not self.stopped.wait(PROGRESS_SECONDS):
                if not _renew(self.job_id, self.worker, self.done):
                    self.lost.set()
                    return
        except Exception as error:  # raised by the writer, in the worker's thread
            self.error = error
            self.lost.set()
        finally:
            connections.close_all()  # this thread's own


class LostClaim(Exception):
    pass


def write(job: ExportFile, dataset: Dataset, rows: Iterable[list[Cell]], target: Path) -> int:
    """Write the export to ``target``; return its number of rows."""
    with open(target, "wb") as out:
        if job.fmt == "xlsx":
            count = exports.write_xlsx(out, dataset, rows)
        else:
            dialect = exports.DUTCH if job.fmt == "nl.csv" else exports.INTERNATIONAL
            counter = [0]
            for piece in exports.csv_pieces(
                dataset.columns, exports.counted(rows, counter), dialect
            ):
                out.write(piece)
            count = counter[0]
            out.write(exports.end_line(count).encode())
        out.flush()
        os.fsync(out.fileno())
    return count


def build(job_id: int, worker: str = "") -> ExportFile | None:
    """Build the job's file, if it is this worker's to build."""
    if not worker:
        from kring.messaging import outbox

        worker = outbox.worker_name
    claimed = claim(job_id, worker)
    if claimed is None:
        return None
    job = claimed
    pk = job.pk
    dataset = DATASETS[job.dataset]
    part, final = part_path(job), final_path(job)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            period = job.period
            total = row_count(dataset, job.requested_by, period)
            ExportFile.objects.filter(pk=job.pk).update(rows_total=total)
            rows = dataset.rows(research_cases(job.requested_by), period)
            progress = _progress(job, worker, rows)
            try:
                count = write(job, dataset, progress, part)
            finally:
                # Left halfway (an error, a job taken over): the lease's thread stops, and the
                # rows give their connection back now, before the lines below use it (a
                # stream holds it, kring.research.case_sql).
                progress.close()
                exports.close(rows)
        os.replace(part, final)
        now = timezone.now()
        finished = ExportFile.objects.filter(pk=job.pk, claimed_by=worker).update(
            state=ExportFile.State.DONE,
            rows_done=count,
            rows_total=count,
            path=final.name,
            size=final.stat().st_size,
            finished_at=now,
            expires_at=now + dt.timedelta(hours=settings.KRING_EXPORT_RETAIN_HOURS),
            claimed_by="",
            claimed_until=None,
        )
        if not finished:
            raise LostClaim(job.pk)
    except LostClaim:
        logger.warning("Export file %s: taken over by another worker", job.pk)
        part.unlink(missing_ok=True)
        return None
    except Exception:
        logger.exception("Export file %s could not be made", job.pk)
        part.unlink(missing_ok=True)
        again = job.attempts < MAX_ATTEMPTS
        ExportFile.objects.filter(pk=job.pk, claimed_by=worker).update(
            state=ExportFile.State.QUEUED if again else ExportFile.State.FAILED,
            claimed_by="",
            claimed_until=None,
            finished_at=None if again else timezone.now(),
        )
        if again:
            transaction.on_commit(lambda: enqueue(pk))
        else:
            notify(ExportFile.objects.get(pk=job.pk))
        return ExportFile.objects.get(pk=job.pk)
    job = ExportFile.objects.get(pk=job.pk)
    notify(job)
    return job


def notify(job: ExportFile) -> None:
    """Tell the researcher the file is ready (or could not be made): no data in the email."""
    from kring.cases import emails
    from kring.messaging import outbox

    user = job.requested_by
    if not user.email:
        return
    email = emails.compose(
        "export_file",
        {"job": job, "title": DATASETS[job.dataset].title, "done": job.state == job.State.DONE},
        to=user.email,
        language=settings.LANGUAGE_CODE,
    )
    outbox.store(email, purpose="research.export_file")


def sweep(now: dt.datetime | None = None) -> tuple[int, int]:
    """The periodic job: queue again the builds whose worker stopped (lease run out), and
    delete the files past their retention. Returns (queued again, deleted)."""
    now = now or timezone.now()
    stale = list(
        ExportFile.objects.filter(
            state=ExportFile.State.RUNNING, claimed_until__lt=now
        ).values_list("pk", "attempts")
    )
    again = 0
    for pk, attempts in stale:
        state = ExportFile.State.QUEUED if attempts < MAX_ATTEMPTS else ExportFile.State.FAILED
        if ExportFile.objects.filter(
            pk=pk, state=ExportFile.State.RUNNING, claimed_until__lt=now
        ).update(state=state, claimed_by="", claimed_until=None):
            job = ExportFile.objects.get(pk=pk)
            part_path(job).unlink(missing_ok=True)
            if state == ExportFile.State.QUEUED:
                again += 1
                transaction.on_commit(lambda pk=pk: enqueue(pk))  # type: ignore[misc]
    deleted = 0
    for job in ExportFile.objects.filter(expires_at__lt=now).exclude(path=""):
        (directory() / job.path).unlink(missing_ok=True)
        ExportFile.objects.filter(pk=job.pk).update(path="", size=None)
        deleted += 1
    return again, deleted


def available(job: ExportFile) -> Path | None:
    """The job's file, if it is done, not expired and on disk."""
    if job.state != ExportFile.State.DONE or not job.path:
        return None
    if job.expires_at is not None and job.expires_at <= timezone.now():
        return None
    path = directory() / job.path
    return path if path.is_file() else None
