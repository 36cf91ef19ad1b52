"""Health and metrics for operators and load balancers.

- ``/gezond/live``: the process answers (no database): restart it when this fails.
- ``/gezond/klaar``: ready to serve: the database answers, every migration is applied, a worker
  was seen recently, and the outbox backlog and failed messages are under their thresholds.
  200 when all hold, 503 otherwise; the JSON body says which check failed.
- ``/gezond/metrics``: Prometheus text, for a bearer token or an allowed address only; anyone
  else gets the same 404 as for a page that does not exist.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from kring.core.ratelimit import client_address
from kring.operations import heartbeat, metrics


@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> dict[str, Any]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


_migrated = False  # once every migration is applied, it stays so until this process is replaced


def _check_migrations() -> dict[str, Any]:
    global _migrated
    if _migrated:
        return {"ok": True, "unapplied": 0}
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    _migrated = not plan
    return {"ok": not plan, "unapplied": len(plan)}


def _check_worker() -> dict[str, Any]:
    seen = heartbeat.last_seen()
    if seen is None:
        return {"ok": False, "last_seen_seconds": None}
    age = (timezone.now() - seen).total_seconds()
    return {
        "ok": age <= settings.KRING_HEALTH_WORKER_SECONDS,
        "last_seen_seconds": round(age, 1),
        "limit_seconds": settings.KRING_HEALTH_WORKER_SECONDS,
    }


def _check_outbox() -> dict[str, Any]:
    from kring.messaging.models import OutboxMessage

    _due, overdue = metrics.outbox_backlog()
    failed = OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).count()
    return {
        "ok": overdue < settings.KRING_HEALTH_MAX_BACKLOG
        and failed < settings.KRING_HEALTH_MAX_FAILED,
        "backlog": overdue,
        "backlog_limit": settings.KRING_HEALTH_MAX_BACKLOG,
        "failed": failed,
        "failed_limit": settings.KRING_HEALTH_MAX_FAILED,
    }


def _check_jobs() -> dict[str, Any]:
    """Informational: each registered periodic job and its last run by a living worker (the
    worker check above says whether a worker runs at all)."""
    return {"ok": True, "jobs": heartbeat.job_runs()}


CHECKS = {
    "database": _check_database,
    "migrations": _check_migrations,
    "worker": _check_worker,
    "outbox": _check_outbox,
    "jobs": _check_jobs,
}


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # a check that cannot run has failed; say which and why
            results[name] = {"ok": False, "error": type(error).__name__}
            if name == "database":  # nothing else can be checked without it
                break
    healthy = len(results) == len(CHECKS) and all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
        headers=None if healthy else {"Retry-After": "30"},
    )


def _may_read_metrics(request: HttpRequest) -> bool:
    token = settings.KRING_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if (
        token
        and given.startswith("Bearer ")
        and hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())
    ):
        return True
    return (
        bool(settings.KRING_METRICS_ALLOW)
        and client_address(request) in settings.KRING_METRICS_ALLOW
    )


@require_GET
def prometheus(request: HttpRequest) -> HttpResponse:
    if not _may_read_metrics(request):
        raise Http404
    return HttpResponse(
        metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8"
    )


def bare(request: HttpRequest) -> HttpResponse:
    """For `manage.py bench_serve` only (KRING_BENCH_VIEW): the cost of Kring's middleware
    and server without a page, to compare the real pages with."""
    return HttpResponse(b"ok", content_type="text/plain")
