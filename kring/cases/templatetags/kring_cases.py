from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from kring.cases.models import Case
from kring.cases.norms import Norm, norm_for
from kring.core.renderers import shown

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


def _late(norm: Norm) -> str:
    """``cases/norm.html`` for a late norm (the only one a row shows)."""
    text = ngettext(
        "Over the norm for %(label)s: %(counter)s working day late",
        "Over the norm for %(label)s: %(counter)s working days late",
        norm.days_late,
    ) % {"label": shown(norm.label), "counter": shown(norm.days_late)}
    return f'<br><span class="kring-late">{text}</span>\n'  # the template's last line


@register.simple_tag
def case_rows(cases: Iterable[Case]) -> SafeString:
    """A table row per case, as ``cases/case_row.html`` writes it, written in Python (issue
    18: the rows were a third of the case list's time). The template stays the reference:
    tests/cases/test_case_rows.py renders both. What is the same for every row is worked out
    once: the day and the moment (the norm, the days in a status), each status's badge and
    each variant's label, and the address up to the reference (a ``reverse()`` per row was a
    fifth of the rows' time)."""
    national = shown(gettext("national inbox"))
    today, now = timezone.localdate(), timezone.now()
    before, _stand_in, after = reverse("case_detail", args=[_REFERENCE]).rpartition(_REFERENCE)
    badges: dict[str, str] = {}
    variants: dict[str, str] = {}
    rows = []
    for case in cases:
        late = norm_for(case, today)
        coordinators = [shown(name) for name in getattr(case, "coordinator_names", ())]
        place = shown(case.place)
        if case.municipality:
            place += ", " + shown(case.municipality.name)
        badge = badges.get(case.status)
        if badge is None:
            badge = badges[case.status] = status_badge(case)
        variant = variants.get(case.variant)
        if variant is None:
            variant = variants[case.variant] = shown(case.get_variant_display())
        reference = shown(case.reference)
        url = shown(before + quote(case.reference, safe=_URL_SAFE) + after)
        rows.append(
            '\n    <tr class="utrecht-table__row">\n'
            '      <th class="utrecht-table__cell kring-reference" scope="row">'
            f'<a class="utrecht-link" href="{url}">{reference}</a></th>\n'
            f'      <td class="utrecht-table__cell">{place}</td>\n'
            f'      <td class="utrecht-table__cell">{variant}</td>\n'
            f'      <td class="utrecht-table__cell">{badge}'
            f"{_late(late) if late is not None and late.late else ''}</td>\n"
            '      <td class="utrecht-table__cell">'
            f"{shown(case.region.name) if case.region else national}</td>\n"
            f'      <td class="utrecht-table__cell">{", ".join(coordinators) or "—"}</td>\n'
            '      <td class="utrecht-table__cell utrecht-table__cell--numeric-data">'
            f"{shown(case.days_in_status(now))}</td>\n"
            "    </tr>\n  "
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped by shown()


# A stand-in for a reference in the case's address, and what reverse() leaves unquoted.
_REFERENCE = "kring-reference"
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"


@register.filter
def iso_day(value: str | None) -> dt.date | None:
    """A day stored as ISO text (a plan version's content) as a date, for the date filter."""
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None
