"""A confirmation before a step that cannot be undone, rendered by the server.

A form whose step cannot be undone posts once without ``confirmed``: the view then answers
with a page that says what will happen, carrying the same fields, and a button that posts
them again with ``confirmed=yes``. No JavaScript is involved.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise

from kring.cases.models import Case

FIELD = "confirmed"


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get(FIELD) == "yes"


def confirmation_page(
    request: HttpRequest,
    case: Case,
    *,
    title: str | Promise,
    consequences: Sequence[str | Promise],
    button: str | Promise,
    back: str,
) -> HttpResponse:
    """The page that asks to confirm the posted step; it posts the same fields again."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", FIELD)
        for value in values
    ]
    return render(
        request,
        "core/confirm.html",
        {
            "case": case,
            "title": title,
            "consequences": consequences,
            "button": button,
            "back": back,
            "action": request.path,
            "fields": fields,
        },
    )
