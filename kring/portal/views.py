"""The participant's own page (/p/<token>/), reached with a personal link and no account.

Opening the link (GET) shows and changes nothing; each form (POST) does one thing. An unknown,
expired or revoked link gets one and the same page. The page is never cached and sends no
referrer, so the token does not leak to other sites.

It brings the phases together: the link and the circle's forms are kring.circle.portal's, the
dates the meeting's, the plan's endorsement the plan's, the research the follow-up's. No
phase imports this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kring.audit import log as audit
from kring.cases import contact
from kring.cases.lifecycle import CaseError
from kring.cases.models import ConferenceQuestion
from kring.circle import links
from kring.circle import portal as circle_portal
from kring.circle import services as circle_services
from kring.circle.forms import (
    PortalNeedsForm,
    PortalSuggestForm,
    PortalViewForm,
    PortalWillingnessForm,
)
from kring.circle.models import Participant, PersonalLink
from kring.circle.portal import Phase, allowed_actions, phase_of, portal_view
from kring.core import languages, once, ratelimit
from kring.core.prepared import Prepared
from kring.followup import portal as follow_up_portal
from kring.meetings import portal as meetings_portal
from kring.meetings import services as meeting_services
from kring.meetings.models import DateAnswer, DateOption, Meeting
from kring.plans import portal as plans_portal

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


# The page's queries of a fixed shape, their SQL written once per process (kring.core.prepared):
# the ORM's work was a third of the page's CPU under load.
_MEETING = Prepared(lambda case_id: Meeting.objects.filter(case_id=case_id).order_by("pk")[:1], int)
_SUGGESTED = Prepared(
    lambda participant_id: (
        Participant.objects.filter(suggested_by_id=participant_id)
        .order_by("name")
        .values_list("name", flat=True)
    ),
    int,
)
# The dates with this person's answer to each, in one query; only while they are asked.
_OPTIONS = Prepared(
    lambda case_id, participant_id: (
        DateOption.objects.filter(case_id=case_id)
        .annotate(
            given=Subquery(
                DateAnswer.objects.filter(
                    option=OuterRef("pk"), participant_id=participant_id
                ).values("answer")[:1]
            )
        )
        .order_by("starts_at")
    ),
    int,
    int,
)
# By position: the model's own order starts with the case, a join for nothing.
_QUESTIONS = Prepared(
    lambda case_id: ConferenceQuestion.objects.filter(case_id=case_id).order_by("position", "pk"),
    int,
)


def _context(participant: Participant, **forms: Any) -> dict[str, Any]:
    case = participant.case
    phase = phase_of(case)
    may = allowed_actions(participant, phase)
    meeting = next(iter(_MEETING(case.pk)), None) if phase == Phase.MEETING_SET else None
    poll_open = case.status in meeting_services.POLL_OPEN and "dates" in may
    options = _OPTIONS(case.pk, participant.pk) if poll_open else []
    # What a section shows is read, and its form made, only while the section is on the page.
    suggested = _SUGGESTED(participant.pk) if "suggest" in may else []
    # Read once: the coordinators named on the page, and the one to call.
    accepted = contact.accepted_coordinators(case)
    return {
        "participant": participant,
        "case": case,
        "questions": _QUESTIONS(case.pk),
        "phase": phase.value,
        "may": may,
        "meeting": meeting if meeting and meeting.is_scheduled else None,
        "poll_open": poll_open,
        "options": [(option, option.given) for option in options],
        "answer_choices": DateAnswer.Answer.choices,
        "suggested": suggested,
        "coordinators": [coordinator.name for coordinator in accepted],
        "willingness_form": forms.get("willingness_form")
        or (
            PortalWillingnessForm(
                initial={"willingness": participant.willingness}, auto_id="willing_%s"
            )
            if "willingness" in may
            else None
        ),
        "needs_form": forms.get("needs_form")
        or (PortalNeedsForm(instance=participant) if "needs" in may else None),
        "suggest_form": forms.get("suggest_form")
        or (PortalSuggestForm(auto_id="suggest_%s") if "suggest" in may else None),
        "view_form": forms.get("view_form")
        or (
            PortalViewForm(initial={"written_view": participant.written_view}, auto_id="view_%s")
            if "view" in may
            else None
        ),
        "error": forms.get("error"),
        "contact": contact.for_case(case, participant=True, accepted=accepted),
        "languages": languages.choices(languages.participant_languages()),
        "own_plan": (
            plans_portal.own_plan(participant)
            if phase in (Phase.AFTER_MEETING, Phase.ENDED)
            else None
        ),
        "research": follow_up_portal.research_context(
            participant,
            questionnaire_form=forms.get("questionnaire_form"),
            # Research moments open once everyone has the plan, never before the meeting.
            moments=phase in (Phase.AFTER_MEETING, Phase.ENDED),
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
        if error == str(circle_services.STALE):
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
    links.mark_used(link)
    messages.success(request, result)
    return redirect("portal", token=token)


HANDLERS: dict[str, Callable[[HttpRequest, Participant], str | dict[str, Any]]] = {
    **circle_portal.HANDLERS,
    **meetings_portal.HANDLERS,
    **plans_portal.HANDLERS,
    **follow_up_portal.HANDLERS,
}
