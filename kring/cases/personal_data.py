"""The case's part of the personal data (registered by CasesConfig.ready()): the request and
its requester, the intake, the coordinator's assignment and the history."""

from __future__ import annotations

import re

from django.db.models import F

from kring.audit.models import ANONYMISED, ERASED
from kring.cases.models import (
    Assignment,
    BottomLine,
    Case,
    CaseEvent,
    ConferenceQuestion,
    ConflictOfInterest,
    Funding,
)
from kring.core.personal_data import Export, Part, Person, register

# Keys of CaseEvent.data that hold no personal data: ids, statuses, region and organisation
# names, counts. Any other key (conference questions, the name of whoever set a bottom line,
# and whatever is added later) is dropped on anonymisation.
NEUTRAL_EVENT_KEYS = frozenset(
    {
        "amount",
        "category",
        "channel",
        "coordinator",
        "cost",
        "decision",
        "emails",
        "fields",
        "financier",
        "follow_on",
        "from",
        "kind",
        "letters",
        "need",
        "option",
        "participant",
        "person",
        "place_changed",
        "region",
        "agreement",
        "bottom_line",
        "endorsed",
        "evaluation",
        "met",
        "months",
        "not_copied",
        "outcome",
        "people_copied",
        "present",
        "previous",
        "questions_copied",
        "request",
        "respondents",
        "retention",
        "version",
        "self",
        "sequence",
        "to",
        "willingness",
    }
)


def _postcode_digits(postcode: str) -> str:
    """The four digits of a Dutch postcode (enough for routing and research), or nothing."""
    match = re.match(r"\s*(\d{4})", postcode)
    return match.group(1) if match else ""


def anonymise(case: Case) -> None:
    # A stale edit of the case (an intake form left open) is refused: the version rises.
    Case.objects.filter(pk=case.pk).update(
        place=case.reference,
        postcode=_postcode_digits(case.postcode),
        address="",
        municipality_name="",
        description=ANONYMISED,
        involved="",
        intake_notes="",
        requester_name=ANONYMISED,
        requester_email="",
        requester_phone="",
        requester_organisation="",
        version=F("version") + 1,
    )
    ConferenceQuestion.objects.filter(case=case).update(text=ANONYMISED)
    BottomLine.objects.filter(case=case).update(text=ANONYMISED, set_by="", mandate="")
    Funding.objects.filter(case=case).update(contact_person="", reference="")
    ConflictOfInterest.objects.filter(case=case).update(reason="")
    Assignment.objects.filter(case=case).update(declaration="", decline_reason="")
    events = list(CaseEvent.objects.filter(case=case).only("pk", "reason", "data"))
    for event in events:
        event.reason = ""
        if isinstance(event.data, dict):
            event.data = {k: v for k, v in event.data.items() if k in NEUTRAL_EVENT_KEYS}
        else:
            event.data = {}
    CaseEvent.objects.bulk_update(events, ["reason", "data"])


def export(person: Person) -> Export:
    """The requester and their request; a participant's data is the circle's."""
    if person.kind != "requester":
        return {}
    case: Case = person.case
    return {
        "person": {
            "role": "requester",
            "name": case.requester_name,
            "email": case.requester_email,
            "phone": case.requester_phone,
            "relation": case.requester_relation,
            "organisation": case.requester_organisation,
            "language": case.requester_language,
            "consent_at": case.consent_at.isoformat() if case.consent_at else None,
            "request": {
                "requested_at": case.requested_at.isoformat(),
                "place": case.place,
                "postcode": case.postcode,
                "address": case.address,
                "municipality": case.municipality_name or str(case.municipality or ""),
                "what_is_going_on": case.description,
                "who_is_involved": case.involved,
                "wishes": {
                    "language": case.coordinator_language,
                    "gender": case.coordinator_gender,
                },
            },
        }
    }


def erased_requester(case: Case) -> dict[str, object]:
    """What the requester's erasure leaves in the fields of ``case`` (a follow-on conference
    copies these from a case whose requester was erased)."""
    return {
        "requester_name": ERASED,
        "requester_email": "",
        "requester_phone": "",
        "requester_organisation": "",
        "address": "",
        "postcode": case.postcode[:4],
        "municipality_name": "",
        "description": ERASED,
        "involved": "",
        "intake_notes": "",
    }


def erase(person: Person) -> None:
    if person.kind == "requester":
        Case.objects.filter(pk=person.case.pk).update(**erased_requester(person.case))


register(
    Part(
        "cases",
        (Case, ConferenceQuestion, BottomLine, Funding, ConflictOfInterest, Assignment, CaseEvent),
        order=10,
        anonymise=anonymise,
        export=export,
        erase=erase,
    )
)
