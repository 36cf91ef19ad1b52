"""Whom to reach, in templates that are rendered without a request (letters, PDFs)."""

from __future__ import annotations

from typing import Any

import segno
from django import template
from django.conf import settings
from django.utils.html import format_html

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


@register.simple_tag
def qr_code(url: str, label: str) -> str:
    """A QR code of ``url`` as an image for a printed letter: a phone's camera opens the own
    page without typing. An SVG data URI, so WeasyPrint embeds it as vector graphics."""
    code = segno.make(url, error="m")
    return format_html(
        '<img class="qr" src="{}" alt="{}">', code.svg_data_uri(border=2, dark="#000"), label
    )
