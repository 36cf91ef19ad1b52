"""The printed invitation to the follow-up, for a respondent without email: a letter for a
window envelope with a fresh link to their own page (and its short code), their research
code and the research line's phone number, as PDF/UA-1 in their language.

Printing it gives a new link with a short code to type instead (earlier links keep working)
and records the invitation as sent by letter.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from kring.accounts.models import User
from kring.cases.models import CaseAction
from kring.circle import links
from kring.core import dates
from kring.core.pdf import pdf_ua
from kring.followup import services
from kring.followup.models import Respondent

TEMPLATE = "letters/followup_invitation.html"


def filename(respondent: Respondent) -> str:
    """``vervolg-<months>m-brief.pdf``: no name, reference or code in it."""
    return f"vervolg-{respondent.follow_up.months}m-brief.pdf"


def subject(respondent: Respondent) -> str:
    return gettext("How did the plan go? Eigen Kracht-conferentie %(place)s") % {
        "place": respondent.follow_up.case.place
    }


def letter_context(
    respondent: Respondent, *, portal_url: str, portal_code: str = ""
) -> dict[str, Any]:
    """What the letter template needs. Call it inside the participant's language."""
    participant = respondent.participant
    assert participant is not None  # noqa: S101 - letters_for() lists people, not erased rows
    case = respondent.follow_up.case
    return {
        "subject": subject(respondent),
        "letter_date": dates.short_day(timezone.localdate()),
        "case": case,
        "follow_up": respondent.follow_up,
        "respondent": respondent,
        "participant": participant,
        "address_lines": [
            line.strip() for line in participant.postal_address.splitlines() if line.strip()
        ],
        "portal_url": portal_url,
        "portal_code": portal_code,
        "code_url": links.code_url(),
        "research_phone": settings.KRING_RESEARCH_PHONE,
    }


def invitation_pdf(respondent: Respondent, *, portal_url: str, portal_code: str = "") -> bytes:
    """The letter as PDF/UA-1, in the participant's language."""
    participant = respondent.participant
    assert participant is not None  # noqa: S101
    with translation.override(participant.text_language):
        # The context too: its subject is a text in the participant's language.
        context = letter_context(respondent, portal_url=portal_url, portal_code=portal_code)
        html = render_to_string(TEMPLATE, context)

    return pdf_ua(html)


def print_invitation(respondent: Respondent, *, user: User) -> bytes:
    """A fresh link, the letter with it, and the invitation recorded as sent by letter."""
    participant = respondent.participant
    assert participant is not None  # noqa: S101
    token, code = links.issue_for_letter(participant)
    pdf = invitation_pdf(respondent, portal_url=links.url(token), portal_code=code)
    services.record_letter(respondent, user=user)
    respondent.follow_up.case.log(
        CaseAction.FOLLOW_UP_LETTER,
        user=user,
        data={"months": respondent.follow_up.months, "participant": participant.pk},
    )
    return pdf
