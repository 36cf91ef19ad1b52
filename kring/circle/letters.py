"""The information letter: for a person the coordinator informs on paper (no email, or who
asked for a letter), at the "informed" step — long before there is an invitation. It says
what an Eigen Kracht-conferentie is, that taking part is voluntary, and how to reach the own
page: the address, a QR code and a short code to type."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from kring.cases.models import Assignment
from kring.circle import links
from kring.circle.models import Participant
from kring.core import dates
from kring.core.pdf import pdf_ua

TEMPLATE = "letters/information.html"


def information_letter_pdf(participant: Participant, *, portal_url: str, portal_code: str) -> bytes:
    """The information letter to ``participant`` as PDF/UA-1, in their language."""
    case = participant.case
    coordinators = [
        assignment.coordinator
        for assignment in Assignment.objects.filter(
            case=case, state=Assignment.State.ACCEPTED
        ).select_related("coordinator")
    ]
    with translation.override(participant.text_language):
        html = render_to_string(
            TEMPLATE,
            {
                "subject": gettext("Eigen Kracht-conferentie %(place)s: will you take part?")
                % {"place": case.place},
                "letter_date": dates.short_day(timezone.localdate()),
                "case": case,
                "participant": participant,
                "address_lines": [
                    line.strip() for line in participant.postal_address.splitlines() if line.strip()
                ],
                "questions": [question.text for question in case.questions.all()],
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
