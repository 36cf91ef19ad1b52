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
