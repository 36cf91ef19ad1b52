"""The worker's heartbeat: each round it says it is alive, with its host and process ID."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.conf import settings
from django.utils import timezone

from kring.operations.models import WorkerHeartbeat

FORGET_AFTER = dt.timedelta(days=1)


def beat(name: str, started_at: dt.datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name=name[:120],
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "backend": settings.KRING_TASK_BACKEND,
            "started_at": started_at,
            "seen_at": now,
        },
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


def stop(name: str) -> None:
    """A worker that stops on a signal says so; one killed outright just goes quiet."""
    WorkerHeartbeat.objects.filter(name=name[:120]).delete()


def last_seen() -> dt.datetime | None:
    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    return latest.seen_at if latest else None
