"""The background worker: runs queued tasks (Django Tasks, database backend) and the sweeps
of time-based work — due rows in the database — every few seconds until stopped."""

from __future__ import annotations

import logging
import os
import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from kring.audit import retention
from kring.core import ratelimit
from kring.followup import services as followup
from kring.meetings import invitations
from kring.messaging import outbox

logger = logging.getLogger("kring.worker")


def sweep_once(worker: str = "") -> None:
    """All time-based work: each sweep claims its rows, so several workers may run. A sweep
    that fails is logged and does not hold up the others."""
    sweeps = (
        lambda: followup.sweep(worker),
        outbox.sweep,
        ratelimit.sweep,
        invitations.send_reminders,
        retention.run_daily,  # once a day; one cache read on every other round
    )
    failed = None
    for sweep in sweeps:
        try:
            sweep()
        except Exception as error:
            logger.exception("A sweep failed")
            failed = error
    if failed is not None:
        raise failed


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
        worker_id = f"kring-{os.getpid()}-{id(self):x}"
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
        if not once:
            self.stdout.write("Worker started.")
        while self.running:
            close_old_connections()
            try:
                worker.run()
                sweep_once(worker_id)
            except Exception:  # one bad row must not stop the worker: log it, go on
                logger.exception("Worker round failed")
                if once:
                    raise
            if once:
                break
            deadline = time.monotonic() + interval
            while self.running and time.monotonic() < deadline:
                time.sleep(0.2)
        close_old_connections()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.running = False
