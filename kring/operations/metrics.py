"""Prometheus metrics in the text exposition format, without a client library.

The request latency histogram is kept in this process (one gunicorn process per server, see
`manage.py serve`); everything else is read from the database at scrape time, so every server
reports the same outbox, jobs, workers and cases.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from collections.abc import Mapping

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_lock = threading.Lock()
# (view, method) -> [count per bucket..., +Inf count], sum
_histograms: dict[tuple[str, str], list[int]] = {}
_sums: dict[tuple[str, str], float] = defaultdict(float)
_responses: dict[tuple[str, str], int] = defaultdict(int)


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    key = (view, method)
    with _lock:
        counts = _histograms.setdefault(key, [0] * (len(BUCKETS) + 1))
        for index, bound in enumerate(BUCKETS):
            if seconds <= bound:
                counts[index] += 1
        counts[-1] += 1
        _sums[key] += seconds
        _responses[(view, f"{status // 100}xx")] += 1


def reset() -> None:
    with _lock:
        _histograms.clear()
        _sums.clear()
        _responses.clear()


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _request_lines() -> list[str]:
    lines = [
        "# HELP kring_request_duration_seconds Time to answer a request, per view.",
        "# TYPE kring_request_duration_seconds histogram",
    ]
    with _lock:
        histograms = {key: list(value) for key, value in _histograms.items()}
        sums = dict(_sums)
        responses = dict(_responses)
    for (view, method), counts in sorted(histograms.items()):
        labels = f'view="{_label(view)}",method="{_label(method)}"'
        for bound, count in zip(BUCKETS, counts, strict=False):
            lines.append(f'kring_request_duration_seconds_bucket{{{labels},le="{bound}"}} {count}')
        lines.append(f'kring_request_duration_seconds_bucket{{{labels},le="+Inf"}} {counts[-1]}')
        lines.append(f"kring_request_duration_seconds_sum{{{labels}}} {sums[(view, method)]:.6f}")
        lines.append(f"kring_request_duration_seconds_count{{{labels}}} {counts[-1]}")
    lines += [
        "# HELP kring_responses_total Responses per view and status class.",
        "# TYPE kring_responses_total counter",
    ]
    for (view, status_class), count in sorted(responses.items()):
        lines.append(
            f'kring_responses_total{{view="{_label(view)}",status="{status_class}"}} {count}'
        )
    return lines


def _gauge(
    name: str, help_text: str, values: Mapping[str, float] | float, label: str = ""
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    if isinstance(values, Mapping):
        for key, value in sorted(values.items()):
            lines.append(f'{name}{{{label}="{_label(key)}"}} {value:g}')
    else:
        lines.append(f"{name} {values:g}")
    return lines


def _outbox_counts() -> dict[str, int]:
    from kring.messaging.models import OutboxMessage

    counts = dict.fromkeys(OutboxMessage.Status.values, 0)
    for row in OutboxMessage.objects.values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def outbox_backlog() -> tuple[int, int]:
    """Messages due now (queued, their time come), and those due longer than the threshold."""
    from kring.messaging.models import OutboxMessage

    now = timezone.now()
    queued = OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED)
    due = queued.filter(next_attempt_at__lte=now).count()
    overdue = queued.filter(
        next_attempt_at__lte=now - dt.timedelta(seconds=settings.KRING_HEALTH_BACKLOG_SECONDS)
    ).count()
    return due, overdue


def _jobs() -> tuple[dict[str, int], dict[str, int]]:
    """Due work by kind: now due, and overdue (due before today, or past the backlog time)."""
    from kring.followup.models import FollowUp

    today = timezone.localdate()
    due_outbox, overdue_outbox = outbox_backlog()
    planned = FollowUp.objects.filter(state=FollowUp.State.PLANNED)
    due = {"outbox": due_outbox, "follow_up": planned.filter(due_on__lte=today).count()}
    overdue = {"outbox": overdue_outbox, "follow_up": planned.filter(due_on__lt=today).count()}
    if settings.KRING_TASK_BACKEND == "database":
        from django_tasks_db.models import DBTaskResult

        ready = DBTaskResult.objects.ready().count()
        due["task"] = ready
        overdue["task"] = (
            DBTaskResult.objects.ready()
            .filter(
                enqueued_at__lt=timezone.now()
                - dt.timedelta(seconds=settings.KRING_HEALTH_BACKLOG_SECONDS)
            )
            .count()
        )
    return due, overdue


def exposition() -> str:
    from kring.cases.models import Case, Status
    from kring.operations.models import WorkerHeartbeat

    now = timezone.now()
    lines = _request_lines()
    lines += _gauge(
        "kring_outbox_messages", "Messages in the outbox by status.", _outbox_counts(), "status"
    )
    due, overdue = _jobs()
    lines += _gauge("kring_jobs_due", "Due work by kind.", due, "kind")
    lines += _gauge("kring_jobs_overdue", "Work due for too long, by kind.", overdue, "kind")
    ages = {
        beat.name: (now - beat.seen_at).total_seconds() for beat in WorkerHeartbeat.objects.all()
    }
    lines += _gauge(
        "kring_worker_heartbeat_age_seconds",
        "Seconds since each worker was last seen.",
        ages,
        "worker",
    )
    lines += _gauge(
        "kring_worker_heartbeat_newest_age_seconds",
        "Seconds since any worker was last seen (-1: never).",
        min(ages.values()) if ages else -1.0,
    )
    cases = dict.fromkeys(Status.values, 0)
    for row in Case.objects.values("status").annotate(n=Count("pk")):
        cases[row["status"]] = row["n"]
    lines += _gauge("kring_cases", "Cases per status.", cases, "status")
    return "\n".join(lines) + "\n"
