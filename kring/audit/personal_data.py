"""The audit's part of the personal data (registered by AuditConfig.ready()): who looked at a
person's data, and the record of erasure requests."""

from __future__ import annotations

from typing import Any

from kring.audit.models import AccessLog, ErasureRequest
from kring.core.personal_data import Export, Part, Person, register


def anonymise(case: Any) -> None:
    # The record that someone was erased stays (kind, id, dates, who): proof under art. 5(2)
    # AVG. Its free-text reason goes with the rest. The access log is not touched: it is
    # append-only and hash-chained, and is pruned by its own period (log+1y).
    ErasureRequest.objects.filter(case=case).update(reason="")


def export(person: Person) -> Export:
    person_id = person.case.pk if person.participant is None else person.participant.pk
    return {
        "viewed_by": [
            {
                "at": e.at.isoformat(),
                "who": e.user.full_name if e.user else e.role,
                "what": e.action,
            }
            for e in AccessLog.objects.filter(person_type=person.kind, person_id=str(person_id))
            .select_related("user")
            .order_by("pk")
        ]
    }


# Erasure leaves both: the access log is append-only, and the erasure request is the proof.
register(
    Part(
        "audit",
        (AccessLog, ErasureRequest),
        order=80,
        anonymise=anonymise,
        export=export,
    )
)
