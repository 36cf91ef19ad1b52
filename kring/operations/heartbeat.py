"""The worker's heartbeat: it says it is alive, with its host and process ID, from a thread of
its own six times per lease (``KRING_WORKER_LEASE_SECONDS``), whatever the worker is doing. A
worker silent for a whole lease is dead (killed, or its machine gone): ``sweep_dead_tasks``
marks the tasks it left running as failed, and the outbox puts its messages back."""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from django.conf import settings
from django.utils import timezone

from kring.operations.models import WorkerHeartbeat

FORGET_AFTER = dt.timedelta(days=1)


def beat(name: str, started_at: dt.datetime, jobs: dict[str, Any] | None = None) -> None:
    """``jobs``: the worker's periodic jobs, each with when it last ran and whether it went well."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name=name[:120],
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "backend": settings.KRING_TASK_BACKEND,
            "started_at": started_at,
            "seen_at": now,
            "jobs": jobs or {},
        },
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


def stop(name: str) -> None:
    """A worker that stops on a signal says so; one killed outright just goes quiet."""
    WorkerHeartbeat.objects.filter(name=name[:120]).delete()


def alive(now: dt.datetime | None = None) -> set[str]:
    """The workers heard from within one lease."""
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=settings.KRING_WORKER_LEASE_SECONDS)
    return set(WorkerHeartbeat.objects.filter(seen_at__gte=since).values_list("name", flat=True))


def sweep_dead_tasks(now: dt.datetime | None = None) -> int:
    """Tasks left RUNNING by a dead worker (``kill -9``) are marked failed, saying why. What they
    were doing is picked up by the sweeps: a message's claim runs out with its worker."""
    if settings.KRING_TASK_BACKEND != "database":
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.KRING_WORKER_LEASE_SECONDS)
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - lease
    ).only("id", "worker_ids")
    candidates = list(running)
    if not candidates:
        return 0
    living = alive(now)
    dead = [
        task.id for task in candidates if not task.worker_ids or task.worker_ids[-1] not in living
    ]
    if not dead:
        return 0
    return DBTaskResult.objects.filter(pk__in=dead, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="kring.operations.heartbeat.WorkerDied",
        traceback="The worker running this task stopped beating (killed or its machine gone); "
        "the sweeps pick up what it was doing.",
    )


def last_seen() -> dt.datetime | None:
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    return latest.seen_at if latest else None


def job_runs() -> dict[str, dict[str, Any]]:
    """Each registered periodic job's latest run by any living worker: seconds ago and whether
    it went well (None: no living worker has run it yet)."""
    from kring.core import periodic

    now = timezone.now()
    latest: dict[str, dict[str, Any]] = {}
    for jobs in WorkerHeartbeat.objects.filter(name__in=alive(now)).values_list("jobs", flat=True):
        for name, run in (jobs or {}).items():
            if name not in latest or run["at"] > latest[name]["at"]:
                latest[name] = run
    listed: dict[str, dict[str, Any]] = {}
    for job in periodic.registered():
        run = latest.get(job.name)
        listed[job.name] = {
            "app": job.app,
            "every_seconds": job.every.total_seconds(),
            "last_run_seconds": None
            if run is None
            else round((now - dt.datetime.fromisoformat(run["at"])).total_seconds(), 1),
            "ok": None if run is None else run["ok"],
        }
    return listed
