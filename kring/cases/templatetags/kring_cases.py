from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kring.cases.models import Case
from kring.cases.norms import Norm, norm_for

register = template.Library()


@register.filter
def norm(case: Case) -> Norm | None:
    """The time norm that applies to a case now (computed, no query)."""
    return norm_for(case)


_BADGE = {
    **dict.fromkeys(("declined", "withdrawn", "stopped"), "danger"),
    "closed": "inactive",
    **dict.fromkeys(("requested", "intake", "accepted"), "warning"),
    **dict.fromkeys(("plan_distributed", "aftercare", "follow_up"), "success"),
}


@register.simple_tag
def status_badge(case: Case) -> SafeString:
    """The case's status as a badge, coloured by what it asks for (a tag, not an included
    template: the case list draws one per row)."""
    return format_html(
        '<span class="utrecht-status-badge utrecht-status-badge--{}">{}</span>',
        _BADGE.get(case.status, "active"),
        case.get_status_display(),
    )


@register.filter
def iso_day(value: str | None) -> dt.date | None:
    """A day stored as ISO text (a plan version's content) as a date, for the date filter."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
