from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kring.core import contact
from kring.core.models import DemoData


def kring(request: HttpRequest) -> dict[str, Any]:
    return {
        "demo_mode": DemoData.is_loaded(),
        "demo_mailbox": settings.KRING_DEMO_MAILBOX,
        "organisation_contact": contact.organisation(),
    }
