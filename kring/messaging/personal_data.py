"""The outbox's part of the personal data (registered by MessagingConfig.ready()): the
messages of a case and their attachments. They have their own period too (sent+3m, swept by
kring.privacy.retention)."""

from __future__ import annotations

from typing import Any

from kring.core.personal_data import Export, Part, Person, register
from kring.messaging.models import OutboxAttachment, OutboxMessage


def anonymise(case: Any) -> None:
    # Attachments go with their message; an invitation keeps the fact of delivery.
    OutboxMessage.objects.filter(case=case).delete()


def _to(person: Person) -> list[OutboxMessage]:
    """The case's messages to an address Kring held for this person."""
    return [
        message
        for message in OutboxMessage.objects.filter(case=person.case).order_by("pk")
        if set(message.to_addresses) & set(person.addresses)
    ]


def export(person: Person) -> Export:
    return {
        "messages": [
            {"sent_at": m.created_at.isoformat(), "subject": m.subject, "status": m.status}
            for m in _to(person)
        ]
    }


def erase(person: Person) -> None:
    if person.participant is not None:
        OutboxMessage.objects.filter(participant=person.participant).delete()  # any address
    if person.addresses:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in _to(person)]).delete()


register(
    Part(
        "messaging",
        (OutboxMessage, OutboxAttachment),
        order=70,
        anonymise=anonymise,
        export=export,
        erase=erase,
    )
)
