"""The plan as a document: the same content as a page (on the participant's own page and for
staff) and as PDF — on its own, attached to an email, or behind a covering letter for someone
without email.

Everything is made from a version's frozen content (``PlanVersion.content``, written by
``services.snapshot``), never from the live tables: a version reads the same next year as on
the day it was sent. :func:`present` turns that content into display-ready values in the
active language; ``plans/plan_content.html`` shows them, for the page and the PDF alike.

WeasyPrint renders the PDF as tagged PDF (PDF/UA-1) with embedded fonts. It is imported
inside the function, so that Kring starts on machines without Pango.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from kring.cases.models import Assignment
from kring.circle import links
from kring.circle.models import Participant
from kring.core import dates
from kring.core.pdf import pdf_ua
from kring.meetings.letters import meeting_when
from kring.meetings.models import Meeting
from kring.plans.models import OrganisationRequest, PlanVersion

PLAN_TEMPLATE = "letters/plan.html"
LETTER_TEMPLATE = "letters/plan_letter.html"


def filename(version: PlanVersion) -> str:
    """``plan-<reference>-v<number>.pdf``, safe in a Content-Disposition header."""
    reference = re.sub(r"[^A-Za-z0-9-]+", "-", str(version.content.get("reference", ""))).strip("-")
    return f"plan-{reference or version.plan_id}-v{version.number}.pdf"


def title(content: dict[str, Any]) -> str:
    """The plan's title, in the active language."""
    return gettext("Plan — Eigen Kracht-conferentie %(place)s") % {
        "place": content.get("place", "")
    }


def _day(value: str | None, *, short: bool = False) -> str:
    if not value:
        return ""
    on = dt.date.fromisoformat(value)
    return dates.short_day(on) if short else dates.day(on)


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def agreement_when(agreement: dict[str, Any]) -> str:
    """When an agreement is carried out, in words: on a date, during a period, or recurring."""
    kind = agreement.get("when") or ""
    if kind == "date" and agreement.get("on"):
        return gettext("on %(date)s") % {"date": _day(agreement.get("on"))}
    # A period reads shorter without the days of the week.
    on, until = _day(agreement.get("on"), short=True), _day(agreement.get("until"), short=True)
    if kind == "period":
        if on and until:
            return gettext("from %(start)s to %(end)s") % {"start": on, "end": until}
        if on:
            return gettext("from %(start)s") % {"start": on}
        if until:
            return gettext("until %(end)s") % {"end": until}
    if kind == "recurring":
        return str(agreement.get("recurrence") or "")
    return ""


def _who(agreement: dict[str, Any]) -> list[str]:
    names = [str(name) for name in agreement.get("who") or []]
    organisation = str(agreement.get("organisation") or "")
    return names + ([organisation] if organisation else [])


def _bottom_line_state(line: dict[str, Any]) -> str:
    if line.get("met") is True:
        return gettext("The plan meets this bottom line.")
    if line.get("met") is False:
        return gettext("The plan does not meet this bottom line: %(reason)s") % {
            "reason": line.get("reason") or ""
        }
    return gettext("Not assessed yet.")


