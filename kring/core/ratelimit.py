"""Per-client limits on public forms, kept in the database so that they hold across processes
and on SQLite as well as PostgreSQL.

Each attempt first records itself and then counts the attempts in the window, its own included.
Two attempts at the same moment can therefore both be refused, never both let through: the
limit errs on the safe side. A refused attempt removes its own row, so waiting always helps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kring.core.models import RateLimitHit

# The longest window any limit uses; the sweep removes rows older than this.
LONGEST_WINDOW = dt.timedelta(days=1)


def client_address(request: HttpRequest) -> str:
    """The client's address, through as many trusted proxies as are configured."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    if settings.KRING_TRUSTED_PROXIES:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= settings.KRING_TRUSTED_PROXIES:
            address = forwarded[-settings.KRING_TRUSTED_PROXIES]
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return ""
    return address


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client's address: enough to count, useless to anyone who reads it."""
    address = client_address(request) or "unknown"
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def allow(request: HttpRequest, scope: str, *, limit: int, window: dt.timedelta) -> bool:
    """Record one attempt for this client in ``scope``; False if it goes over ``limit``."""
    return allow_key(client_key(request), scope, limit=limit, window=window)


def allow_key(key: str, scope: str, *, limit: int, window: dt.timedelta) -> bool:
    """The same for a key of the caller's choosing (an API client's, for instance)."""
    return _allow(scope, key, limit=limit, window=window)


def allow_value(scope: str, value: str, *, limit: int, window: dt.timedelta) -> bool:
    """The same per ``value`` (an email address, a phone number) instead of per client; only
    a keyed hash of the value is kept."""
    key = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    return _allow(scope, key, limit=limit, window=window)


def _allow(scope: str, key: str, *, limit: int, window: dt.timedelta) -> bool:
    now = timezone.now()
    with transaction.atomic():
        hit = RateLimitHit.objects.create(scope=scope, key=key, at=now)
    recent = RateLimitHit.objects.filter(scope=scope, key=key, at__gt=now - window).count()
    if recent > limit:
        hit.delete()
        return False
    return True


def sweep(now: dt.datetime | None = None) -> int:
    """Forget attempts older than the longest window."""
    cutoff = (now or timezone.now()) - LONGEST_WINDOW
    deleted, _ = RateLimitHit.objects.filter(at__lt=cutoff).delete()
    return deleted
