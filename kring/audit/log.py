"""Writing the access log: one row per person whose data a page, download or export shows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
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
) -> None:
    """One row per person shown (or one row without a person for sign-ins and refusals)."""
    now = timezone.now()
    who = user if user is not None else getattr(request, "user", None)
    user_id = who.pk if getattr(who, "is_authenticated", False) else None  # type: ignore[union-attr]
    base = {
        "at": now,
        "user_id": user_id,
        "role": _role(request),
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


def verify() -> list[str]:
    """Every break in the chain: an altered row, a removed row, or a removed tail."""
    problems: list[str] = []
    prev = GENESIS
    count = 0
    for entry in AccessLog.objects.order_by("pk").iterator(chunk_size=2000):
        count += 1
        if entry.prev_hash != prev:
            problems.append(f"row {entry.pk}: the row before it was removed or changed")
        if row_hash(entry.prev_hash, entry) != entry.hash:
            problems.append(f"row {entry.pk}: its contents were changed")
        prev = entry.hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.hash != prev or head.count != count):
        problems.append("the last rows were removed (the chain's head points further)")
    return problems