def present(version: PlanVersion, language: str | None = None) -> dict[str, Any]:
    """The version's content as display-ready values (dates and labels in words), in
    ``language`` (or the active language). Reads nothing from the database but the
    version."""
    if language is not None:
        with translation.override(language):
            return present(version)
    content: dict[str, Any] = version.content or {}
    meeting = content.get("meeting")
    meeting_text = venue = ""
    if meeting:
        # An unsaved meeting, only to put its times into words as the letters do.
        held = Meeting(
            starts_at=_moment(meeting.get("starts_at")), ends_at=_moment(meeting.get("ends_at"))
        )
        _date, meeting_text = meeting_when(held)
        venue = ", ".join(
            part for part in (meeting.get("venue_name"), meeting.get("venue_address")) if part
        )
    replies = dict(OrganisationRequest.Reply.choices)
    agreements = [
        {
            "number": number,
            "what": agreement.get("what", ""),
            "who": _who(agreement),
            "where": agreement.get("where", ""),
            "when": agreement_when(agreement),
        }
        for number, agreement in enumerate(content.get("agreements") or [], start=1)
    ]
    participants = list(content.get("participants") or [])
    return {
        "title": title(content),
        "reference": content.get("reference", ""),
        "place": content.get("place", ""),
        "with_meeting": bool(meeting),
        "meeting_when": meeting_text,
        "venue": venue,
        "number": version.number,
        "version_date": dates.short_day(version.finalised_at),
        "questions": [
            {"text": q.get("text", ""), "answer": q.get("answer", "")}
            for q in content.get("questions") or []
        ],
        "agreements": agreements,
        "requests": [
            {
                "organisation": r.get("organisation", ""),
                "request": r.get("request", ""),
                "reply": str(replies.get(r.get("reply") or "", "")),
                "reply_note": r.get("reply_note", ""),
            }
            for r in content.get("requests") or []
        ],
        "monitors": list(content.get("monitors") or []),
        "monitor_note": content.get("monitor_note", ""),
        "evaluations": [
            {"date": _day(e.get("on")), "description": e.get("description", "")}
            for e in content.get("evaluations") or []
        ],
        "contingency": content.get("contingency", ""),
        "bottom_lines": [
            {
                "text": line.get("text", ""),
                "set_by": line.get("set_by", ""),
                "met": line.get("met"),
                "state": _bottom_line_state(line),
            }
            for line in content.get("bottom_lines") or []
        ],
        "participants": [
            {
                "name": p.get("name", ""),
                "organisation": p.get("organisation", ""),
                "endorsed": bool(p.get("endorsed")),
            }
            for p in participants
        ],
        "endorsed": sum(1 for p in participants if p.get("endorsed")),
    }


def _language(language: str) -> str:
    spoken = {code for code, _name in settings.LANGUAGES}
    return language if language in spoken else settings.LANGUAGE_CODE


def plan_html(version: PlanVersion, language: str) -> str:
    """The HTML the plan's PDF is made from."""
    with translation.override(_language(language)):
        plan = present(version)
        return render_to_string(PLAN_TEMPLATE, {"plan": plan, "subject": plan["title"]})


def plan_pdf(version: PlanVersion, language: str) -> bytes:
    """The plan as PDF/UA-1 in ``language`` (Kring's own language if it does not speak it)."""
    return pdf_ua(plan_html(version, language))


def _coordinators(version: PlanVersion) -> list[Any]:
    return [
        assignment.coordinator
        for assignment in Assignment.objects.filter(
            case_id=version.plan.case_id, state=Assignment.State.ACCEPTED
        ).select_related("coordinator")
    ]


def plan_letter_pdf(
    version: PlanVersion, participant: Participant, *, portal_url: str, portal_code: str = ""
) -> bytes:
    """A covering letter to ``participant`` (for a window envelope) followed by the plan, as
    PDF/UA-1 in their language, with the link to their own page and its short code."""
    coordinators = _coordinators(version)
    with translation.override(participant.text_language):
        plan = present(version)
        html = render_to_string(
            LETTER_TEMPLATE,
            {
                "plan": plan,
                "subject": plan["title"],
                "participant": participant,
                "address_lines": [
                    line.strip() for line in participant.postal_address.splitlines() if line.strip()
                ],
                "letter_date": dates.short_day(timezone.localdate()),
                "portal_url": portal_url,
                "portal_code": portal_code,
                "code_url": links.code_url(),
                "coordinators": [str(coordinator) for coordinator in coordinators],
                "callable_coordinators": [
                    {"name": str(coordinator), "phone": coordinator.phone}
                    for coordinator in coordinators
                    if coordinator.phone
                ],
            },
        )
    return pdf_ua(html)
