"""Writing the access log: one row per person whose data a page, download or export shows."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import Any

from django.conf import settings
from django.db import connection, connections, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from kring.audit.models import AccessLog, ChainHead
from kring.core.prepared import kept_planned

GENESIS = "0" * 64
logger = logging.getLogger("kring.audit")


@dataclass(frozen=True)
class Person:
    kind: str  # "requester", "participant", "staff", "recipient"
    id: object


def row_hash(prev: str, entry: AccessLog) -> str:
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
    # Keyed (KRING_AUDIT_KEY, outside the database): whoever can write the table cannot
    # compute the chain again after changing a row.
    key = settings.KRING_AUDIT_KEY.encode()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from kring.core.ratelimit import client_address

    return client_address(request) or None


def _role(request: HttpRequest | None) -> str:
    user = getattr(request, "user", None)
    roles = getattr(user, "roles", None)
    if roles:
        return ",".join(str(r.value) for r in roles)
    return "participant" if getattr(request, "participant", None) else "anonymous"


def write(entries: list[AccessLog]) -> None:
    """Store ``entries`` unsealed: one INSERT, no lock that other requests wait for. The worker
    seals them into the chain (:func:`seal`) within a round."""
    if len(entries) == 1:
        _insert(entries[0])  # one statement; bulk_create would wrap it in BEGIN … COMMIT
    elif entries:
        AccessLog.objects.bulk_create(entries)  # all of a page's rows, or none


# One row's INSERT, written once per database: a model's save() wrote it anew for every page
# that shows a person (0.25 ms of the own page's CPU on PostgreSQL, against 0.1 ms).
_INSERTS: dict[str, str] = {}


def _insert(entry: AccessLog) -> None:
    database = connections[router.db_for_write(AccessLog, instance=entry)]
    fields = [field for field in AccessLog._meta.concrete_fields if not field.primary_key]
    sql = _INSERTS.get(database.alias)
    if sql is None:
        quote = database.ops.quote_name
        columns = ", ".join(quote(str(field.column)) for field in fields)
        sql = _INSERTS[database.alias] = (
            f"INSERT INTO {quote(AccessLog._meta.db_table)} ({columns}) "  # noqa: S608 - the model's own names
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
    # As the model's save() prepares each value for its column.
    params = [field.get_db_prep_save(field.pre_save(entry, True), database) for field in fields]
    # A failure inside a transaction marks it for rollback, as a model's save() does.
    with (
        transaction.mark_for_rollback_on_error(using=database.alias),
        database.cursor() as cursor,
        kept_planned(cursor),
    ):
        cursor.execute(sql, params)


# How many rows one sealing transaction takes (the head is locked meanwhile; requests are not
# held up by it, only another sealer).
SEAL_BATCH = 2000
# Rows still unsealed after this long mean the worker is not sealing: verification says so.
SEAL_GRACE = dt.timedelta(minutes=10)


def seal(batch: int = SEAL_BATCH) -> int:
    """Seal every unsealed row into the chain; returns how many. The worker's job.

    The order of the chain is the order rows are sealed in, kept in ``position`` (1, 2, 3, …),
    not the order of their ids. That is what makes it safe to seal whatever is visible: ids
    come from a sequence when a row is inserted, but the transactions that inserted them commit
    in any order, so a sealer may see ids 10 and 12 while 11 is still uncommitted. Were the
    chain in id order, sealing 12 would skip 11 for good (or 11 would have to wait for a gap
    that may never fill: a rolled-back insert leaves one). Here 11 simply gets a later position
    in a later round: no committed row is ever skipped, and none has to be waited for.

    Sealers take the head's row lock, so two workers seal one after the other: the second
    sees, in its next statement, what the first sealed (READ COMMITTED on PostgreSQL; SQLite
    runs one writing transaction at a time anyway).

    Rows chained by a process still running the previous version (during an update, between
    ``migrate`` and its restart) carry their hashes but no position: that version chained them
    in the request, under the same lock, in id order, and moved the head to the last of them.
    They are taken into the chain first, as they are (a position, their hashes unchanged)."""
    from django.db.models import Max

    table = AccessLog._meta.db_table
    total = 0
    if not AccessLog.objects.filter(position__isnull=True).exists():
        return total  # an idle round takes no lock
    while True:
        with transaction.atomic():
            head, _created = ChainHead.objects.select_for_update().get_or_create(
                pk=1, defaults={"hash": GENESIS}
            )
            position = AccessLog.objects.aggregate(last=Max("position"))["last"] or 0
            waiting = AccessLog.objects.filter(position__isnull=True).order_by("pk")
            chained = list(waiting.exclude(hash="").values_list("pk", flat=True))
            rows = list(waiting.filter(hash="")[:batch])
            if not chained and not rows:
                return total
            adopted = [(position + n, pk) for n, pk in enumerate(chained, start=1)]
            position += len(adopted)
            prev = head.hash
            params = []
            for entry in rows:
                position += 1
                entry.prev_hash = prev
                entry.hash = prev = row_hash(prev, entry)
                params.append((entry.prev_hash, entry.hash, position, entry.pk))
            with connection.cursor() as cursor:
                # The model refuses every change; these are the ones the trigger allows.
                if adopted:
                    cursor.executemany(
                        f"UPDATE {table} SET position = %s WHERE id = %s AND position IS NULL",  # noqa: S608 - a model's own table name
                        adopted,
                    )
                if params:
                    cursor.executemany(
                        f"UPDATE {table} SET prev_hash = %s, hash = %s, position = %s "  # noqa: S608 - a model's own table name
                        "WHERE id = %s AND position IS NULL",
                        params,
                    )
            if rows:
                ChainHead.objects.filter(pk=1).update(hash=prev, count=head.count + len(rows))
        total += len(adopted) + len(rows)
        if len(rows) < batch:
            return total


def record(
    request: HttpRequest | None,
    *,
    action: str,
    object_type: str,
    object_id: object = "",
    case_reference: str = "",
    people: Iterable[Person] = (),
    outcome: str = "ok",
    user: object = None,
    role: str | None = None,
) -> None:
    """One row per person shown (or one row without a person for sign-ins and refusals)."""
    now = timezone.now()
    who = user if user is not None else getattr(request, "user", None)
    user_id = who.pk if getattr(who, "is_authenticated", False) else None  # type: ignore[union-attr]
    base = {
        "at": now,
        "user_id": user_id,
        "role": role if role is not None else _role(request),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id)[:40],
        "case_reference": case_reference,
        "outcome": outcome,
        "ip": client_ip(request),
        "request_id": getattr(request, "request_id", "")[:32] if request else "",
    }
    shown = list(people)
    entries = [AccessLog(**base, person_type=p.kind, person_id=str(p.id)[:40]) for p in shown] or [
        AccessLog(**base)
    ]
    write(entries)


def prune(now: Any = None) -> int:
    """Remove the rows past the log's retention period from the start of the chain, and move
    the anchor, so that what remains still verifies. Only whole, old prefixes go: on
    PostgreSQL the trigger lets a delete through only for rows older than the retention period
    it was installed with (``install_prune_guard``) — nothing a session can declare."""
    period = dt.timedelta(days=settings.KRING_RETAIN_LOG_DAYS)
    cutoff = (now or timezone.now()) - period
    if connection.vendor == "postgresql":
        # The trigger judges age by the database's clock: never ask for more than it allows
        # (an application clock ahead of the database's would otherwise make the delete fail).
        with connection.cursor() as cursor:
            cursor.execute("SELECT now()")
            cutoff = min(cutoff, cursor.fetchone()[0] - period)
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            return 0
        sealed = AccessLog.objects.filter(position__isnull=False)
        # The longest old prefix of the chain: everything before the first recent row.
        first_recent = (
            sealed.filter(at__gte=cutoff).order_by("position").values_list("position", flat=True)
        ).first()
        prefix = sealed.filter(at__lt=cutoff)
        if first_recent is not None:
            prefix = prefix.filter(position__lt=first_recent)
        last = prefix.order_by("position").values("position", "hash").last()
        if last is None:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {AccessLog._meta.db_table} WHERE position <= %s",  # noqa: S608 - a model's own table name
                [last["position"]],
            )
            removed = cursor.rowcount
        ChainHead.objects.filter(pk=1).update(anchor=last["hash"], count=head.count - removed)
    return removed


def verify(exported: Iterable[str] = (), now: dt.datetime | None = None) -> list[str]:
    """Every break in the chain: an altered row, a removed row, or a removed tail — also one
    whose head was moved back: every ``exported`` head (from the log stream or a backup) must
    still be in the chain, or before its anchor (pruned). Rows the worker has not sealed yet
    are not in the chain; any waiting longer than ``SEAL_GRACE`` is a problem too (the worker
    is not sealing, and such rows are not protected by the chain)."""
    problems: list[str] = []
    head = ChainHead.objects.filter(pk=1).first()
    prev = head.anchor if head is not None else GENESIS
    wanted = set(exported) - {GENESIS}
    if head is not None:
        wanted.discard(head.anchor)
    count = 0
    sealed = AccessLog.objects.filter(position__isnull=False).order_by("position")
    # Rows chained by the previous version and not taken into the chain yet follow it (seal).
    chained = AccessLog.objects.filter(position__isnull=True).exclude(hash="").order_by("pk")
    for entry in chain(sealed.iterator(chunk_size=2000), chained.iterator(chunk_size=2000)):
        count += 1
        if entry.prev_hash != prev:
            problems.append(f"row {entry.pk}: the row before it was removed or changed")
        if row_hash(entry.prev_hash, entry) != entry.hash:
            problems.append(f"row {entry.pk}: its contents were changed")
        wanted.discard(entry.hash)
        prev = entry.hash
    if head is not None and (head.hash != prev or head.count != count):
        problems.append("the last rows were removed (the chain's head points further)")
    oldest = sealed.values_list("at", flat=True).first()
    for missing in sorted(wanted):
        problems.append(
            f"an exported head ({missing[:12]}…) is not in the chain: rows were removed or "
            "rewritten after it was exported"
            + ("" if oldest is None else f" (the chain now starts at {oldest:%Y-%m-%d})")
        )
    late = unsealed().filter(hash="", at__lt=(now or timezone.now()) - SEAL_GRACE).count()
    if late:
        problems.append(
            f"{late} row(s) waited more than {SEAL_GRACE.total_seconds() / 60:.0f} minutes to "
            "be sealed into the chain: is the worker running?"
        )
    return problems


def unsealed() -> QuerySet[AccessLog]:
    """The rows the worker has still to seal into the chain."""
    return AccessLog.objects.filter(position__isnull=True)


def export_head() -> dict[str, Any]:
    """The chain's head, for the log stream (the worker, hourly) and each backup: kept
    elsewhere, it shows a shortened or rewritten chain (``verify_audit_log --head``)."""
    head = ChainHead.objects.filter(pk=1).first()
    exported = {
        "hash": head.hash if head else GENESIS,
        "count": head.count if head else 0,
        "at": timezone.now().isoformat(),
    }
    logger.info(
        "access log head %s (%s rows)",
        exported["hash"],
        exported["count"],
        extra={"audit_head": exported["hash"], "audit_count": exported["count"]},
    )
    return exported


EXPORT_EVERY = dt.timedelta(hours=1)


def export_head_hourly(now: dt.datetime | None = None) -> bool:
    """The worker's sweep: the head to the log stream once an hour (one cache read between)."""
    from django.core.cache import cache

    if not cache.add("kring:audit-head-exported", True, EXPORT_EVERY.total_seconds()):
        return False
    export_head()
    return True


