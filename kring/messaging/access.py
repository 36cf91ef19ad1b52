"""Which stored messages a user may open.

An administrator sees every message (the outbox, or the demo mailbox). A regional manager and
a coordinator see the messages sent to the participants of the cases whose people they may see
(``cases_with_people``): what a participant received, exactly. Nothing else — not the mail
between staff about a case, nor another case's. Anything outside the scope is a 404.
"""

from __future__ import annotations

from django.db.models import QuerySet

from kring.accounts.models import User
from kring.cases.access import cases_with_people
from kring.messaging.models import OutboxMessage


def messages_for(user: User | object) -> QuerySet[OutboxMessage]:
    if not isinstance(user, User) or not user.is_active:
        return OutboxMessage.objects.none()
    if user.is_administrator:
        return OutboxMessage.objects.all()
    return OutboxMessage.objects.filter(participant__isnull=False, case__in=cases_with_people(user))


def sees_all_messages(user: User | object) -> bool:
    return isinstance(user, User) and user.is_active and user.is_administrator
