"""API clients and what they submitted.

A client's secret is 256 bits from ``secrets``; only its SHA-256 hash is stored (like a
personal link's), with a short prefix to recognise it in the list. A client can do only what
its scopes allow, only until it expires or is revoked.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import Organisation, Region
from kring.cases.models import Case


class Scope(models.TextChoices):
    SUBMIT = "aanvragen:indienen", _("submit requests")
    FOLLOW = "aanvragen:volgen", _("follow the phase of its own requests")
    RESEARCH = "onderzoek", _("the pseudonymised research dataset")
    FINANCIER = "financier", _("the figures of its own organisation as a financier")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=120)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="api_clients",
        verbose_name=_("organisation"),
    )
    scopes = models.JSONField(_("scopes"), default=list)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
        verbose_name=_("region"),
    )
    expires_on = models.DateField(_("valid until"))
    prefix = models.CharField(_("start of the secret"), max_length=12, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("registered"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_on >= timezone.localdate()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def scope_labels(self) -> list[str]:
        labels = dict(Scope.choices)
        return [f"{scope} ({labels[scope]})" for scope in self.scopes if scope in labels]


class ApiSubmission(models.Model):
    """A request an API client submitted: what it may follow, and its ``Idempotency-Key``."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="submissions")
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="api_submission")
    idempotency_key = models.CharField(max_length=100, blank=True)
    # A hash of the submitted body: the same key with another body is refused.
    body_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="api_submission_idempotency_key_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} – {self.case}"
