"""The dashboard: figures over the cases in the user's scope, as charts and as tables.

Managers see their own regions; researchers and administrators see every region, and may narrow
the figures to one. A coordinator has no dashboard (404). The page shows counts, medians and
shares only: no reference, no name, no contact detail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.text import get_text_list
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kring.accounts.auth import roles_required, staff_user
from kring.accounts.models import Region, Role, User
from kring.audit import log as audit
from kring.cases.models import Case
from kring.research import charts, figures, summary
from kring.research.access import is_national, research_areas
from kring.research.period import ClosedPeriod, FiguresPeriodForm

FIGURE_ROLES = (Role.REGIONAL_MANAGER, Role.RESEARCHER, Role.ADMINISTRATOR)
INBOX = "inbox"


class DashboardForm(FiguresPeriodForm):
    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(regions) > 1:
            self.fields["region"] = forms.ChoiceField(
                label=_("Region"), required=False, choices=[("", _("all")), *regions]
            )

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        region = self.cleaned_data.get("region") if self.is_bound else ""
        if region == INBOX:
            return cases.filter(region__isnull=True)
        if region:
            return cases.filter(region_id=int(region))
        return cases

    def areas(self, areas: list[str]) -> list[str]:
        """As :meth:`apply`, for the summary's areas (the choices are the user's regions)."""
        region = self.cleaned_data.get("region") if self.is_bound else ""
        if region == INBOX:
            return [summary.INBOX]
        if region:
            return [summary.area_of(int(region))]
        return areas


def region_choices(user: User) -> list[tuple[str, str]]:
    """The regions whose figures ``user`` may see (one query), the national inbox last."""
    if is_national(user):
        regions = list(Region.objects.order_by("name"))
        inbox = True
    else:
        regions = list(user.managed_regions.order_by("name"))
        inbox = user.sees_national_inbox
    choices = [(str(region.pk), region.name) for region in regions]
    if inbox:
        choices.append((INBOX, figures.national_inbox_label()))
    return choices


def scope_text(user: User, choices: list[tuple[str, str]], chosen: str) -> str:
    """What the figures cover, in one sentence."""
    names = dict(choices)
    if chosen in names:
        return gettext("Figures for %(region)s.") % {"region": names[chosen]}
    if is_national(user):
        return gettext("National figures: every region and the national inbox.")
    if not choices:
        return gettext("You manage no region yet: there are no figures to show.")
    return gettext("Figures for your regions: %(regions)s.") % {
        "regions": get_text_list([label for _value, label in choices], gettext("and"))
    }


def month_label(month: dt.date) -> str:
    return date_format(month, "M Y")


def period_text(period: ClosedPeriod) -> str:
    return gettext("%(start)s to %(end)s") % {
        "start": date_format(period.start, "j F Y"),
        "end": date_format(period.end, "j F Y"),
    }


# --- Figures as charts --------------------------------------------------------------------


def requests_chart(requests: figures.MonthlyRequests) -> SafeString:
    months = requests.months
    return charts.column_chart(
        [month_label(month) for month in months],
        [charts.Series(s.label, s.values) for s in requests.series],
        axis_labels=[date_format(month, "M") for month in months],
        axis_sublabels=[
            str(month.year) if i == 0 or month.month == 1 else "" for i, month in enumerate(months)
        ],
        title=gettext("Requests per month, per region"),
        desc=gettext(
            "%(total)s requests in all, stacked per region. The table below gives the same numbers."
        )
        % {"total": requests.total},
        id_prefix="chart-requests",
        unit=gettext("requests"),
    )


def funnel_chart(stages: list[figures.Stage], id_prefix: str = "chart-funnel") -> SafeString:
    return charts.bar_chart(
        [
            charts.Bar(
                stage.label,
                stage.count,
                f"{stage.count} ({stage.share} %)" if stage.share is not None else "0",
            )
            for stage in stages
        ],
        title=gettext("How far the requests came"),
        desc=gettext(
            "Of %(requested)s requests, %(plan)s reached a distributed plan. The table below "
            "gives every stage."
        )
        % {"requested": stages[0].count, "plan": _stage(stages, "plan").count},
        id_prefix=id_prefix,
        unit=gettext("cases"),
        whole=True,
    )


def _stage(stages: list[figures.Stage], key: str) -> figures.Stage:
    return next(stage for stage in stages if stage.key == key)


def phases_chart(phases: list[figures.Phase]) -> SafeString:
    return charts.bar_chart(
        [
            charts.Bar(
                phase.label,
                phase.median,
                gettext("median %(days)s days") % {"days": charts.format_number(phase.median, 1)}
                if phase.median is not None
                else gettext("no cases yet"),
                phase.norm_days,
            )
            for phase in phases
        ],
        title=gettext("Days per phase: the median against the norm"),
        desc=gettext(
            "Bars: the median number of days; dashed marks: the norm. The table below gives "
            "the numbers and the share of cases over the norm."
        ),
        id_prefix="chart-phases",
        unit=gettext("days"),
        norm_label=gettext("norm (upper limit)"),
    )


def attendance_charts(attendance: figures.Attendance) -> tuple[SafeString, SafeString]:
    parts = charts.bar_chart(
        [
            charts.Bar(
                part.label,
                part.mean,
                charts.format_number(part.mean, 1) if part.mean is not None else "–",
            )
            for part in attendance.parts
        ],
        title=gettext("People per meeting, per part (mean)"),
        desc=gettext(
            "The mean number of people at each part of %(meetings)s meetings. The table below "
            "also gives the median."
        )
        % {"meetings": attendance.meetings},
        id_prefix="chart-attendance",
        unit=gettext("people"),
    )
    sizes = charts.column_chart(
        [bucket.label for bucket in attendance.sizes],
        [charts.Series(gettext("meetings"), [bucket.count for bucket in attendance.sizes])],
        title=gettext("Meetings by the number of people present"),
        desc=gettext("How many meetings had how many people. The table below gives the numbers."),
        id_prefix="chart-sizes",
        unit=gettext("meetings"),
    )
    return parts, sizes


def execution_chart(execution: figures.Execution, id_prefix: str = "chart-execution") -> SafeString:
    return charts.share_bar(
        [charts.Share(outcome.label, outcome.count) for outcome in execution.outcomes],
        title=gettext("The agreements at the follow-up"),
        desc=gettext(
            "%(rated)s answers about agreements: done, partly, not, or no longer relevant. "
            "The table below gives the same numbers."
        )
        % {"rated": execution.rated},
        id_prefix=id_prefix,
    )


@roles_required(*FIGURE_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    choices = region_choices(user)
    form = DashboardForm(request.GET or None, regions=choices)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and not form.is_valid():
        context["scope_text"] = scope_text(user, choices, "")
        return render(request, "research/dashboard.html", context, status=400)
    chosen = str(form.cleaned_data.get("region") or "") if form.is_bound else ""
    period = form.period()
    data = summary.dashboard(form.areas(research_areas(user)), period)
    if not is_national(user):  # a manager's small region must not point at one person
        data = replace(data, execution=data.execution.protected())
    parts_chart, sizes_chart = attendance_charts(data.attendance)
    context.update(
        {
            "scope_text": scope_text(user, choices, chosen),
            "period_text": period_text(period),
            "figures": data,
            "months": [
                (month_label(month), values, total) for month, values, total in data.requests.rows()
            ],
            "charts": {
                "requests": requests_chart(data.requests),
                "funnel": funnel_chart(data.funnel),
                "phases": phases_chart(data.phases),
                "attendance": parts_chart,
                "sizes": sizes_chart,
                "execution": execution_chart(data.execution),
            },
        }
    )
    audit.record(request, action="view", object_type="dashboard", object_id=chosen)
    return render(request, "research/dashboard.html", context)
