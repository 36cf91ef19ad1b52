from __future__ import annotations

import datetime as dt
import logging
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone, translation

from kring.accounts.models import Region, Role
from kring.cases.access import coordinated_cases, managed_cases
from kring.cases.lifecycle import ACTION_BY
from kring.cases.models import Assignment, Case, Status
from kring.cases.norms import over_norm
from kring.core import contact, due
from kring.core.auth import staff_user
from kring.followup.access import follow_ups_for
from kring.followup.views import section_counts
from kring.messaging.models import OutboxMessage

START_LIMIT = 15
# The day the accessibility statement was last reviewed; change it with the statement.
STATEMENT_DATE = dt.date(2026, 12, 4)

logger = logging.getLogger("kring.request")


def home(request: HttpRequest) -> HttpResponse:
    """The public front page: what an Eigen Kracht-conferentie is."""
    return render(request, "core/home.html")


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """‘Mijn zaken’: per role the cases that need this person's action first."""
    user = staff_user(request)
    context: dict[str, object] = {"roles": user.roles}
    assignments = Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(
            state__in=[Assignment.State.OFFERED, Assignment.State.ACCEPTED]
        ).select_related("coordinator"),
        to_attr="active_assignments",
    )
    if user.is_regional_manager:
        mine = managed_cases(user)
        waiting = [s for s, role in ACTION_BY.items() if role == Role.REGIONAL_MANAGER]
        action = mine.filter(status__in=waiting)
        context["manager_action"] = list(
            action.select_related("region", "municipality")
            .prefetch_related(assignments)
            .order_by("status_changed_at")[:START_LIMIT]
        )
        context["manager_action_count"] = action.count()
        context["manager_late_count"] = mine.filter(over_norm()).count()
        context["manager_by_status"] = _counts_by_status(mine)
        context["manager_norms"] = due.norms(user, timezone.localdate())
    if user.is_coordinator:
        context["aftercare_due"] = due.aftercare_due(user, timezone.localdate())
        context["meetings_this_week"] = due.meetings_this_week(user, timezone.now())
        mine = coordinated_cases(user)
        context["coordinator_offered"] = list(
            mine.filter(
                status=Status.COORDINATOR_ASSIGNED,
                assignments__coordinator=user,
                assignments__state=Assignment.State.OFFERED,
            )
            .select_related("region", "municipality")
            .prefetch_related(assignments)
            .order_by("status_changed_at")[:START_LIMIT]
        )
        context["coordinator_active"] = list(
            mine.exclude(status=Status.COORDINATOR_ASSIGNED)
            .select_related("region", "municipality")
            .prefetch_related(assignments)
            .order_by("status_changed_at")[:START_LIMIT]
        )
    if user.is_researcher:
        counts = section_counts(follow_ups_for(user), timezone.localdate())
        context["follow_ups_due"] = counts["due"]
        context["follow_ups_overdue"] = counts["overdue"]
    if user.is_administrator:
        context["outbox_failed"] = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.FAILED
        ).count()
        context["outbox_waiting"] = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.QUEUED
        ).count()
    return render(request, "core/start.html", context)


def _counts_by_status(cases: QuerySet[Case]) -> list[tuple[str, int]]:
    counts = dict(cases.order_by().values_list("status").annotate(n=Count("pk")))
    return [(str(Status(s).label), counts[s]) for s in Status.values if counts.get(s)]


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
        from kring.api.problems import problem

        response = problem(request, 503, headers=retry)
    else:
        with translation.override(translation.get_language_from_request(request)):
            page = render_to_string("503.html", {"organisation": contact.organisation()})
        response = HttpResponse(page, status=503, headers=retry)
    response._has_been_logged = True  # type: ignore[attr-defined]  # by us, above: once
    return response


def contact_page(request: HttpRequest) -> HttpResponse:
    """Whom to reach: the organisation and every region's office."""
    regions = Region.objects.order_by("name")
    return render(
        request,
        "core/contact.html",
        {"organisation": contact.organisation(), "offices": [contact.office(r) for r in regions]},
    )


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
