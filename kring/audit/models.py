"""The access log: who saw whose personal data, when, from where — append-only and chained.

Each row carries the hash of the row before it, so that changing or removing a row breaks the
chain, which ``manage.py verify_audit_log`` finds. Rows cannot be changed or deleted through
the model; on PostgreSQL a trigger refuses it in the database as well.

A request only inserts its rows, unsealed (no position, empty hashes): no lock shared by every
audited request. The worker seals them into the chain (``kring.audit.log.seal``) — the one
change the trigger lets through: an unsealed row getting its position and hashes, nothing else.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnly(Exception):
    pass


class AccessLogQuerySet(models.QuerySet["AccessLog"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("The access log cannot be changed.")

    def delete(self) -> NoReturn:
        raise AppendOnly("The access log cannot be changed.")


class AccessLog(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        DOWNLOAD = "download", _("downloaded")
        EXPORT = "export", _("exported")
        SIGN_IN = "sign_in", _("signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("sign-in failed")
        DENIED = "denied", _("refused")

    at = models.DateTimeField(_("when (UTC)"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    role = models.CharField(_("role"), max_length=40, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("what"), max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    case_reference = models.CharField(_("case"), max_length=20, blank=True, db_index=True)
    person_type = models.CharField(_("whose data"), max_length=20, blank=True)
    person_id = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, default="ok")
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    request_id = models.CharField(_("request"), max_length=32, blank=True)
    # Empty until the worker seals the row into the chain; then its place in the chain (in the
    # order rows were sealed, not their ids: see kring.audit.log.seal) and the two hashes.
    position = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["hash"], condition=~models.Q(hash=""), name="audit_accesslog_hash_sealed"
            )
        ]
        indexes = [
            # What the worker has still to seal, in id order: a small partial index.
            models.Index(
                fields=["id"],
                condition=models.Q(position__isnull=True),
                name="audit_accesslog_unsealed",
            )
        ]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.case_reference}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("The access log cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("The access log cannot be changed.")


class ChainHead(models.Model):
    """The hash of the last sealed row (a removed tail shows as a head that points nowhere), and the
    anchor: the hash just before the first row kept, after rows past their retention period
    were removed from the start of the chain."""

    hash = models.CharField(max_length=64)
    count = models.PositiveBigIntegerField(default=0)
    anchor = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return self.hash


# What an anonymised text field holds where an empty value would read as "never filled in"
# (kring.privacy.retention), and what an erased one holds (kring.privacy.rights).
ANONYMISED = "[geanonimiseerd]"
ERASED = "[gewist]"


class ErasureRequest(models.Model):
    """A request to erase one person's data from a case, which a second person confirms."""

    class Kind(models.TextChoices):
        REQUESTER = "requester", _("requester")
        PARTICIPANT = "participant", _("participant")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="erasure_requests"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    person_id = models.PositiveBigIntegerField()
    reason = models.CharField(_("reason"), max_length=500)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self) -> str:
        return f"{self.case} {self.kind} {self.person_id}"
