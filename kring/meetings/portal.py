"""The meeting on the participant's own page: the dates form and the calendar event to download.

The link is resolved as for the own page itself (``circle.portal.portal_view``): a bad link
gets the same "link not valid" page. The event is the one the invitation carried, with the
meeting's current SEQUENCE, so that a calendar that already has it updates it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kring.audit import log as audit
from kring.cases.lifecycle import CaseError
from kring.circle import links
from kring.circle import services as circle_services
from kring.circle.models import Participant, PersonalLink
from kring.circle.portal import Phase, phase_of, portal_view
from kring.core.downloads import attachment
from kring.meetings import services as meeting_services
from kring.meetings.calendar import meeting_ics
from kring.meetings.models import DateAnswer, DateOption, Meeting


@portal_view
@require_GET
def calendar(request: HttpRequest, token: str, link: PersonalLink) -> HttpResponse:
    """The scheduled meeting as an .ics event, while the date is set and they have not said
    no."""
    participant = link.participant
    meeting = Meeting.objects.filter(case_id=participant.case_id).first()
    if (
        meeting is None
        or not meeting.is_scheduled
        or not meeting.uid
        or participant.declined
        or phase_of(participant.case) != Phase.MEETING_SET
    ):
        return render(request, "404.html", status=404)
    ics = meeting_ics(meeting, participant, method="REQUEST", portal_url=links.url(token))
    request.participant = participant  # type: ignore[attr-defined]
    audit.record(
        request,
        action="download",
        object_type="meeting_calendar",
        object_id=meeting.pk,
        case_reference=participant.case.reference,
        people=[audit.Person("participant", participant.pk)],
    )
    return attachment(ics, "conferentie.ics", "text/calendar; charset=utf-8")


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
                raise CaseError(circle_services.STALE)
        for option, value in chosen.items():
            meeting_services.answer(option, participant, value, entered_by=None)
    return _("Thank you: your dates are saved.")


# The own page's forms of this phase (kring.portal.views brings them together).
HANDLERS: dict[str, Callable[[HttpRequest, Participant], str | dict[str, Any]]] = {
    "dates": _dates,
}
