"""Whom people can reach: the organisation, a region's office, and a case's coordinator.

Every page a citizen reads, every email and every letter names someone to call or write to.
The organisation's details are settings (``KRING_CONTACT_*``); a region's office has its own
(``Region.phone``, ``.email``, ``.postal_address``), and whatever a region leaves empty is the
organisation's. Only a participant is given their coordinator's number: a requester, or anyone
else, is referred to the office.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from kring.accounts.models import Region

if TYPE_CHECKING:
    from kring.cases.models import Assignment, Case


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str = ""
    email: str = ""
    address: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseContact:
    """What a letter, an email or the own page shows: the coordinator (for participants, when
    they gave a phone number) and the office."""

    office: Contact
    coordinator: Contact | None = None


def organisation() -> Contact:
    return Contact(
        name=settings.KRING_CONTACT_NAME,
        phone=settings.KRING_CONTACT_PHONE,
        email=settings.KRING_CONTACT_EMAIL,
        address=tuple(settings.KRING_CONTACT_ADDRESS),
    )


def office(region: Region | None) -> Contact:
    """A region's office, its gaps filled with the organisation's details."""
    main = organisation()
    if region is None:
        return main
    lines = tuple(line.strip() for line in region.postal_address.splitlines() if line.strip())
    return Contact(
        name=f"{main.name} {region.name}",
        phone=region.phone or main.phone,
        email=region.email or main.email,
        address=lines or main.address,
    )


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
        from kring.cases.models import Assignment  # cases builds on accounts and core

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
