"""allauth's adapter for staff accounts, with sign-in throttling that cannot lock the owner out.

Failed sign-ins are limited per client address (ACCOUNT_RATE_LIMITS: 10 an hour), as before.
Per account there is no lock any more — anyone who knows a staff address could otherwise lock
its owner out for an hour from anywhere. Instead, after ``FREE_FAILURES`` wrong passwords in an
hour each next try must wait a growing delay (2, 4, 8… seconds, at most ``MAX_DELAY``), during
which the password is not even checked; and at the ``NOTIFY_AT``-th the owner gets an email, at
most once an hour. The right password, after the delay, always works.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

FREE_FAILURES = 5
MAX_DELAY = 60  # seconds
NOTIFY_AT = 10
WINDOW = 3600  # seconds without a failure after which an account's count starts again


def delay_after(failures: int) -> int:
    """Seconds a next try must wait after ``failures`` wrong passwords in a row."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(2 ** (failures - FREE_FAILURES + 1), MAX_DELAY))


def _key(credentials: dict[str, Any]) -> str:
    login = str(credentials.get("email", credentials.get("username", ""))).strip().lower()
    return "kring:sign-in:" + hashlib.sha256(login.encode()).hexdigest()


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are made by an administrator; nobody signs themselves up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        super().pre_authenticate(request, **credentials)  # the limit per address
        state = cache.get(_key(credentials)) or {}
        wait = state.get("last", 0) + delay_after(state.get("failures", 0)) - time.time()
        if wait > 0:
            self._rollback_login_failed_rl_usage()  # a refused try is not a guess
            raise ValidationError(
                _(
                    "Too many wrong passwords for this account. Wait %(seconds)s seconds and "
                    "try again."
                )
                % {"seconds": max(int(wait + 0.999), 1)}
            )

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        if user is not None:
            cache.delete(_key(credentials))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        key = _key(credentials)
        state = cache.get(key) or {}
        now = time.time()
        failures = state.get("failures", 0) + 1
        notified = state.get("notified", 0)
        if failures >= NOTIFY_AT and now - notified > WINDOW and self._notify_owner(credentials):
            notified = now
        cache.set(key, {"failures": failures, "last": now, "notified": notified}, WINDOW)

    def _notify_owner(self, credentials: dict[str, Any]) -> bool:
        from kring.accounts.models import User

        login = str(credentials.get("email", credentials.get("username", ""))).strip()
        user = User.objects.filter(email__iexact=login, is_active=True).first()
        if user is None:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            email = EmailMessage(
                subject=_("Many failed sign-ins to your Kring account"),
                body=_(
                    "Someone tried to sign in to your Kring account with a wrong password many "
                    "times in the last hour. Your account is not locked: Kring only slows down "
                    "the attempts. If this was not you, tell your administrator; your second "
                    "factor still protects your account."
                ),
                to=[user.email],
                headers={"X-Kring-Purpose": "account.failed_sign_ins"},
            )
            email.send()
        return True
