"""Kring's own periodic work (registered by CoreConfig.ready())."""

import datetime as dt

from kring.core import once, ratelimit
from kring.core.periodic import register

register("core.rate_limits", lambda worker: ratelimit.sweep())
register("core.used_codes", lambda worker: once.sweep())
# Signed-in sessions past their expiry (10 hours at most) are deleted.
register(
    "core.expired_sessions", lambda worker: _clear_expired_sessions(), every=dt.timedelta(hours=1)
)


def _clear_expired_sessions() -> None:
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
