"""The outbox: every outgoing message is stored here first, then sent by the worker."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    created_at = models.DateTimeField(_("stored"), default=timezone.now, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=60)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("case"),
    )
    participant = models.ForeignKey(
        "circle.Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("participant"),
        help_text=_("The participant this message went to, whatever their address was then."),
    )
    from_address = models.CharField(_("from"), max_length=254)
    to_addresses = models.JSONField(_("to"), default=list)
    cc_addresses = models.JSONField(default=list, blank=True)
    bcc_addresses = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(default=dict, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # When a worker claimed the message, renewed by its heartbeat while it lives (the lease).
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which worker (and which of its batches) holds the claim.
    claimed_by = models.CharField(max_length=160, blank=True)
    # Fixed when the message is stored and sent on every attempt, so that a message sent again
    # after a crash is recognisably the same message.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    # When the worker sent the end of the message's data: from then on the server has it whole.
    # A worker that dies before the server's answer is written down leaves this set, and the
    # message is counted as sent rather than sent a second time (outbox.release_abandoned).
    handed_over_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # True when the message went to the mailbox inside Kring instead of over SMTP.
    delivered_to_mailbox = models.BooleanField(_("in the demo mailbox"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.subject

    @property
    def recipients(self) -> str:
        return ", ".join(self.to_addresses)


class OutboxAttachment(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename
