"""Deactivating a staff member ends all their sessions at once."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from kring.accounts.models import User


@receiver(pre_save, sender=User)
def _remember_activity(sender: type[User], instance: User, **kwargs: Any) -> None:
    if instance.pk:
        instance._was_active = (  # type: ignore[attr-defined]
            User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
        )


@receiver(post_save, sender=User)
def _end_sessions_when_deactivated(sender: type[User], instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_was_active", False) and not instance.is_active:
        end_sessions(instance)


def end_sessions(user: User) -> int:
    """Delete every live session of ``user`` from the session store."""
    ended = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)
