"""A copy of the plan sent by email counts as delivered once the outbox has sent it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, DateTimeField, Value, When

from kring.plans.models import Delivery


def record_email_delivery(sender: Any, *, sent: dict[int, dt.datetime], **kwargs: Any) -> None:
    """For a group of sent messages: each waiting copy gets its message's time. Most messages
    are no copy of a plan: the copies waiting for them are looked up first (an update that
    named every message of the group took 3 ms of the worker's CPU to write, 0.15 ms a
    message), and only those are written, in one query."""
    if not sent:
        return
    waiting = set(
        Delivery.objects.filter(message_id__in=list(sent), delivered_at__isnull=True).values_list(
            "message_id", flat=True
        )
    )
    if not waiting:
        return
    Delivery.objects.filter(message_id__in=waiting, delivered_at__isnull=True).update(
        delivered_at=Case(
            *(When(message_id=pk, then=Value(sent[pk])) for pk in sorted(waiting)),
            output_field=DateTimeField(),
        )
    )
