"""Security headers on every page Kring renders (static files are served before this).

- A Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval': every script and style
  is a file of Kring's own; no page may be framed.
- ``Cache-Control: no-store`` on every dynamic response unless a view chose otherwise: pages
  hold personal data, and a shared or back-button cache must not keep them.
- A Permissions-Policy that switches off what Kring never uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


class RequestIdMiddleware:
    """Give each request an ID (kept in the access log, sent back as ``X-Request-ID``), so that
    a user's report and the log can be matched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class OwnErrorPagesMiddleware:
    """Kring's own 404 page also while DEBUG is on (the demo runs with DEBUG): Django's
    technical 404 lists every URL pattern and the view that refused, which a staff member who
    opens a case their role may not see must not get.

    A 404 raised by a view is answered here before Django's handler sees it; a URL that matches
    no pattern never reaches a view (``resolver_match`` stays empty), and its technical page is
    replaced. Without DEBUG, Django's own handler404 already renders Kring's page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return self._not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404):
            return self._not_found(request)
        return None

    @staticmethod
    def _not_found(request: HttpRequest) -> HttpResponse:
        from kring.core.views import not_found

        return not_found(request, Http404())
