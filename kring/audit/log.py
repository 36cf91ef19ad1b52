"""Writing the access log: one row per person whose data a page, download or export shows."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from kring.audit.models import AccessLog, ChainHead

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
    """Chain and store ``entries`` (one transaction; concurrent writers wait for the head)."""
    if not entries:
        return
    with transaction.atomic():
        head, _created = ChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"hash": GENESIS}
        )
        prev = head.hash
        for entry in entries:
            entry.prev_hash = prev
            entry.hash = prev = row_hash(prev, entry)
        AccessLog.objects.bulk_create(entries)
        ChainHead.objects.filter(pk=1).update(hash=prev, count=head.count + len(entries))


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
        # The longest old prefix of the chain: everything before the first recent row.
        first_recent = (
            AccessLog.objects.filter(at__gte=cutoff).order_by("pk").values_list("pk", flat=True)
        ).first()
        prefix = AccessLog.objects.filter(at__lt=cutoff)
        if first_recent is not None:
            prefix = prefix.filter(pk__lt=first_recent)
        last = prefix.order_by("pk").values("pk", "hash").last()
        if last is None:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {AccessLog._meta.db_table} WHERE id <= %s",  # noqa: S608 - a model's own table name
                [last["pk"]],
            )
            removed = cursor.rowcount
        ChainHead.objects.filter(pk=1).update(anchor=last["hash"], count=head.count - removed)
    return removed


def verify(exported: Iterable[str] = ()) -> list[str]:
    """Every break in the chain: an altered row, a removed row, or a removed tail — also one
    whose head was moved back: every ``exported`` head (from the log stream or a backup) must
    still be in the chain, or before its anchor (pruned)."""
    problems: list[str] = []
    head = ChainHead.objects.filter(pk=1).first()
    prev = head.anchor if head is not None else GENESIS
    wanted = set(exported) - {GENESIS}
    if head is not None:
        wanted.discard(head.anchor)
    count = 0
    for entry in AccessLog.objects.order_by("pk").iterator(chunk_size=2000):
        count += 1
        if entry.prev_hash != prev:
            problems.append(f"row {entry.pk}: the row before it was removed or changed")
        if row_hash(entry.prev_hash, entry) != entry.hash:
            problems.append(f"row {entry.pk}: its contents were changed")
        wanted.discard(entry.hash)
        prev = entry.hash
    if head is not None and (head.hash != prev or head.count != count):
        problems.append("the last rows were removed (the chain's head points further)")
    oldest = AccessLog.objects.order_by("pk").values_list("at", flat=True).first()
    for missing in sorted(wanted):
        problems.append(
            f"an exported head ({missing[:12]}…) is not in the chain: rows were removed or "
            "rewritten after it was exported"
            + ("" if oldest is None else f" (the chain now starts at {oldest:%Y-%m-%d})")
        )
    return problems


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


def install_prune_guard(schema_editor_or_connection: Any = None) -> None:
    """On PostgreSQL, (re)write the trigger that guards the log with the retention period
    in it: a delete goes through only for rows older than that, counted from the database's
    own clock. Run by the migration and after every ``migrate`` (so a changed
    KRING_RETAIN_LOG_DAYS takes effect); a session has nothing to declare."""
    target = schema_editor_or_connection or connection
    vendor = getattr(getattr(target, "connection", target), "vendor", "")
    if vendor != "postgresql":
        return
    days = int(settings.KRING_RETAIN_LOG_DAYS)
    sql = f"""
CREATE OR REPLACE FUNCTION kring_access_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{days} days' THEN
        RETURN OLD;
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
