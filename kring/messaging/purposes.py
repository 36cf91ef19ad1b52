"""What each kind of message is for, in words: the mailbox shows and searches these instead of
the codes stored with each message (``OutboxMessage.purpose``)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

PURPOSES: dict[str, Promise] = {
    "request.received": pgettext_lazy(
        "message purpose", "Confirmation of a request, to the requester"
    ),
    "request.arrived": pgettext_lazy("message purpose", "New request, to the regional manager"),
    "request.declined": pgettext_lazy("message purpose", "Request declined, to the requester"),
    "request.accepted": pgettext_lazy("message purpose", "Request accepted, to the requester"),
    "request.coordinator_found": pgettext_lazy(
        "message purpose", "Coordinator found, to the requester"
    ),
    "request.conference_set": pgettext_lazy("message purpose", "Conference date, to the requester"),
    "assignment.offered": pgettext_lazy("message purpose", "Request to a coordinator"),
    "assignment.answered": pgettext_lazy(
        "message purpose", "Coordinator's answer, to the regional manager"
    ),
    "circle.link": pgettext_lazy("message purpose", "Personal link, to a participant"),
    "meeting.invitation": pgettext_lazy("message purpose", "Invitation to the conference"),
    "meeting.update": pgettext_lazy("message purpose", "Change to the conference"),
    "meeting.cancellation": pgettext_lazy("message purpose", "Cancellation of the conference"),
    "meeting.reminder": pgettext_lazy("message purpose", "Reminder of the conference"),
    "plan.copy": pgettext_lazy("message purpose", "Copy of the plan"),
    "followup.invitation": pgettext_lazy("message purpose", "Follow-up questionnaire"),
    "followup.reminder": pgettext_lazy(
        "message purpose", "Reminder of the follow-up questionnaire"
    ),
    "followup.opened": pgettext_lazy("message purpose", "Follow-up opened, to researchers"),
    "research.export_file": pgettext_lazy(
        "message purpose", "Research export file ready, to the researcher"
    ),
    "account": pgettext_lazy("message purpose", "Account: sign-in and password"),
    "staff.digest": pgettext_lazy("message purpose", "Daily email of what is due, to staff"),
}


def label(purpose: str) -> str:
    """The purpose in words; an unknown code as it is."""
    known = PURPOSES.get(purpose)
    return str(known) if known is not None else purpose


def choices() -> list[tuple[str, str]]:
    return sorted(((code, str(text)) for code, text in PURPOSES.items()), key=lambda c: c[1])
