"""The circle's part in the case lifecycle (registered by CircleConfig.ready())."""

from __future__ import annotations

from kring.cases.lifecycle import on_enter
from kring.cases.models import FINAL_STATUSES, Case
from kring.circle.links import revoke_case


@on_enter(*FINAL_STATUSES)
def end_the_links(case: Case, source: str) -> None:
    """A case that ends closes every personal link to it."""
    revoke_case(case)
