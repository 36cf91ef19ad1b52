"""The period research is about: the cases *requested* from a day up to and including a day,
in Kring's time zone. One rule for the dashboard, the financiers' reports, the dataset exports,
the export files and the API.

:class:`Period` may be open on either side (an export of every case up to a day);
:class:`ClosedPeriod` has both days, as the figures need (months to count, a file name).
:class:`PeriodForm` reads a period from a query string (``?start=…&end=…``, either may be
empty); :class:`FiguresPeriodForm` is the dashboard's and reports' (``?from=…&to=…``), which
falls back to the last twelve months and refuses years out of range and too long a period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case

#: The farthest the figures look back in one go.
MAX_MONTHS = 120
#: The years a figures period may start or end in.
FIRST_YEAR, LAST_YEAR = 2000, 2099
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def month_start(day: dt.date, shift: int = 0) -> dt.date:
    """The first day of ``day``'s month, ``shift`` months later (or earlier)."""
    index = day.year * 12 + day.month - 1 + shift
    return dt.date(index // 12, index % 12 + 1, 1)


def midnight(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` in Kring's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass(frozen=True)
class Period:
    """Cases requested from ``start`` up to and including ``end`` (either may be open)."""

    start: dt.date | None = None
    end: dt.date | None = None

    def requested(self) -> Q:
        """The condition on a case's ``requested_at``."""
        condition = Q()
        if self.start is not None:
            condition &= Q(requested_at__gte=midnight(self.start))
        if self.end is not None:
            condition &= Q(requested_at__lt=midnight(self.end + dt.timedelta(days=1)))
        return condition

    def apply(self, cases: QuerySet[Case]) -> QuerySet[Case]:
        """The cases of ``cases`` requested in the period (for the figures: the cohort)."""
        return cases.filter(self.requested())

    def __str__(self) -> str:
        if self.start is None and self.end is None:
            return ""
        return f"{self.start or ''}..{self.end or ''}"


@dataclass(frozen=True)
class ClosedPeriod(Period):
    """A period with both its days, as the figures need."""

    start: dt.date
    end: dt.date

    @classmethod
    def last_twelve_months(cls, today: dt.date | None = None) -> ClosedPeriod:
        """This month and the eleven before it, up to today."""
        today = today or timezone.localdate()
        return cls(month_start(today, -11), today)

    @property
    def start_at(self) -> dt.datetime:
        return midnight(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """The first moment after the period."""
        return midnight(self.end + dt.timedelta(days=1))

    def months(self) -> list[dt.date]:
        """The first day of every month the period touches."""
        first, last = month_start(self.start), month_start(self.end)
        count = (last.year - first.year) * 12 + last.month - first.month + 1
        return [month_start(first, shift) for shift in range(max(count, 0))]

    def slug(self) -> str:
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"


class PeriodForm(forms.Form):
    """``?start=…&end=…``: the days the requests came in (both included); either may be left
    empty, and then the period is open on that side."""

    START, END = "start", "end"
    #: Where an end before the start is reported (None: above the form).
    ORDER_ERROR_FIELD: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.START] = forms.DateField(
            label=_("Requested from"), required=False, widget=DATE_WIDGET
        )
        self.fields[self.END] = forms.DateField(
            label=_("Requested up to and including"), required=False, widget=DATE_WIDGET
        )

    def chosen(self, start: dt.date | None, end: dt.date | None) -> Period:
        """The period the days entered stand for."""
        return Period(start, end)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        period = self.chosen(data.get(self.START), data.get(self.END))
        if period.start is not None and period.end is not None and period.end < period.start:
            self.add_error(
                self.ORDER_ERROR_FIELD, gettext("The end of the period lies before its start.")
            )
            return data
        data["period"] = period
        return data

    def period(self) -> Period:
        """The chosen period (call only after a successful ``is_valid``); unbound, every case."""
        if self.is_bound:
            period: Period = self.cleaned_data["period"]
            return period
        return Period()


class FiguresPeriodForm(PeriodForm):
    """``?from=…&to=…`` for the figures. Either may be left empty: the last twelve months are
    the default."""

    START, END = "from", "to"
    ORDER_ERROR_FIELD = "to"

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.twelve_months = ClosedPeriod.last_twelve_months(today)
        if not self.is_bound:
            self.initial = {self.START: self.twelve_months.start, self.END: self.twelve_months.end}

    def _clean_day(self, name: str) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get(name)
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise forms.ValidationError(
                gettext("Choose a date between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return day

    def clean_from(self) -> dt.date | None:
        return self._clean_day("from")

    def clean_to(self) -> dt.date | None:
        return self._clean_day("to")

    def chosen(self, start: dt.date | None, end: dt.date | None) -> ClosedPeriod:
        default = self.twelve_months
        if start is None:
            # Twelve months up to the end chosen, or the default.
            start = month_start(end, -11) if end else default.start
        if end is None:
            end = default.end if start <= default.end else start
        return ClosedPeriod(start, end)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        period = data.get("period")
        if isinstance(period, ClosedPeriod) and len(period.months()) > MAX_MONTHS:
            del data["period"]
            self.add_error(
                self.END,
                gettext("Choose a period of at most %(years)s years.")
                % {"years": MAX_MONTHS // 12},
            )
        return data

    def period(self) -> ClosedPeriod:
        """The chosen period (call only after a successful ``is_valid``), or the default."""
        if self.is_bound:
            period: ClosedPeriod = self.cleaned_data["period"]
            return period
        return self.twelve_months
