"""Study IDs: one random ID per case, made when research first needs it."""

from __future__ import annotations

from collections.abc import Iterable

from kring.cases.models import Case
from kring.followup.models import StudyCase, new_study_id


def study_id(case: Case) -> str:
    study, _created = StudyCase.objects.get_or_create(case=case)
    return study.study_id


def study_ids(case_ids: Iterable[int]) -> dict[int, str]:
    """The study IDs of these cases, making the missing ones in one go (two or three queries)."""
    wanted = set(case_ids)
    known = dict(
        StudyCase.objects.filter(case_id__one_of=wanted).values_list("case_id", "study_id")
    )
    known.update(make_study_ids(wanted - known.keys()))
    return known


def make_study_ids(case_ids: Iterable[int]) -> dict[int, str]:
    """Study IDs for cases known to have none yet (two queries; or another worker's, if it
    made them first)."""
    missing = set(case_ids)
    made: dict[int, str] = {}
    while missing:  # a second pass only if a random ID was taken (or another worker won)
        StudyCase.objects.bulk_create(
            [StudyCase(case_id=pk, study_id=new_study_id()) for pk in missing],
            ignore_conflicts=True,
        )
        made.update(
            StudyCase.objects.filter(case_id__in=missing).values_list("case_id", "study_id")
        )
        missing -= made.keys()
    return made
