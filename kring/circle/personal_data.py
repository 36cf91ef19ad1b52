"""The circle's part of the personal data (registered by CircleConfig.ready()): the people in
the case, their contacts and information needs, and their personal links."""

from __future__ import annotations

from kring.audit.models import ANONYMISED
from kring.cases.models import Case
from kring.circle.models import ContactMoment, InformationNeed, Participant, PersonalLink
from kring.core.personal_data import Export, Part, Person, register

# An anonymised participant is "Deelnemer 1", "Deelnemer 2", … in the order they were added.
PARTICIPANT_LABEL = "Deelnemer {number}"

# What anonymising and erasing blank on a participant (the name gets a label instead).
BLANKED = (
    "email",
    "phone",
    "postal_address",
    "organisation",
    "accessibility",
    "diet_note",
    "written_view",
)


def anonymise(case: Case) -> None:
    participants = list(Participant.objects.filter(case=case).order_by("pk"))
    for number, participant in enumerate(participants, start=1):
        participant.name = PARTICIPANT_LABEL.format(number=number)
        for name in BLANKED:
            setattr(participant, name, "")
    Participant.objects.bulk_update(participants, ["name", *BLANKED])
    ContactMoment.objects.filter(participant__case=case).update(note="")
    InformationNeed.objects.filter(case=case).update(question=ANONYMISED)


def export(person: Person) -> Export:
    participant: Participant | None = person.participant
    if participant is None:
        return {}
    return {
        "person": {
            "role": "participant",
            "name": participant.name,
            "email": participant.email,
            "phone": participant.phone,
            "postal_address": participant.postal_address,
            "language": participant.language,
            "category": participant.category,
            "organisation": participant.organisation,
            "suggested_by": participant.suggested_by.name if participant.suggested_by else None,
            "needs": participant.needs(),
            "informed_at": participant.informed_at.isoformat() if participant.informed_at else None,
            "takes_part": participant.willingness,
            "written_view": participant.written_view,
            "contacts": [
                {"on": c.on.isoformat(), "channel": c.channel, "outcome": c.outcome, "note": c.note}
                for c in participant.contacts.all()
            ],
        }
    }


def erase(person: Person) -> None:
    participant: Participant | None = person.participant
    if participant is None:
        return
    Participant.objects.filter(pk=participant.pk).update(
        name=person.label, **dict.fromkeys(BLANKED, "")
    )
    participant.contacts.update(note="")


def export_links(person: Person) -> Export:
    if person.participant is None:
        return {}
    return {
        "person": {
            "personal_links": [
                {
                    "created_at": link.created_at.isoformat(),
                    "expires_at": link.expires_at.isoformat(),
                    "revoked": link.revoked_at is not None,
                    "revoked_reason": link.revoked_reason,
                }
                for link in PersonalLink.objects.filter(participant=person.participant)
            ]
        }
    }


def delete_links(case: Case) -> None:
    PersonalLink.objects.filter(participant__case=case).delete()


def erase_links(person: Person) -> None:
    if person.participant is not None:
        PersonalLink.objects.filter(participant=person.participant).delete()


register(
    Part(
        "circle",
        (Participant, ContactMoment, InformationNeed),
        order=20,
        anonymise=anonymise,
        export=export,
        erase=erase,
    )
)
# The links come last in the person's export (after the meeting's part); they have their own
# period too (link_expired+30d, swept by kring.privacy.retention).
register(
    Part(
        "circle.links",
        (PersonalLink,),
        order=40,
        anonymise=delete_links,
        export=export_links,
        erase=erase_links,
    )
)
