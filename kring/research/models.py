"""What research keeps beside the cases: working days, the figures' summary, export files (the
study IDs are the follow-up's: kring.followup.models.StudyCase)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kring.research.period import Period


class WorkingDayCount(models.Model):
    """A calendar from 2000 to 2100 for the dashboard's norms in SQL: per day, how many
    working days (:func:`kring.cases.norms.is_working_day`) there have been up to and including
    it, so that the working days after ``a`` up to ``b`` are ``count(b) - count(a)``. Filled by
    the migration that makes the table; it holds no personal data."""

    day = models.DateField(_("calendar day"), primary_key=True)
    working = models.IntegerField(_("working days up to this day"))

    class Meta:
        verbose_name = _("working-day count")
        verbose_name_plural = _("working-day counts")

    def __str__(self) -> str:
        return f"{self.day}: {self.working}"


class FigureBucket(models.Model):
    """The dashboard's and the financiers' figures of the cases requested on one day (or in
    one month) in one area, for one financier or for all cases: counts and histograms only
    (see :mod:`kring.research.summary`). No personal data: numbers per area and day."""

    area = models.CharField(_("area"), max_length=16)  # "all", "inbox" or "r<region id>"
    financier = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("financier"),
    )
    month = models.BooleanField(_("whole month"), default=False)
    day = models.DateField(_("day (or first day of the month)"))
    data = models.JSONField(_("figures"), default=dict)
    # ``data["n"]`` as a column: the financiers list sums it over a financier's month buckets,
    # where reading it from the JSON parsed each bucket's kilobyte of figures.
    cases = models.PositiveIntegerField(_("cases"), default=0)

    class Meta:
        verbose_name = _("figure bucket")
        verbose_name_plural = _("figure buckets")
        indexes = [
            models.Index(fields=["area", "financier", "month", "day"], name="research_bucket_key"),
            # The month buckets alone, with their count of cases: the financiers list finds a
            # scope's financiers and sums their cases from this index (through the one above it
            # read a scope's day buckets too, 9,673 entries for 378 at 100,000 cases, and each
            # bucket's JSON). Partial: SQLite takes ``WHERE month`` for no equality on a column.
            models.Index(
                fields=["area", "financier", "cases"],
                condition=Q(month=True),
                name="research_bucket_months",
            ),
            models.Index(fields=["month", "day"], name="research_bucket_day"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.financier_id or '-'} {self.day}"


class FigureDirty(models.Model):
    """A case whose figures changed since the last refresh of the summary (or a day, for a
    case deleted). Only ids and dates."""

    case_id = models.BigIntegerField(_("case id"), null=True, blank=True)
    day = models.DateField(_("request day"), null=True, blank=True)

    class Meta:
        verbose_name = _("changed figure")
        verbose_name_plural = _("changed figures")

    def __str__(self) -> str:
        return f"{self.case_id or self.day}"


class ExportFile(models.Model):
    """A large export that the worker builds into a file (issue 18): the researcher asks, the
    worker writes it (with progress), the researcher downloads it whole, and it is deleted
    after a short retention (``KRING_EXPORT_RETAIN_HOURS``)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("being made")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    requested_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="export_files",
        verbose_name=_("requested by"),
    )
    dataset = models.CharField(_("dataset"), max_length=20)
    fmt = models.CharField(_("format"), max_length=10)
    start = models.DateField(_("requested from"), null=True, blank=True)
    end = models.DateField(_("requested up to and including"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.QUEUED, db_index=True
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows expected"), null=True, blank=True)
    path = models.CharField(_("file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_by = models.CharField(max_length=80, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("deleted after"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.dataset}.{self.fmt} ({self.state})"

    @property
    def period(self) -> Period:
        """The cases the file holds: those requested in this period."""
        return Period(self.start, self.end)

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.state == self.State.DONE else 0
        return min(100, self.rows_done * 100 // self.rows_total)
