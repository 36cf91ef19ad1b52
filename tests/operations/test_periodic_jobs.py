"""Periodic jobs are registered by their own apps (issue 15, point 3): the worker runs what is
registered and knows no app's sweeps; the heartbeat carries each job's last run and
/gezond/klaar lists them."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from kring.core import periodic
from kring.operations import heartbeat
from kring.operations.management.commands import worker
from kring.operations.management.commands.worker import sweep_once

EXPECTED = {
    "audit.log_head": "audit",
    "audit.seal": "audit",
    "cases.tally": "cases",
    "core.expired_sessions": "core",
    "core.rate_limits": "core",
    "core.used_codes": "core",
    "followup.moments": "followup",
    "meetings.reminders": "meetings",
    "messaging.outbox": "messaging",
    "operations.dead_tasks": "operations",
    "privacy.retention": "privacy",
    "research.export_files": "research",
    "research.figures": "research",
    "work.digests": "work",
}


def test_each_app_registers_its_own_jobs():
    assert {job.name: job.app for job in periodic.registered()} == EXPECTED


def test_the_follow_up_s_invitations_go_in_the_round_that_opens_it_the_digests_in_the_next():
    names = [job.name for job in periodic.registered()]
    assert names[:2] == ["followup.moments", "messaging.outbox"]


def test_the_worker_imports_no_app_s_sweeps():
    tree = ast.parse(Path(worker.__file__).read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kring.")
    }
    assert imported <= {"kring.core", "kring.messaging", "kring.operations"}, imported


def test_a_failing_job_holds_up_no_other_and_is_recorded(monkeypatch, db):
    ran: list[str] = []
    jobs = {
        "a.fails": periodic.Job("a.fails", lambda w: 1 / 0, dt.timedelta(0), "a"),
        "b.works": periodic.Job("b.works", lambda w: ran.append(w), dt.timedelta(0), "b"),
    }
    monkeypatch.setattr(periodic, "_jobs", jobs)
    runs = periodic.Runs()
    with pytest.raises(ZeroDivisionError):
        sweep_once("w-1", runs)
    assert ran == ["w-1"]
    assert runs.ok == {"a.fails": False, "b.works": True}


def test_a_job_with_an_interval_waits_for_it(monkeypatch):
    ran: list[str] = []
    job = periodic.Job("a.slow", lambda w: ran.append(w), dt.timedelta(minutes=5), "a")
    monkeypatch.setattr(periodic, "_jobs", {job.name: job})
    runs = periodic.Runs()
    periodic.run_due("w", runs)
    periodic.run_due("w", runs)
    assert ran == ["w"]
    runs.last[job.name] -= dt.timedelta(minutes=6)
    periodic.run_due("w", runs)
    assert ran == ["w", "w"]


def test_two_jobs_cannot_share_a_name(monkeypatch):
    monkeypatch.setattr(periodic, "_jobs", {})
    periodic.register("x.one", print)
    with pytest.raises(ValueError):
        periodic.register("x.one", repr)


def test_ready_lists_every_job_with_its_last_run(client, db):
    before = client.get("/gezond/klaar").json()["checks"]["jobs"]["jobs"]
    assert set(before) == set(EXPECTED)
    assert all(job["last_run_seconds"] is None for job in before.values())

    runs = periodic.Runs()
    sweep_once("w-1", runs)
    heartbeat.beat("w-1", timezone.now(), runs.as_json())
    listed = client.get("/gezond/klaar").json()["checks"]["jobs"]["jobs"]
    assert set(listed) == set(EXPECTED)
    for name, job in listed.items():
        assert job["ok"] is True, name
        assert 0 <= job["last_run_seconds"] < 60, name
        assert job["app"] == EXPECTED[name]


def test_expired_sessions_are_deleted(db):
    from django.contrib.sessions.models import Session

    from kring.core.jobs import _clear_expired_sessions

    now = timezone.now()
    Session.objects.create(
        session_key="old" * 8, session_data="", expire_date=now - dt.timedelta(1)
    )
    Session.objects.create(
        session_key="new" * 8, session_data="", expire_date=now + dt.timedelta(1)
    )
    _clear_expired_sessions()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new" * 8]


@pytest.mark.django_db
def test_an_idle_worker_wakes_for_mail_that_is_due_not_for_mail_waiting_to_be_retried():
    """Mail stored in one transaction wakes one worker by its task; the other workers look for
    due mail every fifth of a second, so that they share the sending (issue 18)."""
    from django.core.mail import EmailMessage

    from kring.messaging import outbox
    from kring.messaging.models import OutboxMessage

    idle = worker.Command()
    assert not idle._work_waiting()
    message = outbox.store(
        EmailMessage("Onderwerp", "Tekst", to=["a@voorbeeld.test"]), purpose="test"
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=1)
    )
    assert not outbox.has_due()
    assert outbox.has_due(timezone.now() + dt.timedelta(minutes=2))
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert idle._work_waiting()
