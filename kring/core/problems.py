"""Errors as ``application/problem+json`` (RFC 9457), as the Dutch API design rules ask: a
translated ``title`` per status, a ``detail`` where it helps, and ``invalidParams`` naming each
field that was wrong (by its name in the JSON, camelCase)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import pgettext

PROBLEM_TYPE = "application/problem+json"


def title(status: int) -> str:
    titles = {
        400: pgettext("api problem", "The request is not valid"),
        401: pgettext("api problem", "A valid client secret is needed"),
        403: pgettext("api problem", "This client may not do this"),
        404: pgettext("api problem", "Not found"),
        405: pgettext("api problem", "This method is not allowed here"),
        406: pgettext("api problem", "This format is not available"),
        409: pgettext("api problem", "In conflict with an earlier request"),
        415: pgettext("api problem", "This content type is not accepted"),
        422: pgettext("api problem", "The idempotency key was used for another request"),
        429: pgettext("api problem", "Too many requests"),
    }
    if status in titles:
        return titles[status]
    if status >= 500:
        return pgettext("api problem", "Something went wrong on our side")
    return pgettext("api problem", "The request could not be handled")


def problem(
    request: HttpRequest | None,
    status: int,
    detail: str = "",
    *,
    invalid: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title(status), "status": status}
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.path
    if invalid:
        body["invalidParams"] = invalid
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
