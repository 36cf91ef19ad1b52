"""Scale-out, proven (issue 16, points 2 and 3): two gunicorn app servers (`manage.py serve`) and
two workers (`manage.py worker`) on one PostgreSQL database, for both task backends. A few
hundred requests go alternately to both servers — public requests, staff edits, own-page
answers — and one worker is killed with SIGKILL halfway and another started. Then: no 5xx,
every acknowledged request stored exactly once, every queued email at the SMTP server exactly
once (counted by the outbox ID each message carries), and nothing lost."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from kring.cases.models import Case
from kring.circle import links
from kring.circle.models import ContactMoment, Participant
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.operations.models import WorkerHeartbeat
from tests.conftest import free_port, skip_or_fail

pytestmark = [pytest.mark.operations, pytest.mark.django_db(transaction=True)]

ROUNDS = 60  # 5 requests each: 300 requests
REDIS_URL = "redis://127.0.0.1:6379/5"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _redis_or_fail() -> None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            pass
    except OSError:
        skip_or_fail("Redis is not running on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _database_url() -> str:
    config = connection.settings_dict
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    return (
        f"postgres://{config['USER']}{password}@{config['HOST'] or '127.0.0.1'}:"
        f"{config['PORT'] or 5432}/{config['NAME']}"
    )


class Topology:
    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def server(self, name: str) -> str:
        port = free_port()
        self.start(name, "serve", "--bind", f"127.0.0.1:{port}", "--threads", "4")
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/gezond/live", timeout=2) as answer:
                    if answer.status == 200:
                        return base
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{name} did not start: {self.logs(name)}")

    def logs(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Browser:
    """One visitor: cookies of their own, CSRF tokens from the forms they open."""

    def __init__(self, cookies: dict[str, str] | None = None) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )
        self.cookies = cookies or {}

    def request(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        request.add_header("Accept-Language", "en")
        if data is not None:
            request.add_header("Referer", url)
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


@pytest.mark.parametrize("backend", ["database", "rq"])
def test_two_servers_two_workers_one_killed_everything_exactly_once(backend, world, smtp, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "The topology test runs on PostgreSQL (make test with DATABASE_URL=postgres://…, "
            "as CI's second pass does): several servers share one database server."
        )
    if backend == "rq":
        _redis_or_fail()
    jan = Participant.objects.create(
        case=world.case, name="Jan de Vries", category="resident", email="jan@voorbeeld.test"
    )
    token = links.issue(jan)
    staff = Client()
    staff.force_login(world.coordinator)
    staff_cookies = {"sessionid": staff.cookies["sessionid"].value}

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KRING_ENV": "development",
        "DEBUG": "false",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "10",
        "KRING_MFA_REQUIRED": "false",
        "KRING_REQUEST_LIMIT_PER_HOUR": "100000",
        "KRING_TASK_BACKEND": backend,
        "KRING_REDIS_URL": REDIS_URL,
        "KRING_WORKER_INTERVAL": "1",
        "KRING_LOG_FORMAT": "json",
    }
    topology = Topology(tmp_path, env)
    try:
        servers = [topology.server("web-1"), topology.server("web-2")]
        workers = [topology.start("worker-1", "worker"), topology.start("worker-2", "worker")]

        def one_round(i: int) -> list[tuple[str, int]]:
            base = servers[i % 2]
            other = servers[(i + 1) % 2]
            visitor = Browser()
            results = []
            status, _ = visitor.request(f"{base}/")
            results.append(("home", status))
            # The form is opened on one server and sent to the other.
            status, page = visitor.request(f"{other}/aanvragen/")
            csrf = CSRF.search(page)
            assert csrf and status == 200
            status, _ = visitor.request(
                f"{base}/aanvragen/",
                {
                    "csrfmiddlewaretoken": csrf.group(1),
                    "requester_name": f"Topo Aanvrager {i}",
                    "requester_email": f"aanvrager{i}@voorbeeld.test",
                    "requester_relation": "involved",
                    "description": "Al maanden overlast op het plein, 's avonds laat.",
                    "postcode": "1053ab",
                    "place": "De Molenstraat",
                    "variant": "buurt",
                    "involved": "Bewoners",
                    "urgency": "soon",
                    "consent": "on",
                    "website": "",
                },
            )
            results.append((f"request:{i}", status))
            coordinator = Browser(dict(staff_cookies))
            contact = f"{base}/zaken/{world.case.reference}/kring/{jan.pk}/contact/"
            status, page = coordinator.request(
                f"{other}/zaken/{world.case.reference}/kring/{jan.pk}/"
            )
            csrf = CSRF.search(page)
            assert status == 200 and csrf, status
            csrf_cookie = next(c.value for c in coordinator.jar if c.name == "csrftoken")
            coordinator.cookies["csrftoken"] = str(csrf_cookie)
            status, _ = coordinator.request(
                contact,
                {
                    "csrfmiddlewaretoken": csrf.group(1),
                    "on": timezone.localdate().isoformat(),
                    "channel": "phone",
                    "outcome": "reached",
                    "note": f"topo-{i}",
                },
            )
            results.append((f"contact:{i}", status))
            participant = Browser()
            status, page = participant.request(f"{other}/p/{token}/")
            # No CSRF token on the own page: its link authorises its forms.
            assert status == 200 and CSRF.search(page) is None, status
            status, _ = participant.request(
                f"{base}/p/{token}/",
                {
                    "action": "suggest",
                    "name": f"Topo Voorstel {i}",
                    "category": "friend",
                    "email": f"voorstel{i}@voorbeeld.test",
                },
            )
            results.append((f"suggest:{i}", status))
            return results

        results: list[tuple[str, int]] = []
        with ThreadPoolExecutor(max_workers=4) as pool:
            for outcome in pool.map(one_round, range(ROUNDS // 2)):
                results += outcome
            # Halfway: one worker dies without warning; another takes its place.
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait()
            topology.start("worker-3", "worker")
            for outcome in pool.map(one_round, range(ROUNDS // 2, ROUNDS)):
                results += outcome

        assert [r for r in results if r[1] >= 500] == []
        assert {status for name, status in results if ":" in name} == {302}, Counter(
            status for _name, status in results
        )
        assert {status for name, status in results if name == "home"} == {200}

        # Every acknowledged request is stored exactly once.
        for i in range(ROUNDS):
            assert Case.objects.filter(requester_name=f"Topo Aanvrager {i}").count() == 1
            assert ContactMoment.objects.filter(note=f"topo-{i}").count() == 1
            assert Participant.objects.filter(name=f"Topo Voorstel {i}").count() == 1

        # The workers send everything; a message the killed worker held stays claimed until
        # its lease runs out (KRING_WORKER_LEASE_SECONDS): that moment is brought forward here.
        def settled() -> bool:
            return not OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED).exists()

        assert _wait_for(settled, 45), (
            list(
                OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED).values(
                    "pk", "attempts", "next_attempt_at", "last_error", "claimed_by"
                )
            ),
            timezone.now(),
            topology.logs("worker-2")[-3000:],
            topology.logs("worker-3")[-3000:],
        )
        abandoned = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING)
        if abandoned.exists():
            time.sleep(2)  # a live worker's send in flight finishes
            outbox.release_abandoned(timezone.now() + outbox.lease() + dt.timedelta(seconds=1))
        assert _wait_for(
            lambda: OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).count() == 0,
            30,
        ), list(
            OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).values("pk", "status")
        )

        queued = set(OutboxMessage.objects.values_list("pk", flat=True))
        assert len(queued) >= 2 * ROUNDS  # a confirmation and the manager's notice per request
        arrived = Counter(int(m["X-Kring-Message"]) for m in smtp.messages)
        duplicates = {pk: n for pk, n in arrived.items() if n > 1}
        assert duplicates == {}
        assert set(arrived) == queued

        # Three workers were seen (two still beating), each with its own row.
        assert WorkerHeartbeat.objects.count() >= 2
    finally:
        topology.stop()


ROUND_PROBE = """
import django, redis.client
calls = []
redis.client.PubSub.run_in_thread = lambda self, *a, **k: calls.append(k) or None
django.setup()
from kring.operations.management.commands.worker import Command
Command()._task_runner("probe")()
Command()._task_runner("probe")()
print("subscriptions", len(calls))
"""


def test_an_rq_round_opens_no_command_channel(tmp_path):
    """rq's command channel is a thread per round; stopping one before Redis confirmed the
    subscription waited out its 60-second poll, and the worker stood still (the topology test
    caught it). A round of Kring's worker subscribes to nothing."""
    _redis_or_fail()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kring.settings",
        "KRING_TASK_BACKEND": "rq",
        "KRING_REDIS_URL": REDIS_URL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    }
    probe = subprocess.run(
        [sys.executable, "-c", ROUND_PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert "subscriptions 0" in probe.stdout, probe.stdout
