"""Mail that is neither lost nor sent twice (issue 17, point 2; issue 18, point 7).

A message's Message-ID is fixed when it is stored and sent on every attempt; a dead worker's
claim runs out after one lease (seconds, not ten minutes); tasks a killed worker left RUNNING are
swept; a batch goes over one SMTP connection with a few queries per message. The drills: the
worker killed with SIGKILL at random points while 200 messages go to a real local SMTP server,
and a server answering 451 then 250, and 550."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from email import message_from_bytes, policy

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.operations import heartbeat
from kring.operations.models import WorkerHeartbeat
from tests.conftest import free_port, skip_or_fail


class Sink:
    """A local SMTP server that records, per message received, its Message-ID, the outbox row
    it came from and the connection it came over. ``answers`` scripts the RCPT replies (one per
    attempt, then 250); ``delay`` slows each RCPT down so that a kill lands mid-batch;
    ``ack_delay`` is the time between taking a whole message and saying 250, as a server that
    writes it to its queue first takes: a worker killed then has sent a message it has not
    heard about.)"""

    def __init__(self, *, delay: float = 0.0, ack_delay: float = 0.0) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[tuple[str, str, object]] = []  # (Message-ID, X-Kring-Message, peer)
        self.answers: list[str] = []
        self.delay = delay
        self.ack_delay = ack_delay
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if sink.delay:  # before the message is handed over, not after
                    await asyncio.sleep(sink.delay)
                with sink.lock:
                    answer = sink.answers.pop(0) if sink.answers else "250 OK"
                if answer.startswith("250"):
                    envelope.rcpt_tos.append(address)
                return answer

            async def handle_DATA(self, server, session, envelope):
                message = message_from_bytes(envelope.content, policy=policy.default)
                with sink.lock:
                    sink.received.append(
                        (
                            str(message["Message-ID"]),
                            str(message["X-Kring-Message"]),
                            tuple(session.peer),
                        )
                    )
                if sink.ack_delay:
                    await asyncio.sleep(sink.ack_delay)
                return "250 Message accepted"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@pytest.fixture
def sink(settings):
    try:
        server = Sink()
    except ImportError:
        skip_or_fail("aiosmtpd is not installed")
    settings.KRING_DEMO_MAILBOX = False
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    with server:
        yield server


def _store(number: int = 0, attachment: bool = False) -> OutboxMessage:
    email = mail.EmailMultiAlternatives(
        subject=f"Bericht {number}", body="Hallo", to=[f"ontvanger{number}@voorbeeld.test"]
    )
    email.attach_alternative("<p>Hallo</p>", "text/html")
    if attachment:
        email.attach("plan.txt", b"Het plan", "text/plain")
    return outbox.store(email, purpose="test")


# --- The defects, each pinned ----------------------------------------------------------


@pytest.mark.django_db
def test_a_message_sent_again_after_a_crash_carries_the_same_message_id(sink):
    message = _store()
    assert message.message_id.startswith("<") and message.message_id.endswith(">")
    assert outbox.deliver(message.pk) == OutboxMessage.Status.SENT
    # The worker died in the one instant in which the server has a message whole but the row
    # does not say so: after the end-of-data mark, before the hand-over's commit. The message
    # is claimed again and sent again — as the same message.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENDING,
        claimed_at=timezone.now() - dt.timedelta(minutes=1),
        handed_over_at=None,
    )
    assert outbox.sweep() == 1
    ids = [message_id for message_id, _row, _peer in sink.received]
    assert ids == [message.message_id, message.message_id]


class Killed(BaseException):
    """Stands for SIGKILL inside the process: nothing after it runs (not ``except Exception``)."""


@pytest.mark.django_db
def test_a_worker_killed_before_the_servers_answer_is_written_down_sends_nothing_twice(
    sink, settings, monkeypatch
):
    settings.KRING_WORKER_LEASE_SECONDS = 2
    sink.ack_delay = 0.05
    message = _store()

    def killed(*args: object, **kwargs: object) -> None:
        raise Killed

    # The server has the message and says 250; the worker dies before writing that down.
    monkeypatch.setattr(outbox, "_write_all_sent", killed)
    with pytest.raises(Killed):
        outbox.sweep()
    monkeypatch.undo()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENDING and message.handed_over_at
    # One lease later the next worker settles it: sent, at the moment the server had it.
    later = timezone.now() + dt.timedelta(seconds=3)
    assert outbox.release_abandoned(later) == 1
    assert outbox.sweep(later) == 0
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.sent_at == message.handed_over_at
    assert [row for _id, row, _peer in sink.received] == [str(message.pk)]


@pytest.mark.django_db
def test_a_worker_that_lost_its_claim_does_not_finish_the_message(sink):
    message = _store()
    claimed = outbox.claim(10)
    # The lease ran out while this worker stalled; another worker holds the message now.
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_by="another-worker 1")
    assert outbox.send(claimed) == {}
    assert sink.received == []  # no end of data: the server dropped the message
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENDING
    assert message.claimed_by == "another-worker 1" and message.handed_over_at is None


@pytest.mark.django_db
def test_a_dead_workers_claim_runs_out_after_one_lease_not_ten_minutes(sink, settings):
    settings.KRING_WORKER_LEASE_SECONDS = 30
    message = _store()
    claimed = outbox.claim(10)
    assert [m.pk for m in claimed] == [message.pk]
    now = timezone.now()
    # A living worker's heartbeat renews the claim: it stays claimed.
    assert outbox.release_abandoned(now + dt.timedelta(seconds=20)) == 0
    assert outbox.renew_claims(outbox.worker_name) == 1
    # Silent for a whole lease: back in the queue, and sent.
    assert outbox.release_abandoned(timezone.now() + dt.timedelta(seconds=31)) == 1
    assert outbox.sweep() == 1
    assert len(sink.received) == 1


@pytest.mark.django_db
def test_tasks_a_killed_worker_left_running_are_swept(settings):
    settings.KRING_WORKER_LEASE_SECONDS = 10
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        name="alive", hostname="h", pid=1, backend="database", seen_at=now
    )
    WorkerHeartbeat.objects.create(
        name="killed",
        hostname="h",
        pid=2,
        backend="database",
        seen_at=now - dt.timedelta(minutes=1),
    )
    from kring.messaging.tasks import deliver_message

    def running(worker: str, started: dt.datetime) -> DBTaskResult:
        result = deliver_message.enqueue(1)
        DBTaskResult.objects.filter(pk=result.id).update(
            status=TaskResultStatus.RUNNING, started_at=started, worker_ids=[worker]
        )
        return DBTaskResult.objects.get(pk=result.id)

    old = now - dt.timedelta(minutes=2)
    of_the_dead = running("killed", old)
    of_the_living = running("alive", old)
    just_started = running("killed", now)  # within one lease: not judged yet
    assert heartbeat.sweep_dead_tasks(now) == 1
    statuses = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert statuses[of_the_dead.pk] == TaskResultStatus.FAILED
    assert statuses[of_the_living.pk] == TaskResultStatus.RUNNING
    assert statuses[just_started.pk] == TaskResultStatus.RUNNING
    assert "WorkerDied" in DBTaskResult.objects.get(pk=of_the_dead.pk).exception_class_path


@pytest.mark.django_db(transaction=True)
def test_one_transaction_of_messages_wakes_the_worker_once():
    with transaction.atomic():
        for number in range(5):
            _store(number)
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_a_batch_goes_over_one_connection_with_a_few_queries_per_message(sink):
    for number in range(20):
        _store(number, attachment=True)
    with CaptureQueriesContext(connection) as queries:
        assert outbox.sweep() == 20
    # Per sweep: the release (the handed-over messages of dead workers, then the others), and
    # per batch the claim (a select and an update), the rows and their attachments, and the
    # empty claim that ends it — on PostgreSQL also the SET and RESET that spare the commits
    # the wait for the disk; per message the hand-over around its end of data and its outcome;
    # per group of sent messages the plan-copy receipt (it was about eleven per message, and a
    # connection each; then five on PostgreSQL). (Savepoints are left out: each write is one
    # transaction of its own, which in the test's transaction shows as a savepoint.)
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    per_batch = 2 + 2 + 2 + 1 + 2 * (connection.vendor == "postgresql")
    groups = -(-20 // outbox.SENT_GROUP)
    assert len(statements) <= per_batch + 2 * 20 + groups, [sql[:60] for sql in statements]
    assert len({peer for _id, _row, peer in sink.received}) == 1  # one SMTP connection
    assert len(sink.received) == 20


def test_the_worker_sends_without_waiting_for_acknowledgements(sink):
    """Nagle's algorithm off on the worker's SMTP socket: the end-of-data mark goes in a write
    of its own, and would otherwise wait for the server's delayed acknowledgement (up to 40 ms a
    message: 21 messages/s instead of hundreds)."""
    import socket

    from kring.messaging.smtp import HandOverBackend

    backend = HandOverBackend(fail_silently=False)
    backend.open()
    try:
        assert backend.connection is not None
        sock = backend.connection.sock
        assert sock is not None
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        backend.close()


# --- The drills --------------------------------------------------------------------------


@pytest.mark.drills
@pytest.mark.django_db
def test_drill_451_then_250_is_retried_and_550_fails_for_administrators(sink, world, client):
    retried = _store(1)
    refused = _store(2)
    sink.answers = ["451 4.3.0 Try again later", "550 5.1.1 No such user"]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        outcome = outbox.send(outbox.claim(10))
        assert outcome == {
            retried.pk: OutboxMessage.Status.QUEUED,
            refused.pk: OutboxMessage.Status.FAILED,
        }
        retried.refresh_from_db()
        assert "451" in retried.last_error and retried.attempts == 1
        assert outbox.sweep() == 0  # not due before its back-off
        traveller.shift(dt.timedelta(minutes=1))
        assert outbox.sweep() == 1
    retried.refresh_from_db()
    assert retried.status == OutboxMessage.Status.SENT and retried.attempts == 2
    assert [row for _id, row, _peer in sink.received] == [str(retried.pk)]
    refused.refresh_from_db()
    assert refused.status == OutboxMessage.Status.FAILED and "550" in refused.last_error
    client.force_login(world.administrator)
    failed_list = client.get(
        reverse("outbox_list"), {"status": "failed"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.subject in failed_list.text and retried.subject not in failed_list.text


def _database_url() -> str:
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    return (
        f"postgres://{config['USER']}{password}@{config['HOST'] or '127.0.0.1'}:"
        f"{config['PORT'] or 5432}/{config['NAME']}"
    )


MESSAGES = 200
KILLS = 8


@pytest.mark.drills
@pytest.mark.django_db(transaction=True)
def test_drill_worker_killed_at_random_points_nothing_lost_nothing_twice(tmp_path, settings):
    """200 messages; the worker is SIGKILLed 8 times at random moments while it sends, and
    started again; then: every message at the server, none under two Message-IDs, none sent
    twice, no task left RUNNING. The server takes 40 ms to acknowledge a message it has whole,
    as one that writes it to its queue and disk first: a worker that wrote its outcome only
    after the 250 left about half its kills in that window, and sent those messages again.
    What is left is the step from the end-of-data mark to the hand-over's commit (under a
    millisecond on a loaded machine): a kill lands there with the chance of that step's share
    of a message's time — about 3 % a kill with a server that answers in 10 ms, which this
    drill's 8 kills would meet one run in four; about 1 % with 40 ms."""
    try:
        server = Sink(delay=0.005, ack_delay=0.04)
    except ImportError:
        skip_or_fail("aiosmtpd is not installed")
    lease = 2
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "KRING_ENV": "development",
        "DEBUG": "false",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(server.port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "5",
        "KRING_TASK_BACKEND": "database",
        "KRING_WORKER_INTERVAL": "1",
        "KRING_WORKER_LEASE_SECONDS": str(lease),
        "KRING_OUTBOX_BATCH": "10",
    }
    rng = random.Random(int(os.environ.get("KRING_DRILL_SEED", time.time_ns())))
    log = (tmp_path / "workers.log").open("wb")

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    with server:
        with transaction.atomic():
            ids = {str(_store(number).pk) for number in range(MESSAGES)}
        stored = dict(OutboxMessage.objects.values_list("pk", "message_id"))
        kills = 0
        began = time.monotonic()
        final = None
        try:
            for _ in range(KILLS):
                before = server.count()
                if before >= MESSAGES:
                    break
                worker = start()
                deadline = time.monotonic() + 20
                while server.count() == before and time.monotonic() < deadline:
                    time.sleep(0.01)  # until it sends
                time.sleep(rng.uniform(0, 0.4))
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                kills += 1
            final = start()

            def settled() -> bool:
                unsent = OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()
                running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
                return not unsent and not running

            deadline = time.monotonic() + 40
            while not settled() and time.monotonic() < deadline:
                time.sleep(0.2)
            recovered = time.monotonic() - began
        finally:
            if final is not None:
                final.send_signal(signal.SIGTERM)
                final.wait(timeout=15)
            log.close()
        received = list(server.received)
    logs = (tmp_path / "workers.log").read_text(errors="replace")[-3000:]

    by_row: dict[str, set[str]] = defaultdict(set)
    for message_id, row, _peer in received:
        by_row[row].add(message_id)
    deliveries = Counter(row for _id, row, _peer in received)
    lost = ids - set(by_row)
    two_ids = [row for row, message_ids in by_row.items() if len(message_ids) > 1]
    repeats = sum(n - 1 for n in deliveries.values())
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()
    print(
        f"\nkill drill ({connection.vendor}): {MESSAGES} messages, {kills} kills, "
        f"{len(lost)} lost, {len(two_ids)} duplicated (a second Message-ID), "
        f"{repeats} sent again under the same Message-ID, {running} tasks RUNNING, "
        f"settled after {recovered:.1f} s"
    )
    assert kills >= 4, logs
    assert lost == set(), logs
    assert two_ids == []
    assert all(stored[int(row)] in message_ids for row, message_ids in by_row.items())
    assert running == 0, logs
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()
    # A repeat needs a kill between two socket writes: the end-of-data mark and the commit of
    # the hand-over (see kring.messaging.smtp) — about 1 % of kills here, so one in a run is
    # chance (a run meets two about once in three hundred); a worker without the hand-over
    # repeats about half its kills' messages.
    assert repeats <= 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_beats_from_a_thread_and_sends_in_batches(sink, settings):
    settings.KRING_WORKER_LEASE_SECONDS = 2
    with transaction.atomic():
        for number in range(3):
            _store(number)
    call_command("worker", once=True)
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == 3
    assert len({peer for _id, _row, peer in sink.received}) == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL
