"""One small function per kind of email; each email is three templates in ``emails/``:
``<kind>_subject.txt``, ``<kind>_body.txt`` and ``<kind>_body.html``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from kring.cases.models import Assignment, Case
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage


def compose(
    kind: str, context: dict[str, Any], *, to: str, language: str
) -> EmailMultiAlternatives:
    context = {**context, "site_url": settings.SITE_URL}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        text = render_to_string(f"emails/{kind}_body.txt", context)
        html = render_to_string(f"emails/{kind}_body.html", context)
    email = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    email.attach_alternative(html, "text/html")
    return email


def coordinator_asked(assignment: Assignment) -> OutboxMessage:
    """Tell a coordinator they are asked to take a case."""
    case: Case = assignment.case
    email = compose(
        "coordinator_asked",
        {"assignment": assignment, "case": case, "coordinator": assignment.coordinator},
        to=assignment.coordinator.email,
        language=settings.LANGUAGE_CODE,
    )
    return outbox.store(email, purpose="assignment.offered", case=case)
