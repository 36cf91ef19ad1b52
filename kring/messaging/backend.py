"""An email backend that stores instead of sending.

Set as ``EMAIL_BACKEND``, it makes every message Kring or a library (allauth's password reset)
sends go through the outbox, so nothing is lost when SMTP is down and staff can see every
message. The worker sends with the real SMTP backend.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from kring.messaging import outbox


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for email in email_messages:
            purpose = email.extra_headers.pop("X-Kring-Purpose", "account")
            outbox.store(email, purpose=str(purpose))
        return len(email_messages)
