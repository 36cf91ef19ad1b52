"""The plan's part of the personal data (registered by PlansConfig.ready()): the plan's words,
its frozen versions, endorsements, deliveries and the aftercare call."""

from __future__ import annotations

import json
from typing import Any

from kring.audit.models import ANONYMISED
from kring.cases.models import Case
from kring.core.personal_data import Export, Part, Person, register
from kring.plans.models import (
    AftercareCall,
    Agreement,
    Answer,
    BottomLineCheck,
    Delivery,
    Endorsement,
    Evaluation,
    OrganisationRequest,
    Plan,
    PlanVersion,
)


def anonymise(case: Case) -> None:
    # The plan keeps its shape (how many agreements, when, answered or not) for research;
    # its words go, and a frozen version keeps only its counts.
    plans = Plan.objects.filter(case=case)
    plans.update(monitor_note="", contingency="", outcome_reason="")
    for plan in plans:
        plan.monitors.clear()
        plan.extra_recipients.clear()
    Answer.objects.filter(plan__case=case).update(text=ANONYMISED)
    Agreement.objects.filter(plan__case=case).update(what=ANONYMISED, where="", recurrence="")
    OrganisationRequest.objects.filter(plan__case=case).update(request=ANONYMISED, reply_note="")
    Evaluation.objects.filter(plan__case=case).update(description="")
    # An unmet bottom line keeps a reason (a constraint): the marker, not the words.
    checks = BottomLineCheck.objects.filter(plan__case=case)
    checks.filter(met=True).update(reason="")
    checks.filter(met=False).update(reason=ANONYMISED)
    versions = list(PlanVersion.objects.filter(plan__case=case))
    for version in versions:
        content = version.content if isinstance(version.content, dict) else {}
        version.content = {
            "anonymised": True,
            **{
                key: len(content.get(key) or [])
                for key in ("agreements", "requests", "evaluations", "participants")
            },
        }
    PlanVersion.objects.bulk_update(versions, ["content"])
    AftercareCall.objects.filter(case=case).update(how_it_goes=ANONYMISED)


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def export(person: Person) -> Export:
    """What the plan holds about a participant: their endorsement, the agreements naming them,
    the copies they were sent, whether they watch over the plan or asked for it, and the
    frozen versions that name them (their attendance comes from the meeting's part)."""
    participant = person.participant
    if participant is None:
        return {}
    plan = Plan.objects.filter(case_id=participant.case_id).first()
    named_in = []
    if plan is not None:
        for version in PlanVersion.objects.filter(plan=plan).order_by("number"):
            content = version.content if isinstance(version.content, dict) else {}
            ids = {p.get("id") for p in content.get("participants") or []}
            for agreement in content.get("agreements") or []:
                ids.update(agreement.get("who_ids") or [])
            if participant.pk in ids:
                named_in.append(version.number)
    return {
        "plan": {
            "endorsements": [
                {"via": e.via, "at": e.at.isoformat()}
                for e in Endorsement.objects.filter(participant=participant).order_by("pk")
            ],
            "agreements": [
                {
                    "what": a.what,
                    "where": a.where,
                    "when": a.when,
                    "on": _date(a.on),
                    "until": _date(a.until),
                    "recurrence": a.recurrence,
                }
                for a in participant.agreements.order_by("order", "pk")
            ],
            "deliveries": [
                {
                    "version": d.version.number,
                    "channel": d.channel,
                    "at": d.created_at.isoformat(),
                    "printed_at": _date(d.printed_at),
                }
                for d in Delivery.objects.filter(participant=participant)
                .select_related("version")
                .order_by("pk")
            ],
            "watches_over_the_plan": plan is not None
            and plan.monitors.filter(pk=participant.pk).exists(),
            "asked_for_the_plan": plan is not None
            and plan.extra_recipients.filter(pk=participant.pk).exists(),
            "named_in_plan_versions": named_in,
        }
    }


def erase(person: Person) -> None:
    """Their full name goes from the plan's words and from every version Kring keeps (the
    copies already sent stay with their owners). ``person.participant`` still holds the name
    the circle's part has just replaced in the database."""
    participant = person.participant
    if participant is None:
        return
    name = participant.name.strip()
    if not name:
        return
    label = person.label
    escaped = json.dumps(name)[1:-1]
    for version in PlanVersion.objects.filter(plan__case=participant.case_id):
        text = json.dumps(version.content)
        if escaped in text:
            version.content = json.loads(text.replace(escaped, json.dumps(label)[1:-1]))
            version.save(update_fields=["content"])
    for agreement in Agreement.objects.filter(plan__case=participant.case_id, what__contains=name):
        Agreement.objects.filter(pk=agreement.pk).update(what=agreement.what.replace(name, label))
    for answer in Answer.objects.filter(plan__case=participant.case_id, text__contains=name):
        Answer.objects.filter(pk=answer.pk).update(text=answer.text.replace(name, label))
    for plan in Plan.objects.filter(case=participant.case_id):
        if name in plan.contingency or name in plan.monitor_note:
            Plan.objects.filter(pk=plan.pk).update(
                contingency=plan.contingency.replace(name, label),
                monitor_note=plan.monitor_note.replace(name, label),
            )


register(
    Part(
        "plans",
        (
            Plan,
            Answer,
            Agreement,
            OrganisationRequest,
            Evaluation,
            Endorsement,
            BottomLineCheck,
            PlanVersion,
            Delivery,
            AftercareCall,
        ),
        order=50,
        anonymise=anonymise,
        export=export,
        erase=erase,
    )
)
