from __future__ import annotations

import datetime as dt

from django import template

from kring.cases.models import Case
from kring.cases.norms import Norm, norm_for

register = template.Library()


@register.filter
def norm(case: Case) -> Norm | None:
    """The time norm that applies to a case now (computed, no query)."""
    return norm_for(case)


@register.filter
def iso_day(value: str | None) -> dt.date | None:
    """A day stored as ISO text (a plan version's content) as a date, for the date filter."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
