"""The cases' export makes the study IDs it lacks before it reads (issue 18): from one draw of
random bytes, one INSERT per batch, and the careful way when a random ID was taken; and on
PostgreSQL the export of every case reads it without the filters to the scope."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kring.cases.models import Case, Status
from kring.followup.models import STUDY_ALPHABET, StudyCase, new_study_id
from kring.research import case_sql
from kring.research.dataset import CASES
from tests.factories import case_in_status

STUDY_ID = re.compile(f"S[{STUDY_ALPHABET}]{{9}}")


def test_the_ids_look_like_the_followup_app_s_own():
    assert STUDY_ID.fullmatch(new_study_id())
    ids = case_sql.new_study_ids(20_000)
    assert len(ids) == 20_000
    assert all(STUDY_ID.fullmatch(study) for study in ids)
    assert len(set(ids)) == len(ids)
    assert case_sql.new_study_ids(0) == []
    # Every letter as often as the others, in every place (20,000 letters: 741 each, give or
    # take 27; a letter drawn a fifth more or less often than the others would fall outside).
    for place in range(1, 10):
        counts = Counter(study[place] for study in ids)
        assert set(counts) == set(STUDY_ALPHABET)
        assert all(600 < n < 900 for n in counts.values()), (place, counts)


@pytest.mark.django_db
def test_the_missing_ids_are_made_in_batches_and_the_known_ones_kept(world):
    made = [case_in_status(Status.CLOSED, region=world.west) for _ in range(6)]
    known = StudyCase.objects.create(case=made[2], study_id="SBBBBBBBBB")
    scope = Case.objects.filter(pk__in=[case.pk for case in made])
    with CaptureQueriesContext(connection) as queries:
        case_sql._give_study_ids(scope, batch=2)
    inserts = [q["sql"] for q in queries if "INSERT INTO" in q["sql"]]
    assert len(inserts) == 3  # five cases without an ID, two at a time
    ids = dict(StudyCase.objects.filter(case__in=made).values_list("case_id", "study_id"))
    assert set(ids) == {case.pk for case in made}
    assert ids[made[2].pk] == known.study_id
    assert all(STUDY_ID.fullmatch(study) for study in ids.values())
    assert len(set(ids.values())) == 6
    with CaptureQueriesContext(connection) as queries:
        case_sql._give_study_ids(scope, batch=2)
    assert len(queries) == 1  # all have one: the one question
    assert not StudyCase.objects.filter(case=world.case).exists()  # outside the scope


@pytest.mark.django_db
def test_an_id_that_is_taken_is_drawn_again(world, monkeypatch):
    taken = StudyCase.objects.create(case=world.case, study_id="SCCCCCCCCC").study_id
    made = [case_in_status(Status.CLOSED, region=world.west) for _ in range(3)]
    monkeypatch.setattr(case_sql, "new_study_ids", lambda count: [taken] * count)
    rows = list(CASES.rows(Case.objects.filter(pk__in=[case.pk for case in made])))
    ids = dict(StudyCase.objects.filter(case__in=made).values_list("case_id", "study_id"))
    assert sorted(str(row[0]) for row in rows) == sorted(ids.values())
    assert len(set(ids.values())) == 3 and taken not in ids.values()
    assert all(STUDY_ID.fullmatch(study) for study in ids.values())


@pytest.mark.django_db
def test_every_case_is_read_without_the_filters_to_the_scope(world):
    """Only a question of speed: test_export_equal.py compares the rows of both forms."""
    case_in_status(Status.CLOSED, region=world.west)
    assert case_sql._every_case(Case.objects.all())
    for scope in (
        Case.objects.filter(region=world.west),
        Case.objects.all()[:5],
        Case.objects.none(),
        Case.objects.filter(pk__gt=0).distinct(),
    ):
        assert not case_sql._every_case(scope)
    every = case_sql.Statement(every_case=True).template
    scoped = case_sql.Statement().template
    assert "IN (SELECT id FROM chunk)" not in every
    assert scoped.count("IN (SELECT id FROM chunk)") == 5
    if connection.vendor != "postgresql":
        # SQLite reads a chunk at a time (kring.research.case_sql.Tables): each table over the
        # chunk's range of ids when the scope is every case, else by the chunk's ids.
        for scope, filtered in ((Case.objects.all(), False), (Case.objects.filter(pk__gt=0), True)):
            with CaptureQueriesContext(connection) as queries:
                rows = list(CASES.rows(scope))
            assert len(rows) == Case.objects.count()
            (statement,) = [q["sql"] for q in queries if "group_concat(row" in q["sql"]]
            assert ("IN (SELECT id FROM chunk)" in statement) is filtered
            assert ("BETWEEN" in statement) is not filtered
        return
    list(CASES.rows(Case.objects.all()))  # makes the study IDs
    for scope, filtered in ((Case.objects.all(), False), (Case.objects.filter(pk__gt=0), True)):
        with CaptureQueriesContext(connection) as queries:
            rows = list(CASES.rows(scope))
        assert len(rows) == Case.objects.count()
        # The cases without a study ID, the statement, and the planner's settings around it.
        assert len(queries) == 2 + case_sql.setup_queries()
        (statement,) = [q["sql"] for q in queries if "FROM chunk AS ch" in q["sql"]]
        assert ("IN (SELECT id FROM chunk)" in statement) is filtered
