"""Writing the access log: one row per person whose data a page, download or export shows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from kring.audit.models import AccessLog, ChainHead

GENESIS = "0" * 64


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
    return hashlib.sha256(payload.encode()).hexdigest()


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
    PostgreSQL the trigger lets a delete through only for rows older than the cut-off this
    transaction declares."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.KRING_RETAIN_LOG_DAYS)
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
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('kring.prune_before', %s, true)", [cutoff.isoformat()]
                )
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {AccessLog._meta.db_table} WHERE id <= %s",  # noqa: S608 - a model's own table name
                [last["pk"]],
            )
            removed = cursor.rowcount
        ChainHead.objects.filter(pk=1).update(anchor=last["hash"], count=head.count - removed)
    return removed


def verify() -> list[str]:
    """Every break in the chain: an altered row, a removed row, or a removed tail."""
    problems: list[str] = []
    head = ChainHead.objects.filter(pk=1).first()
    prev = head.anchor if head is not None else GENESIS
    count = 0
    for entry in AccessLog.objects.order_by("pk").iterator(chunk_size=2000):
        count += 1
        if entry.prev_hash != prev:
            problems.append(f"row {entry.pk}: the row before it was removed or changed")
        if row_hash(entry.prev_hash, entry) != entry.hash:
            problems.append(f"row {entry.pk}: its contents were changed")
        prev = entry.hash
    if head is not None and (head.hash != prev or head.count != count):
        problems.append("the last rows were removed (the chain's head points further)")
    return problems
