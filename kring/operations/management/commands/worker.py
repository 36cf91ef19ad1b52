"""The background worker: runs queued tasks (Django Tasks: the database backend, or RQ on Redis
with KRING_TASK_BACKEND=rq) and the sweeps of time-based work — due rows in the database —
every few seconds until stopped. A thread of its own touches its heartbeat row (host, process)
six times per lease, which `/gezond/klaar` and the metrics read and which keeps its claimed
messages its own. Run as many as you like: every task and sweep claims its rows, so each
message goes once; a killed worker's claims run out after one lease."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from kring.core import periodic
from kring.messaging import outbox
from kring.operations import heartbeat

logger = logging.getLogger("kring.worker")

# How often an idle worker looks for new work between rounds: two small indexed queries.
LOOK_SECONDS = 0.2


class Heartbeat(threading.Thread):
    """Beats six times per lease, on its own database connection, so that a worker busy with
    a long batch is still known to be alive, and renews the worker's claims on messages."""

    def __init__(self, worker_id: str, started_at: Any, runs: periodic.Runs) -> None:
        super().__init__(name="kring-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.started_at = started_at
        self.runs = runs
        self.every = settings.KRING_WORKER_LEASE_SECONDS / 6
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    heartbeat.beat(self.worker_id, self.started_at, self.runs.as_json())
                    outbox.renew_claims(self.worker_id)
                except Exception:
                    logger.exception("The worker's heartbeat failed")
                    connection.close()
        finally:
            connection.close()


def sweep_once(worker: str = "", runs: periodic.Runs | None = None) -> None:
    """All time-based work: every periodic job the apps registered that is due (each claims
    its rows, so several workers may run). A job that fails is logged and does not hold up
    the others."""
    periodic.run_due(worker, runs)


class Command(BaseCommand):
    help = "Run Kring's background worker until stopped (Ctrl-C)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Do what is due, then stop.")
        parser.add_argument("--interval", type=float, default=settings.KRING_WORKER_INTERVAL)

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        self.running = True
        if not once:  # one round leaves the caller's signal handlers alone
            signal.signal(signal.SIGINT, self._stop)
            signal.signal(signal.SIGTERM, self._stop)
        worker_id = f"kring-{socket.gethostname()[:24]}-{os.getpid()}-{id(self):x}"
        outbox.worker_name = worker_id
        run_tasks = self._task_runner(worker_id)
        started_at = timezone.now()
        runs = periodic.Runs()
        beating = Heartbeat(worker_id, started_at, runs)
        beating.start()
        if not once:
            self.stdout.write(f"Worker started ({settings.KRING_TASK_BACKEND} task backend).")
        while self.running:
            close_old_connections()
            try:
                heartbeat.beat(worker_id, started_at, runs.as_json())
                run_tasks()
                sweep_once(worker_id, runs)
            except Exception:  # one bad row must not stop the worker: log it, go on
                logger.exception("Worker round failed")
                if once:
                    raise
            if once:
                break
            deadline = time.monotonic() + interval
            next_look = time.monotonic() + LOOK_SECONDS
            while self.running and time.monotonic() < deadline:
                time.sleep(0.1)
                if time.monotonic() >= next_look:  # new work starts the next round early
                    next_look = time.monotonic() + LOOK_SECONDS
                    if self._work_waiting():
                        break
        beating.stopped.set()
        beating.join()
        if not once:
            try:
                heartbeat.stop(worker_id)
            except Exception:
                logger.exception("Could not remove the worker's heartbeat")
        close_old_connections()

    def _work_waiting(self) -> bool:
        """Whether a task is ready or a message is due (a small indexed query each). Mail
        stored in one transaction wakes one worker by its task; the others join within a fifth
        of a second instead of at their next round (two workers sent 1.77× what one does to a slow
        server when they waited for it, issue 18)."""
        try:
            if outbox.has_due():
                return True
            if settings.KRING_TASK_BACKEND != "database":
                return False
            from django_tasks_db.models import DBTaskResult

            return DBTaskResult.objects.ready().exists()
        except Exception:  # the database is away: the next round logs it
            return False

    def _task_runner(self, worker_id: str) -> Callable[[], object]:
        """One round of queued tasks: every ready task of the configured backend."""
        if settings.KRING_TASK_BACKEND == "rq":
            import django_rq
            from django_tasks_rq.backend import Job
            from rq.worker import SimpleWorker

            class RoundWorker(SimpleWorker):
                """Runs in this process (no fork per job) and keeps Kring's signal handlers."""

                def _install_signal_handlers(self) -> None:
                    pass

                # No command channel: this worker lives for one burst and is stopped by
                # signals. rq's channel starts a thread per round, and stopping it before
                # Redis confirmed the subscription waited out its 60-second poll: the worker
                # stood still that long (seen in the topology test).
                def subscribe(self) -> None:
                    pass

                def unsubscribe(self) -> None:
                    pass

            def run_rq() -> bool:
                rq_worker = RoundWorker(
                    [django_rq.get_queue("default", job_class=Job)],
                    name=f"{worker_id}-{time.monotonic_ns():x}",
                    connection=django_rq.get_connection("default"),
                    job_class=Job,
                )
                return bool(rq_worker.work(burst=True, logging_level="WARNING"))

            return run_rq
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        return worker.run

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.running = False
