"""Every sign-in, and every failed one, goes into the access log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from kring.audit.log import record


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(request, action="sign_in", object_type="account", object_id=user.pk, user=user)


@receiver(user_login_failed)
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Only the fact and the address: never the email address or password that was tried.
    record(request, action="sign_in_failed", object_type="account", outcome="failed")
