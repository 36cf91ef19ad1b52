"""Personal links: a participant's way into their own page, without an account.

The token is 256 bits from ``secrets``; only its SHA-256 hash is stored, so a database copy
opens nothing. A link expires (``KRING_LINK_DAYS``), can be revoked, and a new link for the
same purpose revokes the old one. Closing a case revokes all its links. Opening a link (GET)
changes nothing: mail scanners open links too.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kring.cases.models import Case
from kring.circle.models import Participant, PersonalLink, hash_token


def issue(participant: Participant, purpose: str = PersonalLink.Purpose.PORTAL) -> str:
    """A new link for ``participant``; returns the token (shown or sent once, never stored)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        PersonalLink.objects.filter(
            participant=participant, purpose=purpose, revoked_at__isnull=True
        ).update(revoked_at=now)
        PersonalLink.objects.create(
            participant=participant,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + dt.timedelta(days=settings.KRING_LINK_DAYS),
        )
    return token


def resolve(token: str, purpose: str = PersonalLink.Purpose.PORTAL) -> PersonalLink | None:
    """The valid link for this token, or None (unknown, expired, revoked, other purpose)."""
    if not token or len(token) > 100:
        return None
    link = (
        PersonalLink.objects.select_related("participant", "participant__case")
        .filter(token_hash=hash_token(token), purpose=purpose)
        .first()
    )
    if link is None or not link.is_valid() or link.participant.case.is_finished:
        return None
    return link


def revoke(participant: Participant) -> int:
    return PersonalLink.objects.filter(participant=participant, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def revoke_case(case: Case) -> int:
    """Revoke every link of a case (when it closes)."""
    return PersonalLink.objects.filter(participant__case=case, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('portal', args=[token])}"
