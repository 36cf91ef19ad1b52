"""What research keeps of a case: a study ID that is random, not derived from the reference,
so the dataset cannot be joined back to a case by anyone who does not hold this table."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case

STUDY_ALPHABET = "BCDFGHJKMNPQRSTVWXZ23456789"


def new_study_id() -> str:
    return "S" + "".join(secrets.choice(STUDY_ALPHABET) for _ in range(9))


class StudyCase(models.Model):
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="study", verbose_name=_("case")
    )
    study_id = models.CharField(_("study ID"), max_length=12, unique=True, default=new_study_id)

    class Meta:
        verbose_name = _("study ID")
        verbose_name_plural = _("study IDs")

    def __str__(self) -> str:
        return self.study_id


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
