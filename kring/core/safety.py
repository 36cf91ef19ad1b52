"""Hostile input stopped at the edge, and error pages that never show the environment.

- ``ControlCharactersMiddleware`` answers 400 to a request whose path, query, cookies or form
  fields hold a NUL or another control character (tab, line feed and carriage return are
  allowed in form fields only), or bytes that are not UTF-8 — before the session or any view
  reads them (a NUL in the session cookie was a 500 on PostgreSQL).
- ``clean_text`` is what every form's text field does on top (installed in CoreConfig.ready):
  bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F) are removed from
  single-line fields, where "evil" could be shown as "live", and a single-line field refuses a
  line break.
- ``NoEnvironmentReporterFilter``: even with DEBUG on, Django's error page shows no request
  environment (under ``runserver`` that is the whole process environment) and no setting that
  names a database, URL, host, key, password or token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.debug import SafeExceptionReporterFilter

# C0 controls and DEL; tab, LF and CR are allowed where text may have several lines.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_bidi(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def clean_text(text: str, *, single_line: bool) -> str:
    """A form field's text: control characters refused, bidi controls dropped from one line."""
    if (CONTROL_OR_BREAK if single_line else CONTROL).search(text):
        raise ValidationError(
            _("Remove the invisible control characters or line breaks from this text."),
            code="control_characters",
        )
    return strip_bidi(text) if single_line else text


def install_form_cleaning() -> None:
    """Every text field of every form (Django's, allauth's, Kring's) cleans its text."""
    if getattr(forms.CharField.to_python, "kring_cleaned", False):
        return
    original = forms.CharField.to_python

    def to_python(self: forms.CharField, value: Any) -> Any:
        value = original(self, value)
        if isinstance(value, str) and value:
            single_line = not isinstance(self.widget, forms.Textarea)
            value = clean_text(value, single_line=single_line)
        return value

    to_python.kring_cleaned = True  # type: ignore[attr-defined]
    forms.CharField.to_python = to_python  # type: ignore[method-assign]


def _bad(value: bytes | str, *, lines: bool) -> bool:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return True
    return bool((CONTROL if lines else CONTROL_OR_BREAK).search(value))


class ControlCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._hostile(request):
            if request.path.startswith("/api/"):
                # The API answers every error as a problem document, this one too.
                from kring.core.problems import problem

                return problem(request, 400)
            return HttpResponse(render_to_string("400.html"), status=400)
        return self.get_response(request)

    def _hostile(self, request: HttpRequest) -> bool:
        raw_path = request.META.get("PATH_INFO", "")
        # The WSGI path arrives decoded as latin-1; undo that to see the bytes sent.
        path = raw_path.encode("latin-1", "replace") if isinstance(raw_path, str) else raw_path
        if _bad(path, lines=False) or _bad(
            unquote_to_bytes(request.META.get("QUERY_STRING", "")), lines=False
        ):
            return True
        if any(_bad(k, lines=False) or _bad(v, lines=False) for k, v in request.COOKIES.items()):
            return True
        if request.method in ("POST", "PUT", "PATCH"):
            content_type = request.content_type or ""
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                try:
                    fields = request.POST
                except Exception:  # a body Django cannot parse is refused below anyway
                    return False
                for key, values in fields.lists():
                    if _bad(key, lines=False) or any(_bad(v, lines=True) for v in values):
                        return True
        return False


class NoEnvironmentReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE|URL|DSN|HOST|REDIS|EMAIL",
        flags=re.IGNORECASE,
    )
    SHOWN_META = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE")

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta = getattr(request, "META", {}) or {}
        return {key: meta[key] for key in self.SHOWN_META if key in meta}
