"""The case tables' rows are written in Python (kring_cases.case_rows, issue 18): byte for byte
what their reference template, cases/case_row.html, writes, in Dutch and English, for the rows
a table meets: late and on time, the national inbox, no municipality, no coordinator or two,
names that must be escaped, and statuses and variants that come again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from kring.cases.lifecycle import attach_coordinator_names
from kring.cases.models import Case, Status
from kring.cases.templatetags.kring_cases import case_rows
from tests.factories import MunicipalityFactory, UserFactory, case_in_status

pytestmark = pytest.mark.django_db


def _cases() -> list[Case]:
    coordinator = UserFactory(is_coordinator=True, full_name='Ayşe "de" <Vries> & zn')
    second = UserFactory(is_coordinator=True, full_name="Jan O'Brien")
    long_ago = timezone.now() - dt.timedelta(days=60)
    late = case_in_status(Status.REQUESTED, place="Plein <b>&</b> 'hof'")
    Case.objects.filter(pk=late.pk).update(requested_at=long_ago, status_changed_at=long_ago)
    national = case_in_status(Status.INTAKE, region=None, municipality=MunicipalityFactory())
    two = case_in_status(Status.PREPARATION, coordinator=coordinator)
    two.assignments.create(coordinator=second, state="accepted")
    offered = case_in_status(Status.COORDINATOR_ASSIGNED, coordinator=second)
    ended = case_in_status(Status.CLOSED, coordinator=coordinator)
    # The same status and variant as rows above, and another variant: the tag works each
    # badge and label out once per list.
    again = case_in_status(Status.REQUESTED, variant="buurt")
    school = case_in_status(Status.CLOSED, variant="school")
    cases = list(
        Case.objects.filter(
            pk__in=[c.pk for c in (late, national, two, offered, ended, again, school)]
        )
        .select_related("region", "municipality")
        .order_by("pk")
    )
    attach_coordinator_names(cases)
    return cases


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_rows_are_what_the_reference_template_writes(language):
    cases = _cases()
    with translation.override(language):
        written = str(case_rows(cases))
        # Each row as the loop in cases/case_table.html wrote it: the row, then the indent
        # before the next.
        by_template = "".join(
            render_to_string("cases/case_row.html", {"case": case}) + "  " for case in cases
        )
    assert written == by_template
    assert written.count("<tr ") == 7
    assert "kring-late" in written  # the late request shows its norm
    assert "&lt;Vries&gt; &amp; zn" in written and "<b>" not in written
