"""The printed letter (PDF) for a participant without email, or who asked for paper: an
invitation, an update, a cancellation or a reminder of the meeting.

WeasyPrint renders it as tagged PDF (PDF/UA-1) with embedded fonts. It is imported inside
the function, so that Kring starts on machines without Pango."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from kring.cases.models import Assignment
from kring.circle.links import code_url
from kring.circle.models import Participant
from kring.core import dates
from kring.core.pdf import pdf_ua
from kring.meetings.models import Invitation, Meeting

TEMPLATE = "letters/invitation.html"
KINDS = tuple(Invitation.Kind.values)


def letter_subject(meeting: Meeting, kind: str) -> str:
    """The subject line (and the PDF's title), in the active language."""
    place = {"place": meeting.case.place}
    if kind == Invitation.Kind.UPDATE:
        return gettext("Changed: Eigen Kracht-conferentie %(place)s") % place
    if kind == Invitation.Kind.CANCELLATION:
        return gettext("Cancelled: Eigen Kracht-conferentie %(place)s") % place
    if kind == Invitation.Kind.REMINDER:
        return gettext("Reminder: Eigen Kracht-conferentie %(place)s") % place
    return gettext("Invitation: Eigen Kracht-conferentie %(place)s") % place


def meeting_when(meeting: Meeting) -> tuple[str, str]:
    """(the day in words, the day and the times in words), in the active language and in
    Kring's time zone; empty while the meeting has no date."""
    if meeting.starts_at is None:
        return "", ""
    starts = timezone.localtime(meeting.starts_at)
    day = dates.day(starts)
    if meeting.ends_at is None:
        return day, gettext("%(date)s at %(start)s") % {
            "date": day,
            "start": date_format(starts, "H:i"),
        }
    ends = timezone.localtime(meeting.ends_at)
    if ends.date() == starts.date():
        return day, gettext("%(date)s, from %(start)s to %(end)s") % {
            "date": day,
            "start": date_format(starts, "H:i"),
            "end": date_format(ends, "H:i"),
        }
    return day, gettext("from %(date)s %(start)s to %(end_date)s %(end)s") % {
        "date": day,
        "start": date_format(starts, "H:i"),
        "end_date": dates.day(ends),
        "end": date_format(ends, "H:i"),
    }


def letter_context(
    meeting: Meeting,
    participant: Participant,
    *,
    kind: str,
    portal_url: str,
    portal_code: str = "",
) -> dict[str, Any]:
    """What the letter template needs. Call it inside the participant's language."""
    case = meeting.case
    coordinators = [
        assignment.coordinator
        for assignment in Assignment.objects.filter(
            case=case, state=Assignment.State.ACCEPTED
        ).select_related("coordinator")
    ]
    day, when = meeting_when(meeting)
    address_lines = [
        line.strip() for line in participant.postal_address.splitlines() if line.strip()
    ]
    return {
        "kind": kind,
        "is_cancellation": kind == Invitation.Kind.CANCELLATION,
        "subject": letter_subject(meeting, kind),
        "letter_date": dates.short_day(timezone.localdate()),
        "meeting": meeting,
        "case": case,
        "participant": participant,
        "address_lines": address_lines,
        "meeting_day": day,
        "meeting_when": when,
        "questions": [question.text for question in case.questions.all()],
        "portal_url": portal_url,
        "portal_code": portal_code,
        "code_url": code_url(),
        "coordinators": [str(coordinator) for coordinator in coordinators],
        "callable_coordinators": [
            {"name": str(coordinator), "phone": coordinator.phone}
            for coordinator in coordinators
            if coordinator.phone
        ],
    }


def invitation_letter_pdf(
    meeting: Meeting,
    participant: Participant,
    *,
    kind: str,
    portal_url: str,
    portal_code: str = "",
) -> bytes:
    """The letter to ``participant`` about ``meeting`` as PDF/UA-1, in their language, with
    the link to their own page and the short code to type instead (``portal_code``)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown letter kind {kind!r}: use one of {', '.join(KINDS)}.")
    if kind != Invitation.Kind.CANCELLATION and meeting.starts_at is None:
        raise ValueError("The meeting has no date yet: there is nothing to invite to.")

    with translation.override(participant.text_language):
        context = letter_context(
            meeting, participant, kind=kind, portal_url=portal_url, portal_code=portal_code
        )
        html = render_to_string(TEMPLATE, context)

    return pdf_ua(html)
