"""Storing messages and delivering them.

``store`` writes a message to the outbox and, once the transaction commits, asks the worker to
deliver it. ``deliver`` claims one due message (an optimistic update, so two workers never send
the same message at once), sends it over SMTP — or into the demo mailbox when no SMTP server is
configured — and writes back the outcome: sent, a retry with back-off for a temporary failure,
or failed for a permanent one.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from email.mime.base import MIMEBase
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from kring.cases.models import Case
from kring.core.logfilters import redact
from kring.messaging.models import OutboxAttachment, OutboxMessage

logger = logging.getLogger(__name__)

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# A message claimed longer ago than this belonged to a worker that died mid-send.
CLAIM_TIMEOUT = dt.timedelta(minutes=10)


# Sent after a message went out (or reached the demo mailbox), with ``message_id`` and
# ``sent_at``: what hangs on a message (a copy of the plan) records its delivery.
message_sent = Signal()


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 4, 16, 64, 256 minutes… after the 1st, 2nd, 3rd… failed attempt."""
    return dt.timedelta(minutes=4 ** max(attempts - 1, 0))


def store(
    email: EmailMessage, *, purpose: str, case: Case | None = None, participant: Any = None
) -> OutboxMessage:
    """Store a Django email in the outbox; the worker sends it after the commit."""
    html = ""
    if isinstance(email, EmailMultiAlternatives):
        for content, mimetype in email.alternatives:
            if mimetype == "text/html":
                html = str(content)
    message = OutboxMessage.objects.create(
        purpose=purpose[:60],
        case=case,
        participant=participant,
        from_address=email.from_email or settings.DEFAULT_FROM_EMAIL,
        to_addresses=list(email.to),
        cc_addresses=list(email.cc),
        bcc_addresses=list(email.bcc),
        # Replies go where the site says (KRING_REPLY_TO), unless the message names its own.
        reply_to=list(email.reply_to) or list(settings.KRING_REPLY_TO),
        subject=email.subject[:300],
        body_text=str(email.body),
        body_html=html,
        headers={k: str(v) for k, v in (email.extra_headers or {}).items()},
    )
    for attachment in email.attachments:
        if isinstance(attachment, MIMEBase):
            payload = attachment.get_payload(decode=True)
            OutboxAttachment.objects.create(
                message=message,
                filename=attachment.get_filename() or "attachment",
                content_type=attachment.get_content_type(),
                content=payload if isinstance(payload, bytes) else b"",
            )
        else:
            filename, content, mimetype = attachment
            OutboxAttachment.objects.create(
                message=message,
                filename=filename or "attachment",
                content_type=mimetype or "application/octet-stream",
                content=content.encode() if isinstance(content, str) else content,
            )
    pk = message.pk
    transaction.on_commit(lambda: _enqueue_delivery(pk))
    return message


def _enqueue_delivery(message_id: int) -> None:
    from kring.messaging.tasks import deliver_message

    deliver_message.enqueue(message_id)


def _as_email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_address,
        to=message.to_addresses,
        cc=message.cc_addresses,
        bcc=message.bcc_addresses,
        reply_to=message.reply_to,
        headers={**message.headers, "X-Kring-Message": str(message.pk)},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    return email


def _is_permanent(error: Exception) -> bool:
    """An SMTP 5xx answer will not change by trying again; anything else might."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def deliver(message_id: int) -> str | None:
    """Send one message if it is due and no other worker holds it; return the new status."""
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.QUEUED, next_attempt_at__lte=now
    ).update(status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    message = OutboxMessage.objects.get(pk=message_id)

    if settings.KRING_DEMO_MAILBOX:
        OutboxMessage.objects.filter(pk=message_id).update(
            status=OutboxMessage.Status.SENT,
            sent_at=timezone.now(),
            delivered_to_mailbox=True,
            last_error="",
        )
        message_sent.send(OutboxMessage, message_id=message_id, sent_at=timezone.now())
        return OutboxMessage.Status.SENT

    try:
        connection = get_connection(SMTP_BACKEND, fail_silently=False)
        connection.send_messages([_as_email(message)])
    except (smtplib.SMTPException, OSError) as error:
        error_text = f"{type(error).__name__}: {error}"[:2000]
        permanent = _is_permanent(error)
        exhausted = message.attempts >= settings.KRING_OUTBOX_MAX_ATTEMPTS
        if permanent or exhausted:
            status = OutboxMessage.Status.FAILED
            next_attempt = message.next_attempt_at
        else:
            status = OutboxMessage.Status.QUEUED
            next_attempt = timezone.now() + retry_delay(message.attempts)
        OutboxMessage.objects.filter(pk=message_id).update(
            status=status, last_error=error_text, next_attempt_at=next_attempt, claimed_at=None
        )
        logger.warning(
            "Message %s not sent (attempt %s): %s",
            message_id,
            message.attempts,
            type(error).__name__,
        )
        return status
    # Once delivered, the copy Kring keeps no longer needs the personal-link tokens in it:
    # only their hashes are stored anywhere else, and so it stays.
    OutboxMessage.objects.filter(pk=message_id).update(
        status=OutboxMessage.Status.SENT,
        sent_at=timezone.now(),
        last_error="",
        claimed_at=None,
        body_text=redact(message.body_text),
        body_html=redact(message.body_html),
    )
    for attachment in OutboxAttachment.objects.filter(
        message_id=message_id, content_type__startswith="text/calendar"
    ):
        unfolded = bytes(attachment.content).decode("utf-8", "replace").replace("\r\n ", "")
        OutboxAttachment.objects.filter(pk=attachment.pk).update(content=redact(unfolded).encode())
    message_sent.send(OutboxMessage, message_id=message_id, sent_at=timezone.now())
    return OutboxMessage.Status.SENT


def release_abandoned(now: dt.datetime | None = None) -> int:
    """Put messages back in the queue whose worker died while sending them."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(
        status=OutboxMessage.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(status=OutboxMessage.Status.QUEUED, claimed_at=None)


def due_messages(now: dt.datetime | None = None) -> Iterable[int]:
    now = now or timezone.now()
    return (
        OutboxMessage.objects.filter(
            Q(status=OutboxMessage.Status.QUEUED) & Q(next_attempt_at__lte=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )


def sweep(now: dt.datetime | None = None) -> int:
    """Deliver every due message; the worker runs this every few seconds."""
    release_abandoned(now)
    sent = 0
    for message_id in list(due_messages(now)):
        if deliver(message_id) == OutboxMessage.Status.SENT:
            sent += 1
    return sent


def retry_now(message: OutboxMessage) -> bool:
    """Staff asked to try a failed message again."""
    updated = OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxMessage.Status.FAILED
    ).update(status=OutboxMessage.Status.QUEUED, next_attempt_at=timezone.now(), attempts=0)
    if updated:
        transaction.on_commit(lambda: _enqueue_delivery(message.pk))
    return bool(updated)
