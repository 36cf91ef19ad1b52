"""The access log's tamper cases (issue 17, point 3), each detected or refused:

- a row changed and the chain recomputed as the old unkeyed SHA-256 chain was: the HMAC key is
  outside the database, so the recomputed chain does not verify;
- the newest rows removed and the head moved back to match: a head exported earlier (log
  stream, backup) is no longer in the chain;
- on PostgreSQL, a session declaring its own prune cut-off (``set_config``) to delete the
  newest rows: the trigger decides the cut-off itself and refuses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from kring.audit import log
from kring.audit.models import AccessLog, ChainHead
from kring.cases.models import CaseAction
from tests.audit.test_access_log import _tamper, people

pytestmark = [pytest.mark.drills, pytest.mark.django_db]


def _some_rows(world, client) -> list[int]:
    client.force_login(world.manager)
    people(world, 3)
    client.get(reverse("circle", args=[world.case.reference]))
    client.get(world.case.get_absolute_url())
    log.seal()  # as the worker does, within a round
    return list(AccessLog.objects.order_by("pk").values_list("pk", flat=True))


def _intact(*heads: str) -> bool:
    try:
        call_command(
            "verify_audit_log",
            *[f"--head={h}" for h in heads],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    except CommandError:
        return False
    return True


def _unkeyed(prev: str, entry: AccessLog) -> str:
    """How the chain was computed before it was keyed: anyone could do it."""
    payload = json.dumps(
        [
            prev,
            entry.at.isoformat(),
            entry.user_id,
            entry.role,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.case_reference,
            entry.person_type,
            entry.person_id,
            entry.outcome,
            entry.ip,
            entry.request_id,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def test_a_row_changed_and_the_chain_recomputed_without_the_key_is_found(world, client):
    ids = _some_rows(world, client)
    assert _intact()
    _tamper("UPDATE audit_accesslog SET person_id = %s WHERE id = %s", ["999", ids[1]])
    # Recompute every hash from the changed row on, as someone with table rights could.
    prev = AccessLog.objects.get(pk=ids[0]).hash
    for pk in ids[1:]:
        entry = AccessLog.objects.get(pk=pk)
        new = _unkeyed(prev, entry)
        _tamper(
            "UPDATE audit_accesslog SET prev_hash = %s, hash = %s WHERE id = %s", [prev, new, pk]
        )
        prev = new
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_chainhead SET hash = %s", [prev])
    assert not _intact()
    first = AccessLog.objects.order_by("pk")[0]
    assert log.row_hash("0" * 64, first) != _unkeyed("0" * 64, first)


def test_the_newest_rows_removed_and_the_head_moved_back_is_found_by_an_exported_head(
    world, client
):
    ids = _some_rows(world, client)
    exported = log.export_head()  # as the worker writes it to the log stream every hour
    assert _intact(exported["hash"])
    last_kept = AccessLog.objects.get(pk=ids[-3])
    _tamper("DELETE FROM audit_accesslog WHERE id > %s", [last_kept.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_chainhead SET hash = %s, count = %s", [last_kept.hash, len(ids) - 2]
        )
    assert _intact()  # without the exported head the shortened chain looks whole…
    assert not _intact(exported["hash"])  # …but the head exported earlier is gone


def test_an_exported_head_of_rows_pruned_since_stays_accepted(world, client, settings):
    settings.KRING_RETAIN_LOG_DAYS = 365
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        _some_rows(world, client)
        old_head = log.export_head()["hash"]
    _some_rows(world, client)
    assert log.prune() > 0
    assert ChainHead.objects.get().anchor == old_head
    assert _intact(old_head, log.export_head()["hash"])


def test_a_session_cannot_declare_its_own_prune_cut_off_on_postgresql(world, client):
    if connection.vendor != "postgresql":
        pytest.skip("The trigger is PostgreSQL's; on SQLite the keyed chain shows a removal.")
    ids = _some_rows(world, client)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('kring.prune_before', %s, true)",
            [(timezone.now() + dt.timedelta(days=1)).isoformat()],
        )
        cursor.execute("DELETE FROM audit_accesslog WHERE id = %s", [ids[-1]])
    assert AccessLog.objects.filter(pk=ids[-1]).exists()


def test_the_trigger_lets_only_rows_past_the_period_go_on_postgresql(world, client, settings):
    if connection.vendor != "postgresql":
        pytest.skip("The trigger is PostgreSQL's.")
    settings.KRING_RETAIN_LOG_DAYS = 365
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        old = _some_rows(world, client)
    recent = _some_rows(world, client)[len(old) :]
    log.install_prune_guard()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accesslog WHERE id = %s", [recent[0]])
    assert log.prune() == len(old)
    assert _intact()


def test_an_erasure_is_a_line_in_the_log_stream_for_after_a_restore(world, caplog):
    """Issue 17, point 10: erasure reaches backups by expiry, and a restore must carry out
    again what was erased since — the log stream, which outlives a restore, says what."""
    import logging

    from kring.circle.models import Participant
    from kring.privacy import rights

    jan = Participant.objects.create(case=world.case, name="Jan de Vries", category="resident")
    world.case.log(
        CaseAction.PERSON_EXPORTED,
        user=world.manager,
        data={"kind": "participant", "person": jan.pk},
    )
    erasure = rights.request_erasure(
        world.case, "participant", jan.pk, reason="Verzoek van Jan", user=world.manager
    )
    with caplog.at_level(logging.INFO, logger="kring.erasure"):
        rights.confirm_erasure(erasure, user=world.administrator)
    (line,) = [r for r in caplog.records if r.name == "kring.erasure"]
    assert world.case.reference in line.getMessage() and str(jan.pk) in line.getMessage()
    assert "Jan" not in line.getMessage()
