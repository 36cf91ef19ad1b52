from __future__ import annotations

import datetime as dt
import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone, translation

from kring.core import contact

# The day the accessibility statement was last reviewed; change it with the statement.
STATEMENT_DATE = dt.date(2026, 12, 4)

logger = logging.getLogger("kring.request")


def home(request: HttpRequest) -> HttpResponse:
    """The public front page: what an Eigen Kracht-conferentie is."""
    return render(request, "core/home.html")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


DATABASE_RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context: the error may lie in a context processor.
    from django.template.loader import render_to_string

    error = sys.exc_info()[1]  # Django calls this handler while handling the exception
    if isinstance(error, OperationalError | InterfaceError):
        return database_unavailable(request, error)
    return HttpResponse(render_to_string("500.html"), status=500)


def database_unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    """The database cannot be reached (stopped, restarting, the network): a 503 that asks to
    come back, logged once per request. Rendered without the request context and without a
    query (no session, user or context processors), in the visitor's language."""
    from django.template.loader import render_to_string

    if not getattr(request, "kring_database_unavailable", False):
        request.kring_database_unavailable = True  # type: ignore[attr-defined]
        logger.error(
            "Database unavailable: %s %s: %s: %s",
            request.method,
            request.path,
            type(error).__name__,
            str(error).splitlines()[0] if str(error) else "",
        )
    retry = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/"):
        from kring.core.problems import problem

        response = problem(request, 503, headers=retry)
    else:
        with translation.override(translation.get_language_from_request(request)):
            page = render_to_string("503.html", {"organisation": contact.organisation()})
        response = HttpResponse(page, status=503, headers=retry)
    response._has_been_logged = True  # type: ignore[attr-defined]  # by us, above: once
    return response


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, in the Dutch government's model form."""
    return render(
        request,
        "core/accessibility.html",
        {
            "organisation": contact.organisation(),
            "site_url": settings.SITE_URL,
            "statement_date": STATEMENT_DATE,
        },
    )


def security_txt(request: HttpRequest) -> HttpResponse:
    """RFC 9116: where to report a vulnerability. It expires in 180 days from each request, so
    a copy kept elsewhere cannot stay authoritative for ever."""
    address = settings.KRING_SECURITY_CONTACT or settings.KRING_CONTACT_EMAIL
    expires = (timezone.now() + dt.timedelta(days=180)).replace(microsecond=0)
    lines = [
        f"Contact: mailto:{address}",
        f"Expires: {expires.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: nl, en",
        f"Canonical: {settings.SITE_URL}/.well-known/security.txt",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them the static one. Not a
    permanent redirect: the static file's name changes with its content."""
    return HttpResponseRedirect(static("kring/favicon.ico"))
