"""Whom to reach, in templates that are rendered without a request (letters, PDFs)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from kring.circle.models import Participant
from kring.core import contact

register = template.Library()


@register.inclusion_tag("letters/sender.html")
def letter_sender(participant: Participant) -> dict[str, Any]:
    """The letterhead: the regional office of the participant's case, with its postal
    address, phone and email, and the site's address."""
    return {
        "office": contact.office(participant.case.region),
        "site_url": settings.SITE_URL,
    }
