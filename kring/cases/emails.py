"""One small function per kind of email; each email is three templates in ``emails/``:
``<kind>_subject.txt``, ``<kind>_body.txt`` and ``<kind>_body.html``."""

from __future__ import annotations

import html
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from kring.cases import contact
from kring.cases.models import Assignment, Case
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage


def compose(
    kind: str, context: dict[str, Any], *, to: str, language: str
) -> EmailMultiAlternatives:
    context = {
        **context,
        "site_url": settings.SITE_URL,
        # Every email says whom to reach; a participant's names their coordinator too.
        "contact": contact.for_case(context.get("case"), participant="participant" in context),
    }
    with translation.override(language):
        subject = html.unescape(
            " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        )
        # Plain text: undo the HTML escaping the template engine applies everywhere.
        text = html.unescape(
            render_to_string(f"emails/{kind}_body.txt", context).rstrip()
            + "\n\n"
            + render_to_string("emails/contact_footer.txt", context).strip()
            + "\n"
        )
        footer = render_to_string("emails/contact_footer.html", context)
        html_body = str(render_to_string(f"emails/{kind}_body.html", context)).replace(
            "</body>", footer + "</body>", 1
        )
    office = context["contact"].office
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        # A reply reaches the site's reply address if one is set (KRING_REPLY_TO), otherwise
        # the office that handles the case, never an unread sender address.
        reply_to=list(settings.KRING_REPLY_TO) or ([office.email] if office.email else None),
    )
    email.attach_alternative(html_body, "text/html")
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


def _managers_of(case: Case) -> list[str]:
    from kring.accounts.models import User

    managers = User.objects.filter(is_active=True, is_regional_manager=True)
    if case.region_id is None:
        managers = managers.filter(sees_national_inbox=True)
    else:
        managers = managers.filter(managed_regions=case.region_id)
    return list(managers.order_by("pk").values_list("email", flat=True).distinct())


def request_received(case: Case) -> OutboxMessage:
    """Confirm a request to the requester, in the language they used."""
    email = compose(
        "request_received",
        {"case": case, "intake_days": settings.KRING_NORM_INTAKE_DAYS},
        to=case.requester_email,
        language=case.requester_language,
    )
    return outbox.store(email, purpose="request.received", case=case)


def request_declined(case: Case, reason: str) -> OutboxMessage | None:
    """Tell the requester that their request was declined, and why."""
    if not case.requester_email:
        return None
    email = compose(
        "request_declined",
        {"case": case, "reason": reason},
        to=case.requester_email,
        language=case.requester_language,
    )
    return outbox.store(email, purpose="request.declined", case=case)


def assignment_answered(
    assignment: Assignment, *, accepted: bool, reason: str = ""
) -> list[OutboxMessage]:
    """Tell the case's regional managers that a coordinator accepted or declined."""
    case = assignment.case
    stored = []
    for address in _managers_of(case):
        email = compose(
            "assignment_answered",
            {
                "case": case,
                "coordinator": assignment.coordinator,
                "accepted": accepted,
                "reason": reason,
            },
            to=address,
            language=settings.LANGUAGE_CODE,
        )
        stored.append(outbox.store(email, purpose="assignment.answered", case=case))
    return stored


def request_arrived(case: Case, *, skip: Any = None, moved: bool = False) -> list[OutboxMessage]:
    """Tell the managers of the case's inbox that a request is waiting there (``moved``: it
    was moved there). ``skip`` is the staff member who caused it and knows already."""
    skipped = getattr(skip, "email", None)
    stored = []
    for address in _managers_of(case):
        if address == skipped:
            continue
        email = compose(
            "request_arrived",
            {"case": case, "intake_days": settings.KRING_NORM_INTAKE_DAYS, "moved": moved},
            to=address,
            language=settings.LANGUAGE_CODE,
        )
        stored.append(outbox.store(email, purpose="request.arrived", case=case))
    return stored


def personal_link(participant: Any, url: str) -> OutboxMessage:
    """Send a participant the standard information and the link to their own page."""
    case = participant.case
    email = compose(
        "personal_link",
        {
            "participant": participant,
            "case": case,
            "url": url,
            "questions": list(case.questions.all()),
        },
        to=participant.email,
        language=participant.text_language,
    )
    return outbox.store(email, purpose="circle.link", case=case, participant=participant)


# --- News for the requester -------------------------------------------------------------
# What the requester hears after their first email: never who else takes part, nor who
# coordinates — only that their request moves on. Sent only to a requester with an email
# address (an erased or anonymised requester has none); whether it is sent once is decided in
# kring/cases/requester_news.py.


def _to_requester(case: Case, kind: str, purpose: str, **context: Any) -> OutboxMessage:
    email = compose(
        kind,
        {"case": case, **context},
        to=case.requester_email,
        language=case.requester_language,
    )
    return outbox.store(email, purpose=purpose, case=case)


def request_accepted(case: Case) -> OutboxMessage:
    """Tell the requester their request is accepted and a coordinator is being sought."""
    return _to_requester(case, "request_accepted", "request.accepted")


def coordinator_found(case: Case) -> OutboxMessage:
    """Tell the requester that an independent coordinator has taken on their request."""
    return _to_requester(case, "coordinator_found", "request.coordinator_found")


def conference_set(case: Case, starts_at: Any, *, changed: bool) -> OutboxMessage:
    """Tell the requester the conference is set, and on which day (``changed``: instead of
    the day they were told before)."""
    return _to_requester(
        case, "conference_set", "request.conference_set", starts_at=starts_at, changed=changed
    )


def link_asked_by_phone(participant: Any) -> list[OutboxMessage]:
    """Someone asked for a new personal link with ``participant``'s phone number: Kring sends
    no text messages, so the case's coordinators (or, without one, its managers) call back."""
    case = participant.case
    addresses = list(
        case.assignments.filter(state=Assignment.State.ACCEPTED)
        .order_by("pk")
        .values_list("coordinator__email", flat=True)
    ) or _managers_of(case)
    stored = []
    for address in addresses:
        email = compose(
            "link_asked_by_phone",
            {"participant": participant, "case": case},
            to=address,
            language=settings.LANGUAGE_CODE,
        )
        stored.append(outbox.store(email, purpose="circle.link_asked", case=case))
    return stored
