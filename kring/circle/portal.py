"""The participant's own page, reached with a personal link and no account.

Opening the link (GET) shows and changes nothing; each form (POST) does one thing. An unknown,
expired or revoked link gets one and the same page. The page is never cached and sends no
referrer, so the token does not leak to other sites.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from kring.audit import log as audit
from kring.cases import contact
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
from kring.circle.models import Participant, PersonalLink, Willingness
from kring.core import languages, once, ratelimit
from kring.followup import portal as follow_up_portal
from kring.meetings import services as meeting_services
from kring.meetings.models import DateAnswer, DateOption, Meeting
from kring.plans import services as plan_services
from kring.plans.models import Plan

ACTIONS = (
    "willingness",
    "dates",
    "needs",
    "suggest",
    "view",
    "language",
    "endorse",
    "research_consent",
    "follow_up",
    "follow_up_decline",
)


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


def _context(participant: Participant, **forms: Any) -> dict[str, Any]:
    from kring.plans.portal import own_plan  # the plan's module builds on this one

    case = participant.case
    phase = phase_of(case)
    may = allowed_actions(participant, phase)
    meeting = Meeting.objects.filter(case=case).first() if phase == Phase.MEETING_SET else None
    options = list(DateOption.objects.filter(case=case).order_by("starts_at"))
    answers = dict(
        DateAnswer.objects.filter(participant=participant).values_list("option_id", "answer")
    )
    suggested = list(participant.suggested.order_by("name").values_list("name", flat=True))
    # Read once: the coordinators named on the page, and the one to call.
    accepted = list(case.assignments.filter(state="accepted").select_related("coordinator"))
    return {
        "participant": participant,
        "case": case,
        "questions": list(case.questions.all()),
        "phase": phase.value,
        "may": may,
        "meeting": meeting if meeting and meeting.is_scheduled else None,
        "poll_open": case.status in meeting_services.POLL_OPEN and "dates" in may,
        "options": [(option, answers.get(option.pk)) for option in options],
        "answer_choices": DateAnswer.Answer.choices,
        "suggested": suggested,
        "coordinators": [a.coordinator.full_name for a in accepted],
        "willingness_form": forms.get("willingness_form")
        or PortalWillingnessForm(
            initial={"willingness": participant.willingness}, auto_id="willing_%s"
        ),
        "needs_form": forms.get("needs_form") or PortalNeedsForm(instance=participant),
        "suggest_form": forms.get("suggest_form") or PortalSuggestForm(auto_id="suggest_%s"),
        "view_form": forms.get("view_form")
        or PortalViewForm(initial={"written_view": participant.written_view}, auto_id="view_%s"),
        "error": forms.get("error"),
        "contact": contact.for_case(case, participant=True, accepted=accepted),
        "languages": languages.choices(languages.participant_languages()),
        "own_plan": (
            own_plan(participant) if phase in (Phase.AFTER_MEETING, Phase.ENDED) else None
        ),
        "research": follow_up_portal.research_context(
            participant, questionnaire_form=forms.get("questionnaire_form")
        ),
    }


@portal_view
def portal(request: HttpRequest, token: str, link: PersonalLink) -> HttpResponse:
    participant = link.participant
    if request.method != "POST":
        request.participant = participant  # type: ignore[attr-defined]
        audit.record(
            request,
            action="view",
            object_type="own_page",
            object_id=participant.pk,
            case_reference=participant.case.reference,
            people=[audit.Person("participant", participant.pk)],
        )
        return render(request, "circle/portal.html", _context(participant))
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        context = _context(participant, error=_("This form could not be read. Try again."))
        return render(request, "circle/portal.html", context, status=400)
    if not ratelimit.allow(request, "portal", limit=120, window=dt.timedelta(hours=1)):
        context = _context(participant, error=_("Too many changes at once. Try again later."))
        return render(request, "circle/portal.html", context, status=429)
    if action != "language" and action not in allowed_actions(
        participant, phase_of(participant.case)
    ):
        # A form from an earlier phase (an old tab, the back button): change nothing.
        context = _context(
            participant,
            error=_("This is no longer possible at this stage of the conference."),
        )
        return render(request, "circle/portal.html", context, status=409)
    handler = HANDLERS[action]
    if once.claim(request) is not None:
        # The same form sent twice (a double click, a reload): the first post's result.
        return redirect("portal", token=token)
    try:
        result = handler(request, participant)
    except CaseError as failure:
        once.release(request)
        error = str(failure.message)
        if error == str(services.STALE):
            error = _(
                "Your details were changed after you opened this page, perhaps by your "
                "coordinator. Nothing was saved: look at what is there now and send your answer "
                "again."
            )
        participant.refresh_from_db()
        context = _context(participant, error=error)
        return render(request, "circle/portal.html", context, status=409)
    if isinstance(result, dict):  # a form with errors: show it again, with what was typed
        once.release(request)
        status = result.pop("status", 400)
        context = _context(participant, **result)
        return render(request, "circle/portal.html", context, status=status)
    once.done(request, action)
    PersonalLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    messages.success(request, result)
    return redirect("portal", token=token)


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


def _dates(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    options = list(DateOption.objects.filter(case=participant.case))
    chosen = {
        option: request.POST.get(f"option-{option.pk}", "")
        for option in options
        if request.POST.get(f"option-{option.pk}", "")
    }
    if not chosen:
        return {"error": _("Choose an answer for at least one date.")}
    with transaction.atomic():
        # Each answer as the form showed it: one entered since (the coordinator, after a phone
        # call) is a conflict, not something to overwrite unseen.
        current = dict(
            DateAnswer.objects.select_for_update()
            .filter(participant=participant, option__in=list(chosen))
            .values_list("option_id", "answer")
        )
        for option in chosen:
            if current.get(option.pk, "") != request.POST.get(f"shown-{option.pk}", ""):
                raise CaseError(services.STALE)
        for option, value in chosen.items():
            meeting_services.answer(option, participant, value, entered_by=None)
    return _("Thank you: your dates are saved.")


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


def _endorse(request: HttpRequest, participant: Participant) -> str | dict[str, Any]:
    plan = Plan.objects.filter(case_id=participant.case_id).first()
    if plan is None:
        raise CaseError(_("You cannot endorse this plan here."))
    plan_services.endorse_on_own_page(plan, participant)
    return _("Thank you: we have noted that you agree with the plan.")


HANDLERS: dict[str, Callable[[HttpRequest, Participant], str | dict[str, Any]]] = {
    "willingness": _willingness,
    "dates": _dates,
    "needs": _needs,
    "suggest": _suggest,
    "view": _view,
    "language": _language_choice,
    "endorse": _endorse,
    **follow_up_portal.HANDLERS,
}
