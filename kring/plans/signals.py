"""A copy of the plan sent by email counts as delivered once the outbox has sent it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kring.plans.models import Delivery


def record_email_delivery(
    sender: Any, *, message_id: int, sent_at: dt.datetime, **kwargs: Any
) -> None:
    Delivery.objects.filter(message_id=message_id, delivered_at__isnull=True).update(
        delivered_at=sent_at
    )
