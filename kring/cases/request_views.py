"""Phase 0: anyone may ask for a conference, without an account; a regional manager may
enter a request that came by phone, email or in person."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Municipality, Role
from kring.cases.access import managed_cases
from kring.cases.forms import PublicRequestForm, StaffRequestForm
from kring.cases.intake import create_request, inbox_name
from kring.cases.models import Case
from kring.core import once, ratelimit

SESSION_KEY = "kring:request-reference"


def _municipalities() -> list[str]:
    return list(Municipality.objects.order_by("name").values_list("name", flat=True))


@never_cache
def request_form(request: HttpRequest) -> HttpResponse:
    """The public request form. Valid: store, confirm by email, show the reference."""
    form = PublicRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_bot:
            # Look like success to whatever filled the hidden field; store and send nothing.
            request.session.pop(SESSION_KEY, None)
            return redirect("request_received")
        if form.is_valid() and (first := once.claim(request)) is not None:
            # Sent twice (a double click, a reload): the first post's result, nothing again.
            if first:
                request.session[SESSION_KEY] = first
            return redirect("request_received")
        if form.is_valid():
            limit = settings.KRING_REQUEST_LIMIT_PER_HOUR
            if not ratelimit.allow(request, "request", limit=limit, window=dt.timedelta(hours=1)):
                # Nothing stored, nothing sent; what was typed stays on the page.
                once.release(request)
                return render(
                    request,
                    "cases/request_form.html",
                    {"form": form, "municipalities": _municipalities(), "limited": True},
                    status=429,
                )
            try:
                case = create_request(form.cleaned_data_for_case(), language=_language())
            except BaseException:
                once.release(request)
                raise
            once.done(request, case.reference)
            request.session[SESSION_KEY] = case.reference
            return redirect("request_received")
    return render(
        request,
        "cases/request_form.html",
        {"form": form, "municipalities": _municipalities()},
        status=400 if form.is_bound else 200,
    )


@never_cache
def request_received(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SESSION_KEY)
    case = (
        Case.objects.filter(reference=reference)
        .only("reference", "requester_email", "requester_language")
        .first()
        if reference
        else None
    )
    context = {"case": case, "intake_days": settings.KRING_NORM_INTAKE_DAYS}
    if case is None or request.user.is_authenticated:
        return render(request, "cases/request_received.html", context)
    # The confirmation in the language the request was made in, also when that came from the
    # address (``?taal=``) rather than the cookie.
    with translation.override(case.requester_language):
        return render(request, "cases/request_received.html", context)


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


@roles_required(Role.REGIONAL_MANAGER)
def case_create(request: HttpRequest) -> HttpResponse:
    """A regional manager records a request taken by phone, email or in person."""
    user = staff_user(request)
    form = StaffRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        first = once.claim(request)
        if first is not None:  # sent twice: show the first post's case, record nothing again
            return redirect(first or "start")
        try:
            case = create_request(
                form.cleaned_data_for_case(),
                language=form.cleaned_data["requester_language"],
                channel=form.cleaned_data["channel"],
                entered_by=user,
                send_confirmation=form.cleaned_data["send_confirmation"],
            )
        except BaseException:
            once.release(request)
            raise
        inbox = inbox_name(case)
        once.done(
            request,
            case.get_absolute_url()
            if managed_cases(user).filter(pk=case.pk).exists()
            else reverse("start"),
        )
        if managed_cases(user).filter(pk=case.pk).exists():
            messages.success(
                request,
                _("Request %(reference)s is recorded, in %(inbox)s.")
                % {"reference": case.reference, "inbox": inbox},
            )
            return redirect(case)
        messages.success(
            request,
            _("Request %(reference)s is recorded and went to %(inbox)s, which you do not manage.")
            % {"reference": case.reference, "inbox": inbox},
        )
        return redirect("start")
    return render(
        request,
        "cases/case_create.html",
        {"form": form, "municipalities": _municipalities()},
        status=400 if form.is_bound else 200,
    )


def _language() -> str:
    language = (get_language() or settings.LANGUAGE_CODE)[:2]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
