"""Periodic jobs, registered by the app they belong to.

Each app declares its time-based work in its own ``jobs.py`` (imported by its
``AppConfig.ready()``) with :func:`register`: a name, how often it runs at most, and a function
taking the worker's name. The worker runs what is registered, round after round; the heartbeat
carries each job's last run, which ``/gezond/klaar`` lists. Every job claims the rows it works
on, so several workers may run the same job at once; a job that must run once a day across all
workers keeps its own claim (a date in the cache or a row), its interval here only spares
needless reads."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

logger = logging.getLogger("kring.worker")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[str], object]
    every: dt.timedelta
    app: str
    order: int = 50


_jobs: dict[str, Job] = {}


def register(
    name: str,
    run: Callable[[str], object],
    *,
    every: dt.timedelta | None = None,
    order: int = 50,
) -> Job:
    """Declare a periodic job; ``every`` None runs it every round of the worker. Jobs run by
    ``order``, then name: what a lower order queues, a higher one may send in the same round."""
    module = run.__module__ or ""
    app = module.split(".")[1] if module.startswith("kring.") else module
    job = Job(name, run, every or dt.timedelta(0), app, order)
    existing = _jobs.get(name)
    if existing is not None and existing.run is not run:
        raise ValueError(f"Two periodic jobs are named {name!r}")
    _jobs[name] = job
    return job


def registered() -> list[Job]:
    return sorted(_jobs.values(), key=lambda job: (job.order, job.name))


@dataclass
class Runs:
    """One worker's record of its jobs: when each last started, and whether it went well."""

    last: dict[str, dt.datetime] = field(default_factory=dict)
    ok: dict[str, bool] = field(default_factory=dict)

    def due(self, job: Job, now: dt.datetime) -> bool:
        last = self.last.get(job.name)
        return last is None or now - last >= job.every or now < last

    def as_json(self) -> dict[str, dict[str, object]]:
        return {
            name: {"at": at.isoformat(), "ok": self.ok.get(name, False)}
            for name, at in list(self.last.items())
        }


def run_due(worker: str, runs: Runs | None = None) -> None:
    """Run every registered job that is due. A job that fails is logged and does not hold up
    the others; the last failure is raised once all have had their turn."""
    runs = runs if runs is not None else Runs()
    failed: Exception | None = None
    for job in registered():
        now = timezone.now()
        if not runs.due(job, now):
            continue
        runs.last[job.name] = now
        try:
            job.run(worker)
        except Exception as error:
            logger.exception("A sweep failed: %s", job.name)
            runs.ok[job.name] = False
            failed = error
        else:
            runs.ok[job.name] = True
    if failed is not None:
        raise failed
