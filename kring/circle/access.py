"""The one way views reach participants: through the cases whose people the user may see
(``cases_with_people``). A coordinator who is only asked, a coordinator of another case, a
researcher and an administrator reach no participant; the URL answers 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from kring.cases.access import cases_with_people, refused
from kring.circle.models import Participant


def participants_for(user: object) -> QuerySet[Participant]:
    return Participant.objects.filter(case__in=cases_with_people(user))


def get_participant_for_user(request: HttpRequest, reference: str, pk: int) -> Participant:
    participant = (
        participants_for(request.user)
        .select_related("case", "case__region", "suggested_by")
        .filter(case__reference=reference, pk=pk)
        .first()
    )
    if participant is None:
        raise refused(request, reference)
    return participant
