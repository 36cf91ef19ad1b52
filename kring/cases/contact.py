"""Whom the people of a case can reach: the office of the case's region and, for a participant,
their coordinator (kring.core.contact has the organisation and the offices)."""

from __future__ import annotations

from dataclasses import dataclass

from kring.cases.models import Assignment, Case
from kring.core.contact import Contact, office, organisation


@dataclass(frozen=True)
class CaseContact:
    """What a letter, an email or the own page shows: the coordinator (for participants, when
    they gave a phone number) and the office."""

    office: Contact
    coordinator: Contact | None = None


def for_case(
    case: Case | None, *, participant: bool = False, accepted: list[Assignment] | None = None
) -> CaseContact:
    """The office of the case's region, and for a participant also their coordinator (the
    first accepted assignment; ``accepted``: those assignments, with their coordinators, when
    the caller read them already)."""
    if case is None:
        return CaseContact(office=organisation())
    coordinator = None
    if participant:
        if accepted is None:
            assignment = (
                case.assignments.filter(state=Assignment.State.ACCEPTED)
                .select_related("coordinator")
                .order_by("pk")
                .first()
            )
        else:
            assignment = min(accepted, key=lambda a: a.pk, default=None)
        if assignment is not None and assignment.coordinator.phone:
            coordinator = Contact(
                name=assignment.coordinator.full_name, phone=assignment.coordinator.phone
            )
    return CaseContact(office=office(case.region), coordinator=coordinator)
