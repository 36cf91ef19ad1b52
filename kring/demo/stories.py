"""The demo itself (``seed`` without ``--cases``): the personas, and a story for every status
of the brochure's variant in the demo manager's and coordinator's region, then a spread over
all variants and regions.
"""

from __future__ import annotations

from django.db import transaction

from kring.cases.models import Status, Variant
from kring.core.models import DemoData
from kring.demo.generator import insert, make_generator
from kring.demo.personas import ensure_reference_data, ensure_staff


def load_demo() -> bool:
    """Load the demo once; return False if it was already there."""
    regions = ensure_reference_data()
    users = ensure_staff(regions)
    if DemoData.objects.exists():
        return False
    generator = make_generator(seed=42)
    generator.managers.update({regions[s].pk: users["manager"] for s in ("west", "midden")})
    generated = []
    # The brochure's variant first: every status for the neighbourhood, in the demo
    # manager's and coordinator's region, then a spread over all variants and regions.
    for status in Status:
        generated.append(
            generator.case(
                status,
                Variant.NEIGHBOURHOOD,
                regions["west"],
                # Its follow-up is open, for the demo researcher to work on.
                follow_up_due=status == Status.FOLLOW_UP,
            )
        )
    variants = list(Variant)
    for i, status in enumerate(list(Status) * 3):
        region = list(regions.values())[i % len(regions)]
        generated.append(generator.case(status, variants[i % len(variants)], region))
    for item in generated[: len(Status)]:
        if item.assignment is not None:
            item.assignment.coordinator = users["coordinator"]
            for event in item.events:
                if event.actor_id and event.actor_id != users["manager"].pk:
                    event.actor = users["coordinator"]
    with transaction.atomic():
        insert(generated)
        DemoData.mark_loaded()
    return True
