"""Staff sessions: a second factor before anything else, an idle timeout and an absolute one.

- Without a second factor (TOTP or a security key), a signed-in staff member reaches only the
  pages that set one up and the sign-out; every other page sends them there. A user who has a
  second factor cannot get a session without it: the sign-in asks for it.
- After ``KRING_SESSION_IDLE_MINUTES`` without a request, or ``KRING_SESSION_ABSOLUTE_HOURS``
  after sign-in, the session ends on the server and the user signs in again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from kring.accounts.models import SECOND_FACTOR, User, second_factors
from kring.core.prepared import Prepared

SIGNED_IN_AT = "kring:signed-in-at"
SEEN_AT = "kring:seen-at"
# Reachable without a second factor: setting one up, signing out, the language switch.
OPEN_PREFIXES = ("/account/", "/taal/", "/static/")


# On every staff request: its SQL written once per process (kring.core.prepared).
_SECOND_FACTOR = Prepared(
    lambda user_id: second_factors(user_id).order_by().values_list("pk", flat=True)[:1],
    int,
)


def has_second_factor(user: User) -> bool:
    """Read with the user where the user was read by ``User.objects.get(pk=…)`` (how every
    staff request finds its user, kring.accounts.models); asked apart otherwise."""
    known = getattr(user, SECOND_FACTOR, None)
    if known is not None:
        return bool(known)
    return bool(_SECOND_FACTOR(user.pk))


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            ended = self._expired(request)
            if ended:
                logout(request)
                messages.info(request, ended)
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            if (
                settings.KRING_MFA_REQUIRED
                and not request.path.startswith(OPEN_PREFIXES)
                and not has_second_factor(request.user)
            ):
                messages.warning(
                    request,
                    _("Kring holds data about people: set up a second factor before you go on."),
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> str | None:
        now = time.time()
        session = request.session
        signed_in = session.setdefault(SIGNED_IN_AT, now)
        seen = session.get(SEEN_AT, now)
        if now - signed_in > settings.KRING_SESSION_ABSOLUTE_HOURS * 3600:
            return _("You were signed in for a long time; please sign in again.")
        if now - seen > settings.KRING_SESSION_IDLE_MINUTES * 60:
            return _("You were away for a while, so you were signed out. Please sign in again.")
        if now - seen > 30 or SEEN_AT not in session:  # save at most twice a minute
            session[SEEN_AT] = now
        return None