_SEALED_OVER = (
    "id", "at", "user_id", "role", "action", "object_type", "object_id", "case_reference",
    "person_type", "person_id", "outcome", "ip", "request_id",
)  # fmt: skip
_COLUMNS_NEW = ", ".join(f"NEW.{c}" for c in _SEALED_OVER)
_COLUMNS_OLD = ", ".join(f"OLD.{c}" for c in _SEALED_OVER)


def install_prune_guard(schema_editor_or_connection: Any = None) -> None:
    """On PostgreSQL, (re)write the trigger that guards the log with the retention period
    in it: a delete goes through only for rows older than that, counted from the database's
    own clock. Run by the migration and after every ``migrate`` (so a changed
    KRING_RETAIN_LOG_DAYS takes effect); a session has nothing to declare."""
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor

    target = schema_editor_or_connection or connection
    # A schema editor's ``connection`` is Django's; a connection's own ``connection`` is the
    # driver's, which has no vendor (asking it made every call after migrate a silent no-op).
    wrapper = target.connection if isinstance(target, BaseDatabaseSchemaEditor) else target
    if getattr(wrapper, "vendor", "") != "postgresql":
        return
    days = int(settings.KRING_RETAIN_LOG_DAYS)
    # Besides pruning, one change goes through: the worker sealing a row (position and hashes
    # set once, from empty; or the position alone of a row the previous version chained; every
    # other column as it was).
    sql = f"""
CREATE OR REPLACE FUNCTION kring_access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{days} days' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.position IS NULL AND NEW.position IS NOT NULL
       AND NEW.hash <> '' AND NEW.prev_hash <> ''
       AND ((OLD.hash = '' AND OLD.prev_hash = '')
            OR (NEW.hash = OLD.hash AND NEW.prev_hash = OLD.prev_hash))
       AND ({_COLUMNS_NEW}) IS NOT DISTINCT FROM ({_COLUMNS_OLD}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the access log is append-only';
END;
$$ LANGUAGE plpgsql;
"""
    if hasattr(target, "execute"):
        target.execute(sql)
    else:
        with target.cursor() as cursor:
            cursor.execute(sql)
