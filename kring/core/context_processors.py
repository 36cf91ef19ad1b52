from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from kring.core import contact, languages
from kring.core.models import DemoData


def kring(request: HttpRequest) -> dict[str, Any]:
    return {
        "demo_mode": DemoData.is_loaded(),
        "demo_mailbox": settings.KRING_DEMO_MAILBOX,
        "organisation_contact": contact.organisation(),
        # The header's switch: six languages on public pages, Dutch and English for staff.
        "language_switch": languages.choices(languages.offered(request)),
        "language_query": languages.query(request),
        "language_next": languages.next_path(request),
        "translation_unreviewed": languages.unreviewed(translation.get_language()),
    }
