"""The access log sealed by the worker (issue 18, point 3): a request only inserts its rows,
unsealed, and takes no lock that other requests share; the worker's job seals them into the
chain; verification checks what is sealed, and says so when rows wait too long."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.audit import log
from kring.audit.models import AccessLog, ChainHead
from kring.core import periodic
from tests.audit.test_access_log import _tamper, people

pytestmark = pytest.mark.django_db


def _visit(world, client) -> None:
    client.force_login(world.manager)
    people(world, 3)
    assert client.get(reverse("circle", args=[world.case.reference])).status_code == 200
    assert client.get(world.case.get_absolute_url()).status_code == 200


def test_a_request_inserts_its_rows_unsealed_and_locks_nothing_shared(world, client):
    client.force_login(world.manager)
    people(world, 3)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("circle", args=[world.case.reference])).status_code == 200
    rows = list(AccessLog.objects.all())
    assert len(rows) >= 3
    assert all(r.position is None and r.hash == "" and r.prev_hash == "" for r in rows)
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert any("INSERT INTO" in s and "AUDIT_ACCESSLOG" in s for s in sql)
    # Two requests at once wait for nothing of each other's: no row lock in the request path,
    # and the chain's head is not even read.
    assert not [s for s in sql if "FOR UPDATE" in s]
    assert not [s for s in sql if "AUDIT_CHAINHEAD" in s]
    assert not ChainHead.objects.exists()


def test_the_worker_seals_in_order_and_verification_then_holds(world, client):
    _visit(world, client)
    waiting = list(AccessLog.objects.order_by("pk").values_list("pk", flat=True))
    # Before sealing: nothing in the chain yet, and recent rows waiting are no problem.
    assert log.verify() == []
    (job,) = [j for j in periodic.registered() if j.name == "audit.seal"]
    assert job.every == dt.timedelta(0)  # every round of the worker
    job.run("test-worker")
    rows = list(AccessLog.objects.order_by("position"))
    assert [r.pk for r in rows] == waiting
    assert [r.position for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == log.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    head = ChainHead.objects.get()
    assert (head.hash, head.count) == (rows[-1].hash, len(rows))
    assert log.verify() == []
    assert log.seal() == 0  # nothing left

    _tamper("UPDATE audit_accesslog SET person_id = %s WHERE id = %s", ["999", rows[1].pk])
    problems = log.verify()
    assert problems == [f"row {rows[1].pk}: its contents were changed"]
    with pytest.raises(CommandError, match="not intact"):
        call_command("verify_audit_log", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_row_committed_after_a_higher_id_was_sealed_is_sealed_after_it(world, client):
    """Ids are taken at insert, transactions commit in any order: a lower id can become
    visible after a higher one was sealed. It gets the next position; nothing is skipped."""
    first = AccessLog.objects.create(action="view", object_type="case", at=timezone.now())
    late = AccessLog(
        pk=first.pk + 1000, action="view", object_type="case", object_id="1", at=timezone.now()
    )
    late.save()
    assert log.seal() == 2
    # The transaction that took the id in between commits only now.
    between = AccessLog.objects.create(
        pk=first.pk + 500, action="view", object_type="case", object_id="2", at=timezone.now()
    )
    assert log.seal() == 1
    order = list(AccessLog.objects.order_by("position").values_list("pk", flat=True))
    assert order == [first.pk, late.pk, between.pk]
    assert log.verify() == []
    assert not log.unsealed().exists()


def test_rows_left_unsealed_too_long_are_reported(world, client):
    _visit(world, client)
    assert log.verify() == []
    later = timezone.now() + log.SEAL_GRACE + dt.timedelta(minutes=1)
    (problem,) = log.verify(now=later)
    assert "waited more than 10 minutes" in problem
    out = io.StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "waiting for the worker" in out.getvalue()
    log.seal()
    assert log.verify(now=later) == []


def test_pruning_follows_the_order_of_the_chain(world, client, settings):
    import time_machine

    settings.KRING_RETAIN_LOG_DAYS = 365
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        _visit(world, client)
    old = AccessLog.objects.count()
    _visit(world, client)
    log.seal()  # old and recent rows sealed in one round: the old ones come first
    assert log.prune() == old
    assert log.verify() == []


def test_on_postgresql_the_trigger_lets_only_sealing_through(world, client):
    if connection.vendor != "postgresql":
        pytest.skip("The trigger is PostgreSQL's; on SQLite the chain shows changes.")
    _visit(world, client)
    row = AccessLog.objects.order_by("pk")[0]
    # Changing an unsealed row while "sealing" it: refused.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_accesslog SET position = 99, hash = 'x', prev_hash = 'y', "
            "person_id = '999' WHERE id = %s",
            [row.pk],
        )
    # Changing an unsealed row otherwise: refused.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslog SET outcome = 'x' WHERE id = %s", [row.pk])
    assert log.seal() == AccessLog.objects.count()
    # Sealing a sealed row again: refused.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_accesslog SET position = 999, hash = 'x', prev_hash = 'y' WHERE id = %s",
            [row.pk],
        )
    assert log.verify() == []


def _chained_as_the_previous_version_did(**fields) -> AccessLog:
    """A row written the way the version before this one wrote it, in the request: chained
    under the head's lock, the head moved to it, no position (during an update, between
    ``migrate`` and the restart of the old processes)."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"hash": log.GENESIS}
        )
        entry = AccessLog(action="view", object_type="case", at=timezone.now(), **fields)
        entry.prev_hash = head.hash
        entry.hash = log.row_hash(head.hash, entry)
        entry.save()
        ChainHead.objects.filter(pk=1).update(hash=entry.hash, count=head.count + 1)
    return entry


