from __future__ import annotations

from django import template

from kring.cases.models import Case
from kring.cases.norms import Norm, norm_for

register = template.Library()


@register.filter
def norm(case: Case) -> Norm | None:
    """The time norm that applies to a case now (computed, no query)."""
    return norm_for(case)
