"""Health, metrics, JSON logs and the worker heartbeat (issue 16, point 4)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.core.management import call_command
from django.utils import timezone

from kring.messaging.models import OutboxMessage
from kring.operations import metrics
from kring.operations.jsonlog import JsonFormatter, request_id
from kring.operations.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_live_answers_without_asking_anything(client):
    response = client.get("/gezond/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.post("/gezond/live").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_ready_needs_a_worker_seen_recently(client, settings):
    response = client.get("/gezond/klaar")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"] == {"ok": True, "unapplied": 0}
    assert body["checks"]["worker"]["ok"] is False

    call_command("worker", once=True)
    beat = WorkerHeartbeat.objects.get()
    assert beat.pid > 0 and beat.hostname and beat.backend == "database"
    response = client.get("/gezond/klaar")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"

    # A worker last seen longer ago than the limit does not count.
    WorkerHeartbeat.objects.update(
        seen_at=timezone.now() - dt.timedelta(seconds=settings.KRING_HEALTH_WORKER_SECONDS + 5)
    )
    response = client.get("/gezond/klaar")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def _message(**fields):
    return OutboxMessage.objects.create(
        purpose="test", to_addresses=["a@example.org"], subject="S", body_text="B", **fields
    )


@pytest.mark.django_db(transaction=True)
def test_ready_fails_on_too_many_failed_or_overdue_messages(client, settings):
    call_command("worker", once=True)
    assert client.get("/gezond/klaar").status_code == 200
    settings.KRING_HEALTH_MAX_FAILED = 2
    _message(status=OutboxMessage.Status.FAILED)
    assert client.get("/gezond/klaar").status_code == 200
    _message(status=OutboxMessage.Status.FAILED)
    response = client.get("/gezond/klaar")
    assert response.status_code == 503
    assert response.json()["checks"]["outbox"]["failed"] == 2

    OutboxMessage.objects.all().delete()
    settings.KRING_HEALTH_MAX_BACKLOG = 1
    long_ago = timezone.now() - dt.timedelta(seconds=settings.KRING_HEALTH_BACKLOG_SECONDS + 60)
    _message(next_attempt_at=long_ago)
    response = client.get("/gezond/klaar")
    assert response.status_code == 503
    assert response.json()["checks"]["outbox"]["backlog"] == 1


def test_metrics_are_closed_without_the_token_or_an_allowed_address(client, settings):
    settings.KRING_METRICS_TOKEN = "s3cret-token-for-metrics"
    assert client.get("/gezond/metrics").status_code == 404
    wrong = client.get("/gezond/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
    right = client.get(
        "/gezond/metrics", headers={"Authorization": "Bearer s3cret-token-for-metrics"}
    )
    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain; version=0.0.4")

    settings.KRING_METRICS_TOKEN = ""
    assert client.get("/gezond/metrics").status_code == 404
    settings.KRING_METRICS_ALLOW = ["127.0.0.1"]
    assert client.get("/gezond/metrics").status_code == 200
    settings.KRING_METRICS_ALLOW = ["10.0.0.1"]
    assert client.get("/gezond/metrics").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_metrics_report_latency_outbox_jobs_workers_and_cases(client, settings, world):
    settings.KRING_METRICS_ALLOW = ["127.0.0.1"]
    metrics.reset()
    client.get("/gezond/live")
    client.get("/gezond/live")
    _message()
    _message(status=OutboxMessage.Status.FAILED)
    call_command("worker", once=True)  # sends the queued one to the demo mailbox
    text = client.get("/gezond/metrics").content.decode()
    lines = set(text.splitlines())
    assert 'kring_request_duration_seconds_count{view="health_live",method="GET"} 2' in lines
    assert 'kring_request_duration_seconds_bucket{view="health_live",method="GET",le="+Inf"} 2' in (
        lines
    )
    assert 'kring_responses_total{view="health_live",status="2xx"} 2' in lines
    assert 'kring_outbox_messages{status="sent"} 1' in lines
    assert 'kring_outbox_messages{status="failed"} 1' in lines
    assert 'kring_jobs_due{kind="outbox"} 0' in lines
    assert 'kring_cases{status="preparation"} 1' in lines
    ages = [line for line in lines if line.startswith("kring_worker_heartbeat_age_seconds{")]
    assert len(ages) == 1
    assert 0 <= float(ages[0].rsplit(" ", 1)[1]) < 60


def test_json_logs_carry_the_request_id_and_keep_tokens_out():
    formatter = JsonFormatter()
    record = logging.makeLogRecord(
        {
            "name": "kring.request",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "GET %s 200",
            "args": ("/p/AbCdEf0123456789_-xyz/",),
            "path": "/p/AbCdEf0123456789_-xyz/",
            "status": 200,
        }
    )
    token = request_id.set("0123abcd")
    try:
        line = formatter.format(record)
    finally:
        request_id.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "0123abcd"
    assert entry["message"] == "GET /p/[token]/ 200"
    assert entry["path"] == "/p/[token]/"
    assert entry["status"] == 200
    assert "AbCdEf0123456789" not in line


def test_each_request_logs_one_line_with_its_request_id(client, settings, caplog):
    settings.KRING_REQUEST_LOG = True
    with caplog.at_level(logging.INFO, logger="kring.request"):
        response = client.get("/p/AbCdEf0123456789_-xyz/")
    records = [r for r in caplog.records if r.name == "kring.request"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["status"] == response.status_code
    assert "AbCdEf0123456789" not in json.dumps(line)
    # The request ID was current while the line was written (the formatter ran afterwards, so
    # the middleware's ID is compared through the response header instead).
    assert response["X-Request-ID"]
