"""The meeting on the participant's own page: the calendar event to download.

The link is resolved as for the own page itself (``circle.portal.portal_view``): a bad link
gets the same "link not valid" page. The event is the one the invitation carried, with the
meeting's current SEQUENCE, so that a calendar that already has it updates it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kring.audit import log as audit
from kring.circle import links
from kring.circle.models import PersonalLink
from kring.circle.portal import Phase, phase_of, portal_view
from kring.core.downloads import attachment
from kring.meetings.calendar import meeting_ics
from kring.meetings.models import Meeting


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
