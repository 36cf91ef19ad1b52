"""Who is calling: an API client, by the secret in ``Authorization: Bearer <secret>``.

A missing, unknown, expired or revoked secret is a 401; a client without the operation's
scope a 403; a client over its limit a 429 (:func:`kring.core.ratelimit.allow_key`, counted
in the database per client, so the limit holds across processes).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from kring.api.models import ApiClient, hash_secret
from kring.core import ratelimit

SECRET_PREFIX = "kring_"  # noqa: S105 - a prefix, not a secret
# last_used_at is written at most this often per client, not on every call.
LAST_USED_STEP = dt.timedelta(minutes=1)


class ScopeRefused(Exception):
    pass


class RateLimited(Exception):
    pass


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def client_for(secret: str) -> ApiClient | None:
    """The active client whose secret this is, or None."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    digest = hash_secret(secret)
    client = (
        ApiClient.objects.select_related("organisation", "region")
        .filter(secret_hash=digest)
        .first()
    )
    if client is None or not hmac.compare_digest(client.secret_hash, digest):
        return None
    return client if client.is_active else None


class ClientSecret(HttpBearer):
    """The client's secret, for operations that need ``scope``."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = client_for(token.strip())
        if client is None:
            return None
        if not client.has_scope(self.scope):
            raise ScopeRefused(self.scope)
        if not ratelimit.allow_key(
            f"client:{client.pk}",
            "api",
            limit=settings.KRING_API_LIMIT_PER_MINUTE,
            window=dt.timedelta(minutes=1),
        ):
            raise RateLimited
        now = timezone.now()
        ApiClient.objects.filter(pk=client.pk).exclude(
            last_used_at__gt=now - LAST_USED_STEP
        ).update(last_used_at=now)
        return client


def caller(request: HttpRequest) -> ApiClient:
    client = getattr(request, "auth", None)
    if not isinstance(client, ApiClient):  # ninja calls an operation only once authenticated
        raise ScopeRefused("")
    return client


def role(client: ApiClient) -> str:
    """How the access log names an API client."""
    return f"api:{client.pk}"
