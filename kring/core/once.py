"""One-time form tokens against double submits (issue 17, point 6).

Each rendering of a form that creates something carries a fresh token (``{% form_once %}``).
The first valid post with it claims the token (a unique row) and records its result; a second
post with the same token — a double click, a reload, a second tab — does nothing again and is
shown the first post's result. A post without a token (a script) is handled as before.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from kring.core.models import SubmittedForm

FIELD = "form_once"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
KEEP = dt.timedelta(days=1)
WAIT_SECONDS = 10.0


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_of(request: HttpRequest) -> str:
    token = request.POST.get(FIELD, "")
    return token if TOKEN.match(token) else ""


def claim(request: HttpRequest) -> str | None:
    """None when this post is the first with its token (or has none): go on, then call
    ``done``. Otherwise the first post's result (waiting a little while it is under way)."""
    token = token_of(request)
    if not token:
        return None
    try:
        with transaction.atomic():
            SubmittedForm.objects.create(token=token)
        return None
    except IntegrityError:
        pass
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = SubmittedForm.objects.filter(token=token).values_list("result", flat=True).first()
        if row is None:  # the first post failed and gave its token back: this one goes on
            return claim(request)
        if row or time.monotonic() > deadline:
            return row
        time.sleep(0.1)


def done(request: HttpRequest, result: str) -> None:
    token = token_of(request)
    if token:
        SubmittedForm.objects.filter(token=token).update(result=result[:300])


def release(request: HttpRequest) -> None:
    """The post did not go through (invalid, refused): its token may be sent again."""
    token = token_of(request)
    if token:
        SubmittedForm.objects.filter(token=token, result="").delete()


def sweep(now: dt.datetime | None = None) -> int:
    deleted, _ = SubmittedForm.objects.filter(at__lt=(now or timezone.now()) - KEEP).delete()
    return deleted
