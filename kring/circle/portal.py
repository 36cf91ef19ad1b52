"""The participant's own page, reached with a personal link and no account: how a link is
resolved, the page's phases, and the circle's own forms (the page itself, which brings every
phase together, is kring.portal.views).

Opening the link (GET) shows and changes nothing; each form (POST) does one thing. An unknown,
expired or revoked link gets one and the same page. The page is never cached and sends no
referrer, so the token does not leak to other sites.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from kring.cases.lifecycle import CaseError
from kring.cases.models import FINAL_STATUSES, Case, Status
from kring.circle import links, services
from kring.circle.forms import (
    NewLinkForm,
    PortalNeedsForm,
    PortalSuggestForm,
    PortalViewForm,
    PortalWillingnessForm,
)
from kring.circle.models import Participant, Willingness


class Phase(enum.StrEnum):
    """Where the case is, as the participant's page sees it."""

    BEFORE_MEETING = "before_meeting"
    MEETING_SET = "meeting_set"
    AFTER_MEETING = "after_meeting"
    ENDED = "ended"


AFTER_MEETING = frozenset(
    {
        Status.HELD,
        Status.PLAN_WITHOUT_MEETING,
        Status.PLAN_DISTRIBUTED,
        Status.AFTERCARE,
        Status.FOLLOW_UP,
    }
)

# What the page offers in each phase: the sections it shows are the forms it accepts.
# Before the meeting the circle is still being formed; once the date is set people can still
# say whether they come, what they need, and write their view if they cannot come; after the
# meeting only the plan and the research are left.
PHASE_ACTIONS: dict[Phase, frozenset[str]] = {
    Phase.BEFORE_MEETING: frozenset(
        {"willingness", "dates", "needs", "suggest", "view", "research_consent"}
    ),
    Phase.MEETING_SET: frozenset({"willingness", "needs", "view", "research_consent"}),
    Phase.AFTER_MEETING: frozenset(
        {"endorse", "research_consent", "follow_up", "follow_up_decline"}
    ),
    Phase.ENDED: frozenset(),
}
# Someone who said no sees only that, and can change their mind until the case ends.
DECLINED_ACTIONS = frozenset({"willingness"})


def phase_of(case: Case) -> Phase:
    if case.status in FINAL_STATUSES:
        return Phase.ENDED
    if case.status in AFTER_MEETING:
        return Phase.AFTER_MEETING
    if case.status == Status.SCHEDULED:
        return Phase.MEETING_SET
    return Phase.BEFORE_MEETING


def allowed_actions(participant: Participant, phase: Phase) -> frozenset[str]:
    """The forms the own page shows, and accepts, for this participant now (besides the
    choice of language, which is always there)."""
    if phase == Phase.ENDED:
        return frozenset()
    if participant.declined:
        return DECLINED_ACTIONS
    return PHASE_ACTIONS[phase]


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the token; a bad link gets the one 'link not valid' page (404).

    No CSRF cookie check: the page sends ``Referrer-Policy: no-referrer`` so that the token
    never leaks, and browsers then post with ``Origin: null``, which Django's check refuses.
    The secret in the URL is what authorises each form; a site that does not know it cannot
    forge a post, and one that knows it needs no forgery.
    """

    @wraps(view)
    @csrf_exempt
    @never_cache
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        link = links.resolve(token)
        if link is None:
            context = {"form": NewLinkForm()}
            return _private(render(request, "circle/portal_invalid.html", context, status=404))
        request.personal_link = link  # type: ignore[attr-defined]
        with translation.override(_page_language(request, link.participant)):
            response = view(request, token, link)
        return _private(response)

    return wrapper


# ``?taal=nl`` shows the own page in Dutch for this one visit (the line about an unreviewed
# translation links to it); the stored choice, and so every message, stays as it was.
DUTCH_FOR_THIS_VISIT = "taal"


def _page_language(request: HttpRequest, participant: Participant) -> str:
    if request.method == "GET" and request.GET.get(DUTCH_FOR_THIS_VISIT) == "nl":
        return "nl"
    return participant.text_language


def _shown_version(request: HttpRequest) -> int:
    """The participant's version the form was shown with: a change by anyone since then is a
    conflict (409), never silently overwritten. A form without one is out of date as well."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        raise CaseError(services.STALE) from None


def _willingness(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    form = PortalWillingnessForm(request.POST, auto_id="willing_%s")
    if not form.is_valid():
        return {"willingness_form": form}
    value = form.cleaned_data["willingness"]
    used_link = getattr(request, "personal_link", None)
    services.set_willingness(
        participant, value, user=None, version=_shown_version(request), used_link=used_link
    )
    if value == Willingness.NO:
        return _(
            "Thank you for letting us know. You will receive nothing more from us. If you "
            "change your mind, you can say so here."
        )
    if value == Willingness.YES:
        return _("Thank you: you take part. Below you can choose dates and tell us what you need.")
    return _("Thank you. Let us know when you have decided.")


def _needs(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    form = PortalNeedsForm(request.POST, instance=Participant.objects.get(pk=participant.pk))
    if not form.is_valid():
        return {"needs_form": form}
    services.save_needs(participant, form.cleaned_data, user=None, version=_shown_version(request))
    return _("Thank you: we will take your needs into account.")


def _suggest(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    form = PortalSuggestForm(request.POST, auto_id="suggest_%s")
    if not form.is_valid():
        return {"suggest_form": form}
    services.suggest(participant, form.cleaned_data)
    return _(
        "Thank you: the coordinator will contact %(name)s. Taking part is voluntary for them too."
    ) % {"name": form.cleaned_data["name"]}


def _view(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    form = PortalViewForm(request.POST, auto_id="view_%s")
    if not form.is_valid():
        return {"view_form": form}
    services.save_written_view(
        participant, form.cleaned_data["written_view"], user=None, version=_shown_version(request)
    )
    return _("Thank you: your view will be read out at the meeting.")


def _language_choice(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return {"error": _("Choose a language from the list.")}
    services.choose_language(participant, language)
    with translation.override(language):
        return _("The language of your page is changed.")


# The own page's forms of the circle itself; the page (kring.portal) adds the later phases'.
HANDLERS: dict[str, Callable[[HttpRequest, Participant], str | dict[str, Any]]] = {
    "willingness": _willingness,
    "needs": _needs,
    "suggest": _suggest,
    "view": _view,
    "language": _language_choice,
}
