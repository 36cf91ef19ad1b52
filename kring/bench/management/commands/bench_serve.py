"""Measure Kring as it is served: pages per second under gunicorn (each worker class) and under
`make run`'s server, as ratios to a bare view behind the same middleware; and messages per
second of one and of two workers against a local SMTP server, as ratios to plain smtplib.

Run it on a migrated database with the demo loaded (`make run` once, or `manage.py seed`), never
on the live one: it adds a personal link, a staff session and the benchmark's messages (and
removes them again), and every page it opens writes access-log rows, as real visits would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.mail import EmailMessage as DjangoEmail
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from kring.accounts.models import User, second_factors
from kring.circle.models import Participant, PersonalLink, hash_token
from kring.core import periodic
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.operations.models import WorkerHeartbeat
from kring.operations.server import gunicorn_argv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"The server stopped (exit {process.returncode}).")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"The server did not answer at {url}.")


class Cpu:
    """Where the machine's CPU went while the workers sent: the whole machine's busy time from
    ``/proc/stat``, the workers' own from ``/proc/<pid>/stat``, and this process's (the SMTP
    server's thread and the loop that waits for the messages). From those, the most that more
    workers could send here: the same cost per message with every core busy, and no more than
    one core for the SMTP server, which is one thread. ``None`` where there is no ``/proc``."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        self.start = self._read()
        self.end: tuple[float, float, float, float] | None = None

    def _read(self) -> tuple[float, float, float, float] | None:
        """(wall, machine busy, workers, this process) in seconds of CPU."""
        try:
            with open("/proc/stat") as stat:
                fields = [int(value) for value in stat.readline().split()[1:9]]
            workers = 0
            for pid in self.pids:
                with open(f"/proc/{pid}/stat") as stat:
                    after_name = stat.read().rsplit(")", 1)[1].split()
                workers += int(after_name[11]) + int(after_name[12])  # utime, stime
        except (OSError, ValueError, IndexError):
            return None
        # All but idle, waiting for the disk and stolen (a virtual machine's time that its host
        # gave another: not spent here, and not there to be used).
        busy = sum(fields) - fields[3] - fields[4] - (fields[7] if len(fields) > 7 else 0)
        # /proc/stat counts every core's ticks: busy ticks per second across the machine.
        return time.perf_counter(), busy / self.TICK, workers / self.TICK, time.process_time()

    def stop(self) -> None:
        self.end = self._read()

    def line(self, workers: int) -> str | None:
        if self.start is None or self.end is None:
            return None
        wall, busy, mine, own = (b - a for a, b in zip(self.start, self.end, strict=True))
        if wall <= 0 or busy <= 0:
            return None
        machine, worker, server = busy / wall, mine / wall, own / wall
        ceiling = self.cores / machine
        bound = f"all {self.cores} cores busy"
        if server > 0 and 1 / server < ceiling:
            ceiling, bound = 1 / server, "the SMTP server's one thread busy"
        return (
            f"  CPU, {workers} worker(s): {machine:.2f} of {self.cores} cores busy (worker(s) "
            f"{worker:.2f}, SMTP server and benchmark {server:.2f}, database and everything else "
            f"{max(machine - worker - server, 0):.2f}): at most {ceiling:.2f}× this rate here, "
            f"with {bound}"
        )


def stop(processes: list[subprocess.Popen[Any]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


class Command(BaseCommand):
    help = "Benchmark the served pages and the workers (ratios; see the module docstring)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=200, help="per page and server")
        parser.add_argument("--concurrency", type=int, default=8)
        parser.add_argument("--messages", type=int, default=200)
        parser.add_argument("--skip-runserver", action="store_true")
        parser.add_argument("--skip-mail", action="store_true")
        parser.add_argument("--only-mail", action="store_true", help="the workers alone")
        parser.add_argument(
            "--relay-ms",
            type=int,
            default=20,
            help="the second mail round: a server that takes this long per message, as a relay "
            "over the network does (0: no second round)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["only_mail"]:
            self._mail(options["messages"], options["relay_ms"])
            return
        participant = Participant.objects.filter(case__isnull=False).order_by("pk").first()
        staff = User.objects.filter(is_regional_manager=True, is_active=True).order_by("pk").first()
        if participant is None or staff is None:
            raise CommandError("Load the demo first (manage.py seed).")
        # A link of the benchmark's own, so that the participant's own link stays valid.
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        link = PersonalLink.objects.create(
            participant=participant,
            purpose=PersonalLink.Purpose.PORTAL,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + dt.timedelta(days=1),
        )
        # Staff pages ask for a second factor first: without one on record, the staff case list
        # would be measured as the redirect to setting one up (urllib follows it).
        from allauth.mfa.models import Authenticator

        factor = None
        if not second_factors(staff.pk).exists():
            factor = Authenticator.objects.create(
                user=staff, type=Authenticator.Type.TOTP, data={"secret": "benchmark"}
            )
        session = SessionStore()
        session[SESSION_KEY] = str(staff.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = staff.get_session_auth_hash()
        session.create()
        pages = [
            ("bare view", "/bench/bare/", False),
            ("/", "/", False),
            ("/aanvragen/", "/aanvragen/", False),
            ("own page", f"/p/{token}/", False),
            ("staff case list", "/zaken/", True),
        ]
        cookie = f"sessionid={session.session_key}"
        try:
            self.stdout.write(
                f"Pages: {options['requests']} requests each, {options['concurrency']} at a time, "
                f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}."
            )
            servers: list[tuple[str, Callable[[int], list[str]]]] = [
                (
                    "gunicorn gthread (1 process, 8 threads)",
                    lambda port: gunicorn_argv(
                        bind=f"127.0.0.1:{port}", processes=1, threads=8, worker_class="gthread"
                    ),
                ),
                (
                    "gunicorn sync (4 processes)",
                    lambda port: gunicorn_argv(
                        bind=f"127.0.0.1:{port}", processes=4, worker_class="sync"
                    ),
                ),
            ]
            if not options["skip_runserver"]:
                servers.append(
                    (
                        "make run (runserver)",
                        lambda port: [
                            sys.executable,
                            str(settings.BASE_DIR / "manage.py"),
                            "runserver",
                            f"127.0.0.1:{port}",
                            "--noreload",
                            "--skip-checks",
                        ],
                    )
                )
            for label, argv in servers:
                self._pages(label, argv, pages, cookie, options["requests"], options["concurrency"])
            if not options["skip_mail"]:
                self._mail(options["messages"])
        finally:
            session.delete()
            link.delete()
            if factor is not None:
                factor.delete()

    # --- Pages -------------------------------------------------------------------------

    def _pages(
        self,
        label: str,
        argv: Callable[[int], list[str]],
        pages: list[tuple[str, str, bool]],
        cookie: str,
        requests: int,
        concurrency: int,
    ) -> None:
        port = free_port()
        env = {**os.environ, "KRING_BENCH_VIEW": "true", "KRING_REQUEST_LOG": "false"}
        process = subprocess.Popen(  # noqa: S603
            argv(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(f"{base}/gezond/live", process)
            self.stdout.write(f"\n{label}")
            self.stdout.write(
                f"{'page':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}  statuses"
            )
            bare_rate = 0.0
            for name, path, staff in pages:
                rate, p50, p99, statuses = self._drive(
                    base + path, cookie if staff else "", requests, concurrency
                )
                bare_rate = bare_rate or rate
                self.stdout.write(
                    f"{name:<18}{rate:>9.1f}{p50:>9.1f}{p99:>9.1f}{rate / bare_rate:>8.2f}  "
                    + ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items()))
                )
        finally:
            stop([process])

    def _drive(
        self, url: str, cookie: str, requests: int, concurrency: int
    ) -> tuple[float, float, float, Counter[int]]:
        def one(_: int) -> tuple[float, int]:
            request = urllib.request.Request(url)  # noqa: S310 - loopback
            if cookie:
                request.add_header("Cookie", cookie)
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
                    answer.read()
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
            return time.perf_counter() - started, status

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, range(min(20, requests))))  # warm up
            started = time.perf_counter()
            results = list(pool.map(one, range(requests)))
            elapsed = time.perf_counter() - started
        latencies = sorted(seconds * 1000 for seconds, _status in results)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        return (
            requests / elapsed,
            statistics.median(latencies),
            p99,
            Counter(status for _seconds, status in results),
        )

    # --- Mail --------------------------------------------------------------------------

    def _mail(self, count: int, relay_ms: int = 0) -> None:
        """Messages per second to a local SMTP server, then (``relay_ms``) to one that takes
        that long per message. The local server is the machine's floor: on two cores the
        senders, the server and the database share them, and two plain smtplib processes send
        less than twice what one does (1.14-1.56× on the benchmark's machine). The workers are
        measured beside that, and whether two share the queue without waiting on each other
        shows against a server that answers as slowly as a relay over the network does."""
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise CommandError(
                "The mail benchmark needs aiosmtpd (a development dependency)."
            ) from None

        if count < 2:
            raise CommandError(
                "Send at least 2 messages: a rate is taken from the first to the last."
            )
        received: list[tuple[float, bytes]] = []  # when each message was taken, and what

        class Handler:
            delay = 0.0

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                if self.delay:
                    await asyncio.sleep(self.delay)
                received.append((time.perf_counter(), envelope.content))
                return "250 OK"

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        port = free_port()
        handler = Handler()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            self.stdout.write(f"\nMessages: {count} each, to a local SMTP server")
            self._mail_round(count, port, received, both_plain=True)
            if relay_ms:
                handler.delay = relay_ms / 1000
                self.stdout.write(
                    f"\nMessages: {count} each, to a server that takes {relay_ms} ms a message"
                )
                self._mail_round(count, port, received, both_plain=False)
        finally:
            controller.stop()

    def _mail_round(
        self, count: int, port: int, received: list[tuple[float, bytes]], both_plain: bool
    ) -> None:
        self.stdout.write(f"{'sender':<26}{'msg/s':>9}{'ratio':>8}{'duplicates':>12}")
        # Plain smtplib in a process of its own, as each worker is (a sender in this process
        # would take turns with the SMTP server's thread at Python's one lock): the floor the
        # ratios are to. And two of them at once: what this machine and this server give a
        # second sender.
        plain = self._plain_processes(1, count, port)
        self.stdout.write(f"{'plain smtplib':<26}{plain:>9.1f}{1.0:>8.2f}{'-':>12}")
        floor = None
        if both_plain:
            two = self._plain_processes(2, count, port)
            floor = two / plain
            label = "plain smtplib, 2 processes"
            self.stdout.write(f"{label:<26}{two:>9.1f}{floor:>8.2f}{'-':>12}")
        rates, cpu, waits = [], [], []
        for workers in (1, 2):
            received.clear()
            rate, duplicates, used, wait = self._workers(workers, count, port, received)
            rates.append(rate)
            cpu.append(used.line(workers))
            waits.append(f"{wait * 1000:.0f} ms")
            self.stdout.write(
                f"{f'{workers} worker(s)':<26}{rate:>9.1f}{rate / plain:>8.2f}{duplicates:>12}"
            )
        beside = f"; two plain senders against one: {floor:.2f}×" if floor else ""
        self.stdout.write(f"two workers against one: {rates[1] / rates[0]:.2f}× (goal ≈ 2{beside})")
        self.stdout.write(
            "  (the workers' rate from the first of the messages to the last, as the server took "
            f"them; they began {' and '.join(waits)} after the messages were stored)"
        )
        # Whether two could have been twice one on this machine: what one left idle.
        for line in cpu:
            if line:
                self.stdout.write(line)

    @staticmethod
    def _plain_processes(senders: int, count: int, port: int) -> float:
        """Messages per second of ``senders`` plain smtplib processes sending ``count`` in all,
        timed from the word to start (Python's start-up left out) until the last has ended."""
        share = count // senders
        processes = [
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "kring.bench.plain_smtp",
                    str(port),
                    str(n * share),
                    str(share),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=settings.BASE_DIR,
                text=True,
            )
            for n in range(senders)
        ]
        try:
            for process in processes:
                assert process.stdout is not None  # noqa: S101 - piped above
                if process.stdout.readline().strip() != "ready":
                    raise CommandError("A plain smtplib sender did not start.")
            started = time.perf_counter()
            for process in processes:
                assert process.stdin is not None  # noqa: S101 - piped above
                process.stdin.write("go\n")
                process.stdin.flush()
            for process in processes:
                if process.wait(timeout=300) != 0:
                    raise CommandError("A plain smtplib sender failed.")
            return share * senders / (time.perf_counter() - started)
        finally:
            stop(processes)

    @staticmethod
    def _due() -> int:
        return OutboxMessage.objects.filter(
            status=OutboxMessage.Status.QUEUED, next_attempt_at__lte=timezone.now()
        ).count()

    def _first_rounds(
        self, processes: list[subprocess.Popen[bytes]], since: dt.datetime, wait: float = 120
    ) -> None:
        """Wait until every worker has run each periodic job once and well (its heartbeat says
        so). A worker's first round runs them all, and at 100,000 cases that takes seconds
        (the retention of declined people's data alone about one): one worker that was still
        in it when the benchmark's messages were stored sent them at 75 instead of 356-371
        messages a second (PostgreSQL). Says so when a job has not ended well in time, and
        stops waiting when a worker has stopped."""
        names = {job.name for job in periodic.registered()}
        pids = {process.pid for process in processes}
        deadline = time.monotonic() + wait
        pending: set[str] = set(names)
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes):
                return  # a worker stopped: nothing more to wait for
            beats = WorkerHeartbeat.objects.filter(pid__in=pids, started_at__gte=since)
            pending = set() if len(beats) == len(pids) else set(names)
            for beat in beats:
                pending |= {name for name in names if not beat.jobs.get(name, {}).get("ok")}
            if not pending:
                return
            time.sleep(0.2)
        self.stdout.write(f"  (after {wait:.0f} s not yet run well: {', '.join(sorted(pending))})")

    def _workers(
        self, workers: int, count: int, port: int, received: list[tuple[float, bytes]]
    ) -> tuple[float, int, Cpu, float]:
        """The workers' messages per second while they sent (from the server's taking the first
        of ``count`` to its taking the last), the messages the server got twice, the CPU they
        used, and how long after the messages were stored the first was taken. A worker looks
        for new mail every fifth of a second: timed from the storing, that wait was a fifth of
        the time of 500 messages, and how much of it fell in a round was chance. A second worker
        that wakes later than the first still counts within the span, as it would in use."""
        env = {
            **os.environ,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_USE_TLS": "false",
            "KRING_WORKER_INTERVAL": "1",
        }
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py"), "worker"]
        launched = timezone.now()  # a heartbeat left by an earlier worker is older
        processes = [
            subprocess.Popen(manage, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
            for _ in range(workers)
        ]
        ids: list[int] = []
        try:
            time.sleep(4)  # let them start and finish a first round
            # A database the worker never saw holds a backlog (the seeded follow-up's
            # invitations, reminders, digests): the workers send it first, and timing the
            # benchmark's messages behind it measured 16 instead of 330 messages/s. Wait until
            # nothing due is left; the line says how many were sent before.
            backlog = self._due()
            deadline = time.monotonic() + 600
            while self._due() and time.monotonic() < deadline:
                time.sleep(0.2)
            if backlog:
                self.stdout.write(f"  ({workers} worker(s) first sent a backlog of {backlog:,})")
            self._first_rounds(processes, launched)
            before = len(received)  # the backlog's; ours may come the moment they are stored
            with transaction.atomic():
                for number in range(count):
                    email = DjangoEmail("Benchmark", "Benchmark", to=[f"bench{number}@example.org"])
                    ids.append(outbox.store(email, purpose="benchmark").pk)
            started = time.perf_counter()
            deadline = time.monotonic() + 300
            while len(received) == before and time.monotonic() < deadline:
                time.sleep(0.002)  # until the workers have woken: their CPU from then on
            used = Cpu([process.pid for process in processes])
            # Until the server has them all, looking at its list only: a query every few
            # milliseconds would take CPU from the workers it measures.
            while len(received) - before < count and time.monotonic() < deadline:
                time.sleep(0.01)
            used.stop()
            pending = OutboxMessage.objects.filter(pk__in=ids).exclude(
                status=OutboxMessage.Status.SENT
            )
            while pending.exists() and time.monotonic() < deadline:  # their outcomes written
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            unsent = pending.count()
        finally:
            stop(processes)
            OutboxMessage.objects.filter(pk__in=ids).delete()
        wanted = {str(pk).encode() for pk in ids}
        taken = [
            (at, line.split(b":", 1)[1].strip())
            for at, content in received
            for line in content.splitlines()
            if line.startswith(b"X-Kring-Message:")
        ]
        first: dict[bytes, float] = {}  # each message's first taking: a second is a duplicate
        for at, key in taken:
            first.setdefault(key, at)
        times = sorted(at for key, at in first.items() if key in wanted)
        mine = Counter(key for _at, key in taken)
        duplicates = sum(n - 1 for n in mine.values() if n > 1)
        if len(times) < count or unsent:
            raise CommandError(
                f"{workers} worker(s) sent {len(times)} of {count} in {elapsed:.0f} s "
                f"({unsent} not written down as sent)."
            )
        return (count - 1) / max(times[-1] - times[0], 1e-6), duplicates, used, times[0] - started
