"""Writes about staff themselves."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import CoordinatorProfile, User


class ProfileConflict(Exception):
    """Someone else saved the profile since it was shown."""

    message = _(
        "Your profile was changed elsewhere since you opened this page. The current details "
        "are shown; check them and save again."
    )


def save_coordinator_profile(
    profile: CoordinatorProfile, data: dict[str, Any], *, version: int
) -> None:
    """Save what the coordinator changed, if nobody else saved the profile in between."""
    with transaction.atomic():
        changed = CoordinatorProfile.objects.filter(pk=profile.pk, version=version).update(
            version=F("version") + 1,
            languages=list(data["languages"]),
            availability=data["availability"],
        )
        if not changed:
            raise ProfileConflict
        User.objects.filter(pk=profile.user_id).update(phone=data["phone"])


def set_daily_digest(user: User, wanted: bool) -> None:
    """The staff member's own choice: the daily email of what fell due, or not."""
    User.objects.filter(pk=user.pk).update(daily_digest=wanted)
    user.daily_digest = wanted
