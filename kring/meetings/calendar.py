"""The calendar event (.ics, iCalendar / RFC 5545 with iTIP methods) sent with an invitation,
an update or a cancellation of a meeting.

One UID for the life of the meeting (``<uuid>@<the site's host>``, fixed when the meeting is
first saved) and a SEQUENCE that rises with each change, so that a
participant's calendar replaces the event it already has instead of adding a second one."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext
from icalendar import Calendar, Event, vCalAddress, vText

from kring.circle.models import Participant
from kring.meetings.models import Meeting

PRODID = "-//Kring//Eigen Kracht-conferentie//NL"
METHODS = ("REQUEST", "CANCEL")
ORGANIZER_NAME = "Kring"


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def organizer_address() -> str:
    """The address part of DEFAULT_FROM_EMAIL ("Kring <kring@example.nl>" → the address),
    which follows the site (SITE_URL) unless set."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return address or settings.DEFAULT_FROM_EMAIL


def organizer_name() -> str:
    """The name part of DEFAULT_FROM_EMAIL, or "Kring"."""
    name, _address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name or ORGANIZER_NAME


def meeting_summary(meeting: Meeting) -> str:
    """The event title, in the active language."""
    return gettext("Eigen Kracht-conferentie – %(place)s") % {"place": meeting.case.place}


def meeting_location(meeting: Meeting) -> str:
    return ", ".join(part for part in (meeting.venue_name, meeting.venue_address) if part)


def meeting_description(meeting: Meeting, portal_url: str) -> str:
    """The conference question(s) and the link to the participant's own page, in the active
    language."""
    questions = [question.text for question in meeting.case.questions.all()]
    lines: list[str] = []
    if questions:
        lines.append(ngettext("Conference question:", "Conference questions:", len(questions)))
        lines.extend(f"- {text}" for text in questions)
        lines.append("")
    lines.append(gettext("Your personal page: %(url)s") % {"url": portal_url})
    return "\n".join(lines)


def meeting_ics(
    meeting: Meeting, participant: Participant, *, method: str, portal_url: str
) -> bytes:
    """The .ics for ``participant``: ``method`` is "REQUEST" for an invitation or an update and
    "CANCEL" when the meeting is cancelled."""
    if method not in METHODS:
        raise ValueError(f"Unknown iTIP method {method!r}: use REQUEST or CANCEL.")
    if meeting.starts_at is None or meeting.ends_at is None:
        raise ValueError("The meeting has no date yet: there is no calendar event to send.")
    if not meeting.uid:
        raise ValueError("The meeting has no UID: save it first.")

    zone = local_zone()
    with translation.override(participant.text_language):
        summary = meeting_summary(meeting)
        description = meeting_description(meeting, portal_url)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", dt.datetime.now(dt.UTC).replace(microsecond=0))
    starts_at = meeting.starts_at.astimezone(zone).replace(microsecond=0)
    ends_at = meeting.ends_at.astimezone(zone).replace(microsecond=0)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", summary)
    location = meeting_location(meeting)
    if location:
        event.add("location", location)
    event.add("description", description)
    event.add("url", portal_url)
    event.add("status", "CONFIRMED" if method == "REQUEST" else "CANCELLED")
    event.add("transp", "OPAQUE")

    organizer = vCalAddress(f"mailto:{organizer_address()}")
    organizer.params["CN"] = vText(organizer_name())
    event.add("organizer", organizer)
    if participant.email:
        attendee = vCalAddress(f"mailto:{participant.email}")
        attendee.params["CN"] = vText(participant.name)
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
        attendee.params["RSVP"] = vText("FALSE")
        event.add("attendee", attendee, encode=False)

    calendar.add_component(event)
    # A VTIMEZONE with the transitions around the meeting only, not fifty years of them.
    calendar.add_missing_timezones(
        first_date=dt.date(starts_at.year - 1, 1, 1), last_date=dt.date(ends_at.year + 2, 1, 1)
    )
    return calendar.to_ical()