def test_rows_chained_by_the_previous_version_are_taken_in_as_they_are(world, client):
    _visit(world, client)
    log.seal()
    old = [_chained_as_the_previous_version_did(object_id=str(n)) for n in range(2)]
    new = AccessLog.objects.create(action="view", object_type="case", at=timezone.now())
    # Before the worker's round the chain still verifies: the old version's rows follow it.
    assert log.verify() == []
    assert log.seal() == 3
    order = list(AccessLog.objects.order_by("position").values_list("pk", "hash"))
    assert [pk for pk, _hash in order[-3:]] == [old[0].pk, old[1].pk, new.pk]
    assert [h for _pk, h in order[-3:-1]] == [old[0].hash, old[1].hash]  # unchanged
    assert log.verify() == []
    if connection.vendor == "postgresql":
        # Such a row's hashes cannot be changed on the way in.
        late = _chained_as_the_previous_version_did(object_id="3")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_accesslog SET position = 9999, hash = 'x', prev_hash = 'y' "
                "WHERE id = %s",
                [late.pk],
            )
        assert log.seal() == 1
        assert log.verify() == []


def test_the_trigger_is_written_again_with_the_period_after_every_migrate(settings):
    """It was a silent no-op when given a connection (as after ``migrate``): the driver's
    connection has no vendor."""
    if connection.vendor != "postgresql":
        pytest.skip("The trigger is PostgreSQL's.")
    from kring.audit.apps import _guard_after_migrate

    settings.KRING_RETAIN_LOG_DAYS = 1234
    _guard_after_migrate(sender=None, using="default")
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'kring_access_log_append_only'")
        (source,) = cursor.fetchone()
    assert "interval '1234 days'" in source


def test_a_single_row_is_stored_as_the_models_save_stores_it(world, rf):
    """One row (a page showing one person) goes in through an INSERT written once per
    database: read back, it holds what the model's own save() stores for the same values —
    the time, the user, an IPv6 address, empty fields — and it seals and verifies."""
    request = rf.get("/", REMOTE_ADDR="2001:db8::1")
    request.user = world.manager
    request.request_id = "r" * 40
    log.record(
        request,
        action="view",
        object_type="case",
        object_id=world.case.pk,
        case_reference=world.case.reference,
        people=[log.Person("participant", 7)],
    )
    written = AccessLog.objects.get()
    by_model = AccessLog(
        **{
            field.attname: getattr(written, field.attname)
            for field in AccessLog._meta.concrete_fields
            if not field.primary_key
        }
    )
    by_model.save()

    def stored(row: AccessLog) -> dict[str, object]:
        fresh = AccessLog.objects.get(pk=row.pk)
        return {
            field.attname: (type(value), value)
            for field in AccessLog._meta.concrete_fields
            if not field.primary_key
            for value in [getattr(fresh, field.attname)]
        }

    assert stored(written) == stored(by_model)
    assert written.ip == "2001:db8::1" and written.user_id == world.manager.pk
    assert written.request_id == "r" * 32 and written.person_id == "7"
    assert (written.action, written.object_type, written.object_id, written.outcome) == (
        "view",
        "case",
        str(world.case.pk),
        "ok",
    )
    assert (written.case_reference, written.person_type) == (world.case.reference, "participant")
    assert written.role == "regional_manager" and written.position is None
    assert abs(written.at - timezone.now()) < dt.timedelta(minutes=1)
    assert log.seal() == 2
    out = io.StringIO()
    call_command("verify_audit_log", stdout=out)
