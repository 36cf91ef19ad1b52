"""'Send me a new link': someone whose link no longer works types the email address or phone
number Kring holds for them, and a fresh link goes there — never to anything else.

The asker learns nothing: the page that follows is the same whether the address belongs to
someone, to nobody, to someone who said no, or was asked for too often. Only participants of a
case still running who have not said no are sent anything (erased people have no address
left). Kring has no text-message gateway: for a phone number, the coordinator is told by email
and calls the person back.
"""

from __future__ import annotations

from django.db import transaction

from kring.cases import emails
from kring.cases.models import FINAL_STATUSES, CaseAction
from kring.circle import links
from kring.circle.models import Participant, Willingness
from kring.circle.services import normalise_phone


def holders(kind: str, value: str) -> list[Participant]:
    """The participants of running cases, who did not say no, whose email address (``kind``
    "email", ``value`` in lower case) or phone number ("phone", its digits) this is."""
    people = (
        Participant.objects.exclude(case__status__in=FINAL_STATUSES)
        .exclude(willingness=Willingness.NO)
        .select_related("case")
    )
    if kind == "email":
        return list(people.filter(email__iexact=value))
    # Phone numbers are stored as people wrote them: compare their digits.
    return [
        participant
        for participant in people.exclude(phone="")
        if normalise_phone(participant.phone) == value
    ]


def send_new_link(kind: str, value: str) -> int:
    """Send a fresh link to each holder of the address (or tell their coordinator, for a
    phone number); returns how many people it concerned. Callers must not show the count."""
    found = holders(kind, value)
    for participant in found:
        with transaction.atomic():
            if kind == "email":
                token = links.issue(participant)
                emails.personal_link(participant, links.url(token))
            else:
                emails.link_asked_by_phone(participant)
            participant.case.log(
                CaseAction.PARTICIPANT_LINK_REQUESTED,
                user=None,
                data={"participant": participant.pk, "channel": kind},
            )
    return len(found)
