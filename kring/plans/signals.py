"""A copy of the plan sent by email counts as delivered once the outbox has sent it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, DateTimeField, Value, When

from kring.plans.models import Delivery


def record_email_delivery(sender: Any, *, sent: dict[int, dt.datetime], **kwargs: Any) -> None:
    """One query for a group of sent messages: each waiting copy gets its message's time."""
    if not sent:
        return
    Delivery.objects.filter(message_id__in=list(sent), delivered_at__isnull=True).update(
        delivered_at=Case(
            *(When(message_id=pk, then=Value(at)) for pk, at in sent.items()),
            output_field=DateTimeField(),
        )
    )
