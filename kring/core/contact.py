"""Whom people can reach: the organisation and a region's office (a case's contacts, with its
coordinator, are in kring.cases.contact).

Every page a citizen reads, every email and every letter names someone to call or write to.
The organisation's details are settings (``KRING_CONTACT_*``); a region's office has its own
(``Region.phone``, ``.email``, ``.postal_address``), and whatever a region leaves empty is the
organisation's. Only a participant is given their coordinator's number: a requester, or anyone
else, is referred to the office.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


class Office(Protocol):
    """What a region gives of its office (``accounts.Region``)."""

    name: str
    phone: str
    email: str
    postal_address: str


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str = ""
    email: str = ""
    address: tuple[str, ...] = ()


def organisation() -> Contact:
    return Contact(
        name=settings.KRING_CONTACT_NAME,
        phone=settings.KRING_CONTACT_PHONE,
        email=settings.KRING_CONTACT_EMAIL,
        address=tuple(settings.KRING_CONTACT_ADDRESS),
    )


def office(region: Office | None) -> Contact:
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
