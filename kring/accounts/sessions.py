"""Django's database sessions, read with SQL written once (kring.core.prepared, issue 18).

Every staff page reads its session first; the ORM wrote that one-table lookup anew on each
request. The row is found by its key and its expiry compared here, as Django's own store
compares it in SQL: a session past its expiry is no session, and its key is dropped."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from kring.core.prepared import Prepared

_BY_KEY = Prepared(lambda key: Session.objects.filter(session_key=key), str)


class SessionStore(DatabaseStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        found = _BY_KEY(key) if type(key) is str else []
        if found and found[0].expire_date > timezone.now():
            return found[0]
        self._session_key = None
        return None
