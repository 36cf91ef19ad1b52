"""The cases dataset ("zaken") in one statement on PostgreSQL, one per chunk on SQLite
(issue 18).

On PostgreSQL an export reads the whole scope with one statement, a chunk of rows at a time
(:func:`case_rows`); the API's pages take the next chunk of cases of the scope with the same
statement (keyset on the primary key, :func:`case_chunk_rows`). Per case it returns its
finished cells: the study ID, the codes, the durations in days, the circle, the attendance,
the plan's parts and the figures of the earliest follow-up moment. The counts are grouped in
derived tables, each filtered on an indexed foreign key with the scope's or the chunk's ids
(``IN (SELECT id FROM chunk)``; not when the scope is every case), never a subquery per case.
Local calendar days are taken in SQL (``AT TIME ZONE``) and subtracted as day numbers, so
Python only rounds two means and writes the cells.

SQLite joins that statement's derived tables through indexes it builds for every chunk; there
a chunk is one statement that returns each table's rows for the chunk's cases (grouped where
they are counted) as a JSON text, joined by case in Python (:class:`Tables`), with the local
days of :mod:`kring.research.sqlite_days`. Before either reads them, the cases without a study
ID get one. The result is the same, cell for cell, as the grouped queries it replaced
(``tests/research/test_export_equal.py`` compares them on generated data).
"""

# The SQL is put together from the models' table names and the project's own codes (checked
# by _quoted); every value from outside — the scope, the period, the time zone — is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import json
import queue
import secrets
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from itertools import islice
from typing import Any

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from kring.accounts.models import Region
from kring.cases.models import Case, CaseEvent, Status
from kring.circle.models import Category, Participant, Willingness
from kring.followup.models import (
    STUDY_ALPHABET,
    AgreementOutcome,
    FollowUp,
    Respondent,
    StudyCase,
)
from kring.followup.study import make_study_ids
from kring.meetings.models import Attendance, Meeting
from kring.plans.models import (
    Agreement,
    Delivery,
    Evaluation,
    OrganisationRequest,
    Plan,
    PlanVersion,
)
from kring.research import sqlite_days

Row = list[Any]

# The phases whose date is the first history entry that reached them, with the stage each
# stands for; and per stage (highest first) the statuses that are at least there.
PHASE_COLUMNS = {
    Status.INTAKE: "intake",
    Status.ACCEPTED: "accepted",
    Status.PREPARATION: "preparation",
    Status.HELD: "held",
    Status.PLAN_DISTRIBUTED: "distributed",
    Status.FOLLOW_UP: "follow_up",
}
OUTCOMES = [code for code, _label in AgreementOutcome.Outcome.choices]


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _quoted(text: str) -> str:
    """A code as an SQL string literal (codes are identifiers of the project, never input)."""
    if "'" in text or "%" in text:
        raise ValueError(f"Not a code: {text!r}")
    return f"'{text}'"


def _day(expression: str) -> str:
    """The local calendar day of a timestamp, as a day number (days since a fixed day); one
    parameter: the zone's name."""
    return f"((({expression}) AT TIME ZONE %s)::date - DATE '2000-01-01')"


def _quarter(expression: str) -> str:
    """'YYYY-Qn' of a timestamp's local day (one parameter: the zone's name)."""
    return f"to_char((({expression}) AT TIME ZONE %s)::date, 'YYYY-\"Q\"Q')"


def _count_if(condition: str) -> str:
    return f"COUNT(*) FILTER (WHERE {condition})"


def _days(start: str, end: str) -> str:
    """Days from one phase's day number to the next; empty when either was not reached or the
    order is impossible (never a negative duration)."""
    return f"CASE WHEN {end} >= {start} THEN {end} - {start} END"


def _stage_rules() -> tuple[list[tuple[str, int | None, tuple[str, ...]]], str]:
    """The furthest stage reached is the highest whose phase is in the history or whose status
    the case has now (the same ranking as :data:`kring.research.dataset.STAGES`): per stage,
    highest first, the index of its phase in :data:`PHASE_COLUMNS` (if it has one) and the
    statuses that are at least there; and the stage of a case that reached none. PostgreSQL
    applies them in SQL (:func:`_stage`), SQLite in Python (:meth:`Tables._record`)."""
    from kring.research.dataset import STAGE_OF, STAGES

    phase_of = {STAGE_OF[status]: index for index, status in enumerate(PHASE_COLUMNS)}
    rules = [
        (
            code,
            phase_of.get(code),
            tuple(str(status) for status, stage in STAGE_OF.items() if stage == code),
        )
        for code, _label in reversed(STAGES[1:])
    ]
    return rules, STAGES[0][0]


def _stage() -> str:
    """:func:`_stage_rules` as SQL, over the outer statement's phases and status."""
    rules, first = _stage_rules()
    columns = list(PHASE_COLUMNS.values())
    branches = []
    for code, phase, statuses in rules:
        tests = []
        if phase is not None:
            tests.append(f"x.{columns[phase]} IS NOT NULL")
        if statuses:
            tests.append(f"x.status IN ({', '.join(_quoted(s) for s in statuses)})")
        branches.append(f"WHEN {' OR '.join(tests)} THEN {_quoted(code)}")
    return f"CASE {' '.join(branches)} ELSE {_quoted(first)} END"


# The counts and firsts both forms take, each with the name the statement gives it.


def _firsts_reached() -> list[tuple[str, str]]:
    """Per phase, the first time the history reached it (from history entries)."""
    return [
        (f"MIN(CASE WHEN to_status = {_quoted(str(status))} THEN at END)", name)
        for status, name in PHASE_COLUMNS.items()
    ]


def _phase_list() -> str:
    return ", ".join(_quoted(str(status)) for status in PHASE_COLUMNS)


def _per_category() -> list[tuple[str, str]]:
    """The circle's people per category (from participants)."""
    return [(_count_if(f"category = {_quoted(value)}"), f"c_{value}") for value in Category.values]


def _per_outcome() -> list[tuple[str, str]]:
    """The agreements per outcome (from outcomes, as ``o``)."""
    return [(_count_if(f"o.outcome = {_quoted(code)}"), f"o_{code}") for code in OUTCOMES]


def _named(cells: list[tuple[str, str]]) -> str:
    return ", ".join(f"{expression} AS {name}" for expression, name in cells)


def _unnamed(cells: list[tuple[str, str]]) -> str:
    return ", ".join(expression for expression, _name in cells)


def _statement(chunk_sql: str, *, every_case: bool = False) -> str:
    """The whole chunk in one statement; its parameters are the chunk's, then the zone's name
    once for each local day (:func:`_zones`).

    Each derived table is joined to the chunk's cases by its key, so the filters that keep
    its rows to those of the chunk's cases (``IN (SELECT id FROM chunk)``) change no cell:
    they only spare it the other cases' rows. When the chunk is every case (``every_case``)
    they are left out: filtering their 3 million rows by the 100,000 cases of a scope that
    holds every case took 0.9 s of PostgreSQL's 3.1 s (EXPLAIN ANALYZE)."""
    event, participant = _table(CaseEvent), _table(Participant)
    meeting, attendance, plan = _table(Meeting), _table(Attendance), _table(Plan)
    follow_up, respondent = _table(FollowUp), _table(Respondent)
    outcome = _table(AgreementOutcome)
    region = _table(Region)
    phases, phase_list = _named(_firsts_reached()), _phase_list()
    categories = _named(_per_category())

    def where(*conditions: str) -> str:
        kept = [condition for condition in conditions if condition]
        return f"WHERE {' AND '.join(kept)}" if kept else ""

    def within(column: str, keys: str = "SELECT id FROM chunk") -> str:
        """The filter to the chunk's cases (or their plans, their meetings)."""
        return "" if every_case else f"{column} IN ({keys})"

    of_plans = within("plan_id", "SELECT id FROM plans")
    of_meetings = within(
        "meeting_id", f"SELECT id FROM {meeting} WHERE case_id IN (SELECT id FROM chunk)"
    )
    parts = [
        ("agreements", f"SELECT plan_id, COUNT(*) AS n FROM {_table(Agreement)}"),
        ("requests", f"SELECT plan_id, COUNT(*) AS n FROM {_table(OrganisationRequest)}"),
        ("evaluations", f"SELECT plan_id, COUNT(*) AS n FROM {_table(Evaluation)}"),
        ("versions", f"SELECT plan_id, COUNT(*) AS n FROM {_table(PlanVersion)}"),
    ]
    part_joins = "\n".join(
        f"LEFT JOIN ({select} {where(of_plans)} GROUP BY plan_id) AS p_{name} "
        f"ON p_{name}.plan_id = p.id"
        for name, select in parts
    )
    delivered = (
        f"LEFT JOIN (SELECT v.plan_id, COUNT(*) AS n FROM {_table(Delivery)} AS d "
        f"JOIN {_table(PlanVersion)} AS v ON v.id = d.version_id "
        f"{where('d.delivered_at IS NOT NULL', within('v.plan_id', 'SELECT id FROM plans'))} "
        f"GROUP BY v.plan_id) AS p_copies ON p_copies.plan_id = p.id"
    )
    outcome_counts = _named(_per_outcome())
    yes = _quoted(str(Willingness.YES))
    no = _quoted(str(Willingness.NO))
    needed = _quoted(str(Respondent.Needed.YES))
    circle_cells = ", ".join(f"COALESCE(pc.c_{value}, 0) AS c_{value}" for value in Category.values)

    # The answers of the earliest moments: per moment, the respondents' figures and the
    # outcomes they gave. For every case the outcomes are counted per respondent first and
    # summed with the respondents' figures: one derived table instead of two, 1.9 s against
    # 2.1 s at 100,000 cases. With the filters to the scope that form took longer (4.3 s
    # against 3.9 s for a scope that holds every case): a chunk keeps the two (the same SQL
    # as before for the API's pages).
    def respondent_figures(r: str) -> str:
        return (
            f"COUNT(*) AS respondents, COUNT({r}answered_at) AS answered,\n"
            f"    COUNT({r}declined_at) AS declined, AVG({r}better) AS better, "
            f"AVG({r}satisfaction) AS satisfaction,\n"
            f"    {_count_if(f'{r}recommend')} AS recommend,\n"
            f"    {_count_if(f'{r}new_conference = {needed}')} AS new_conference"
        )

    if every_case:
        answers = "ra"
        sums = ", ".join(f"CAST(SUM(ro.o_{code}) AS BIGINT) AS o_{code}" for code in OUTCOMES)
        answers_joins = f"""LEFT JOIN (
  SELECT r.follow_up_id, {respondent_figures("r.")}, {sums}
  FROM {respondent} AS r
  LEFT JOIN (
    SELECT o.respondent_id, {outcome_counts} FROM {outcome} AS o GROUP BY o.respondent_id
  ) AS ro ON ro.respondent_id = r.id
  WHERE r.follow_up_id IN (SELECT id FROM firsts) GROUP BY r.follow_up_id
) AS ra ON ra.follow_up_id = f.id"""
    else:
        answers = "oc"
        answers_joins = f"""LEFT JOIN (
  SELECT follow_up_id, {respondent_figures("")}
  FROM {respondent} WHERE follow_up_id IN (SELECT id FROM firsts) GROUP BY follow_up_id
) AS ra ON ra.follow_up_id = f.id
LEFT JOIN (
  SELECT rr.follow_up_id, {outcome_counts}
  FROM {outcome} AS o JOIN {respondent} AS rr ON rr.id = o.respondent_id
  WHERE rr.follow_up_id IN (SELECT id FROM firsts) GROUP BY rr.follow_up_id
) AS oc ON oc.follow_up_id = f.id"""
    outcome_cells = ", ".join(
        f"CASE WHEN f.id IS NULL THEN NULL ELSE COALESCE({answers}.o_{code}, 0) END AS o_{code}"
        for code in OUTCOMES
    )

    def if_plan(value: str) -> str:
        return f"CASE WHEN p.id IS NULL THEN NULL ELSE {value} END"

    def if_first(value: str) -> str:
        return f"CASE WHEN f.id IS NULL THEN NULL ELSE COALESCE({value}, 0) END"

    def if_meeting(value: str) -> str:
        return f"CASE WHEN m.id IS NULL THEN NULL ELSE COALESCE({value}, 0) END"

    inner = f"""
WITH chunk (id, variant, status, requested_at, region_id) AS ({chunk_sql}),
moments AS (
  SELECT id, case_id, months, state, opened_at,
    ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY months, id) AS place,
    MIN(opened_at) OVER (PARTITION BY case_id) AS first_opened
  FROM {follow_up} {where(within("case_id"))}
),
firsts AS (SELECT id, case_id, months, state, first_opened FROM moments WHERE place = 1),
plans AS (SELECT id, case_id, outcome FROM {plan} {where(within("case_id"))})
SELECT
  ch.id AS id, s.study_id AS study_id, ch.variant AS variant, r.name AS region,
  {_quarter("ch.requested_at")} AS quarter, ch.status AS status,
  {_day("ch.requested_at")} AS requested,
  {_day("ev.intake")} AS intake, {_day("ev.accepted")} AS accepted,
  {_day("ev.preparation")} AS preparation, ev.held AS held,
  {_day("ev.distributed")} AS distributed, ev.follow_up AS follow_up,
  CASE WHEN ev.held IS NOT NULL THEN {_day("COALESCE(m.starts_at, ev.held)")} END AS meeting,
  {_day("f.first_opened")} AS opened,
  {circle_cells},
  COALESCE(pc.total, 0) AS circle_total, COALESCE(pc.took_part, 0) AS took_part,
  COALESCE(pc.declined, 0) AS declined,
  {if_meeting("att.information")} AS a_information,
  {if_meeting("att.private_time")} AS a_private_time,
  {if_meeting("att.plan")} AS a_plan,
  {if_plan("COALESCE(NULLIF(p.outcome, ''), 'undecided')")} AS plan_outcome,
  {if_plan("COALESCE(p_agreements.n, 0)")} AS plan_agreements,
  {if_plan("COALESCE(p_requests.n, 0)")} AS plan_requests,
  {if_plan("COALESCE(p_evaluations.n, 0)")} AS plan_evaluations,
  {if_plan("COALESCE(p_versions.n, 0)")} AS plan_versions,
  {if_plan("COALESCE(p_copies.n, 0)")} AS plan_copies,
  f.months AS f_months, f.state AS f_state,
  {if_first("ra.respondents")} AS f_respondents,
  {if_first("ra.answered")} AS f_answered,
  {if_first("ra.declined")} AS f_declined,
  {outcome_cells},
  ra.better AS better, ra.satisfaction AS satisfaction,
  {if_first("ra.recommend")} AS recommend, {if_first("ra.new_conference")} AS new_conference
FROM chunk AS ch
LEFT JOIN {_table(StudyCase)} AS s ON s.case_id = ch.id
LEFT JOIN {region} AS r ON r.id = ch.region_id
LEFT JOIN (
  SELECT case_id, {phases} FROM {event}
  {where(within("case_id"), f"to_status IN ({phase_list})")}
  GROUP BY case_id
) AS ev ON ev.case_id = ch.id
LEFT JOIN (
  SELECT case_id, {categories}, COUNT(*) AS total,
    {_count_if(f"willingness = {yes}")} AS took_part,
    {_count_if(f"willingness = {no}")} AS declined
  FROM {participant} {where(within("case_id"))} GROUP BY case_id
) AS pc ON pc.case_id = ch.id
LEFT JOIN {meeting} AS m ON m.case_id = ch.id
LEFT JOIN (
  SELECT meeting_id, {_count_if("information")} AS information,
    {_count_if("private_time")} AS private_time, {_count_if("plan")} AS plan
  FROM {attendance}
  {where(of_meetings)}
  GROUP BY meeting_id
) AS att ON att.meeting_id = m.id
LEFT JOIN plans AS p ON p.case_id = ch.id
{part_joins}
{delivered}
LEFT JOIN firsts AS f ON f.case_id = ch.id
{answers_joins}
"""
    return inner


def _outer(inner: str) -> str:
    """The finished cells: durations from the day numbers, the stage from the phases."""
    x = "x"
    durations = ", ".join(
        [
            _days(f"{x}.requested", f"{x}.intake"),
            _days(f"{x}.intake", f"{x}.accepted"),
            _days(f"{x}.accepted", f"{x}.preparation"),
            _days(f"{x}.preparation", f"{x}.meeting"),
            _days(f"{x}.requested", f"{x}.meeting"),
            _days(f"{x}.meeting", f"{x}.distributed"),
            _days(f"{x}.distributed", f"{x}.opened"),
        ]
    )
    rest = ", ".join(
        [
            *(f"x.c_{value}" for value in Category.values),
            "x.circle_total",
            "x.took_part",
            "x.declined",
            "x.a_information",
            "x.a_private_time",
            "x.a_plan",
            "x.plan_outcome",
            "x.plan_agreements",
            "x.plan_requests",
            "x.plan_evaluations",
            "x.plan_versions",
            "x.plan_copies",
            "x.f_months",
            "x.f_state",
            "x.f_respondents",
            "x.f_answered",
            "x.f_declined",
            *(f"x.o_{code}" for code in OUTCOMES),
            "x.better",
            "x.satisfaction",
            "x.recommend",
            "x.new_conference",
        ]
    )
    return (
        f"SELECT x.id, x.study_id, x.variant, COALESCE(x.region, ''), x.quarter, x.status, "
        f"{_stage()}, {durations}, {rest} FROM ({inner}) AS x ORDER BY x.id"
    )


class Statement:
    """PostgreSQL's statement, built once per export; ``every_case``: the chunk holds every
    case (:func:`_statement`)."""

    def __init__(self, *, every_case: bool = False) -> None:
        self.zone = timezone.get_current_timezone_name()
        # The case columns of the chunk are placed by the caller's queryset; the rest is fixed.
        self.template = _outer(_statement("{chunk}", every_case=every_case))
        self.zone_params = self.template.replace("{chunk}", "").count("%s")

    def sql(self, chunk_sql: str) -> str:
        # The chunk's own SQL may hold "%s" placeholders and literal "%%": neither is touched.
        return self.template.replace("{chunk}", chunk_sql)

    def records(self, chunk_sql: str, chunk_params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The chunk's records: one query."""
        with connection.cursor() as cursor:
            cursor.execute(self.sql(chunk_sql), _params(self, chunk_params))
            return cursor.fetchall()


# Cells of a row returned by the statement: id first, then the dataset's columns.
BETTER, SATISFACTION = -4, -3  # the two means, as the database averages them


def _chunk_query(
    scope: QuerySet[Case], after: int, size: int | None
) -> tuple[str, tuple[Any, ...]] | None:
    query = (
        scope.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "variant", "status", "requested_at", "region_id")
    )
    if size is not None:
        query = query[:size]
    try:
        sql, params = query.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def _finished(fetched: list[tuple[Any, ...]]) -> list[Row]:
    """The rows as the dataset has them: study IDs made where missing (two queries), the two
    means rounded."""
    missing = [row[0] for row in fetched if row[1] is None]
    known = make_study_ids(missing) if missing else {}
    rows: list[Row] = []
    for record in fetched:
        row = list(record[1:])
        if row[0] is None:
            row[0] = known[record[0]]
        better, satisfaction = row[BETTER], row[SATISFACTION]
        if better is not None:
            row[BETTER] = round(float(better), 2)
        if satisfaction is not None:
            row[SATISFACTION] = round(float(satisfaction), 2)
        rows.append(row)
    return rows


def _params(statement: Statement, chunk_params: tuple[Any, ...]) -> tuple[Any, ...]:
    # The placeholders come in the order of the text: the chunk's come first (the WITH), the
    # zones follow everywhere after it.
    return (*chunk_params, *([statement.zone] * statement.zone_params))


def statement(*, every_case: bool = False) -> Statement | Tables:
    """How this database reads a chunk: PostgreSQL's statement (:class:`Statement`), SQLite's
    tables joined in Python (:class:`Tables`). Built once per export or page, in the request's
    time zone."""
    if connection.vendor == "postgresql":
        return Statement(every_case=every_case)
    return Tables(every_case=every_case)


def case_chunk_rows(
    statement: Statement | Tables, scope: QuerySet[Case], after: int, size: int
) -> tuple[list[Row], list[int]]:
    """The rows of the next ``size`` cases of ``scope`` after the case ``after`` (a fixed
    number of queries, two more the first time a case gets its study ID), and the cases'
    keys."""
    found = _chunk_query(scope, after, size)
    if found is None:
        return [], []
    fetched = statement.records(*found)
    return _finished(fetched), [record[0] for record in fetched]


# SQLite: a chunk's tables one by one, joined in Python.
#
# SQLite runs PostgreSQL's statement too, but joins each of its derived tables to the chunk
# through an index it builds for every chunk (of 87 ms per 2,000 cases, 44 went to the derived
# tables, ~30 to those indexes). Here each table is grouped by case along the index on its
# foreign key, and the groups are put together by case in Python, with the same cells as the
# statement's (test_export_equal.py compares both with the grouped queries of before issue 18).
#
# Each table's groups come back as one JSON text, all of them in one row of one statement:
# SQLite works the chunk out in one step, without Python's lock, so the thread that reads ahead
# works while the rows before are put together and written (in the writer's thread). Returned
# row by row, every row took the lock back and waited for the writer to let go of it (up to
# 5 ms each time), and reading ahead gained nothing.

_PARTS = ("cases", "events", "circle", "meetings", "plans", "moments", "answers", "outcomes")


def _chunk_statement(*, every_case: bool) -> str:
    """One row: the chunk's last case id and its number of cases, then per part of a chunk
    (:data:`_PARTS`) the JSON array of its rows, each row a ``json_array`` whose first cell
    is the key it is joined by. The chunk is the caller's query, in place of ``{chunk}``.

    Each table is read along the index on its case: over the chunk's range of ids when the
    chunk holds every case in it (``every_case``, a scope without gaps), else by the chunk's
    ids. (By its ids, every case's export at 100,000 cases gave 29,800-30,500 rows/s against
    31,300-32,300 over the range, alternating.)"""
    if every_case:
        cases = "{} BETWEEN (SELECT MIN(id) FROM chunk) AND (SELECT MAX(id) FROM chunk)"
    else:
        cases = "{} IN (SELECT id FROM chunk)"
    phases, phase_list = _unnamed(_firsts_reached()), _phase_list()
    categories = _unnamed(_per_category())
    yes, no = _quoted(str(Willingness.YES)), _quoted(str(Willingness.NO))
    needed = _quoted(str(Respondent.Needed.YES))
    attendance = ", ".join(
        f"(SELECT {_count_if(flag)} FROM {_table(Attendance)} WHERE meeting_id = m.id)"
        for flag in ("information", "private_time", "plan")
    )
    # Per plan, its parts counted along their index (cheaper here than a grouped query each).
    parts = ", ".join(
        f"(SELECT COUNT(*) FROM {_table(model)} WHERE plan_id = p.id)"
        for model in (Agreement, OrganisationRequest, Evaluation, PlanVersion)
    )
    copies = (
        f"(SELECT COUNT(*) FROM {_table(Delivery)} AS d JOIN {_table(PlanVersion)} AS v "
        "ON v.id = d.version_id WHERE v.plan_id = p.id AND d.delivered_at IS NOT NULL)"
    )
    outcomes = _unnamed(_per_outcome())
    respondent = _table(Respondent)
    # The answers of every moment of the chunk's cases; Python keeps the earliest moment's.
    moments = f"SELECT id FROM {_table(FollowUp)} WHERE {cases.format('case_id')}"
    queries = {
        "cases": "SELECT json_array(c.id, s.study_id, c.variant, COALESCE(r.name, ''), c.status, "
        f"c.requested_at) FROM chunk AS c "
        f"LEFT JOIN {_table(StudyCase)} AS s ON s.case_id = c.id "
        f"LEFT JOIN {_table(Region)} AS r ON r.id = c.region_id",
        "events": f"SELECT json_array(case_id, {phases}) FROM {_table(CaseEvent)} "
        f"WHERE {cases.format('case_id')} AND to_status IN ({phase_list}) GROUP BY case_id",
        "circle": f"SELECT json_array(case_id, {categories}, COUNT(*), "
        f"{_count_if(f'willingness = {yes}')}, {_count_if(f'willingness = {no}')}) "
        f"FROM {_table(Participant)} WHERE {cases.format('case_id')} GROUP BY case_id",
        "meetings": f"SELECT json_array(m.case_id, m.starts_at, {attendance}) "
        f"FROM {_table(Meeting)} AS m WHERE {cases.format('m.case_id')}",
        "plans": f"SELECT json_array(p.case_id, p.outcome, {parts}, {copies}) "
        f"FROM {_table(Plan)} AS p WHERE {cases.format('p.case_id')}",
        "moments": f"SELECT json_array(case_id, id, months, state, opened_at) "
        f"FROM {_table(FollowUp)} WHERE {cases.format('case_id')}",
        # The means as sums and counts, divided in Python as AVG divides them: json_array writes
        # a float with 15 digits (1/3 as 0.333333333333333), so no float may pass the JSON.
        "answers": f"SELECT json_array(follow_up_id, COUNT(*), COUNT(answered_at), "
        f"COUNT(declined_at), SUM(better), COUNT(better), SUM(satisfaction), "
        f"COUNT(satisfaction), {_count_if('recommend')}, "
        f"{_count_if(f'new_conference = {needed}')}) FROM {respondent} "
        f"WHERE follow_up_id IN ({moments}) GROUP BY follow_up_id",
        "outcomes": f"SELECT json_array(r.follow_up_id, {outcomes}) "
        f"FROM {_table(AgreementOutcome)} AS o JOIN {respondent} AS r ON r.id = o.respondent_id "
        f"WHERE r.follow_up_id IN ({moments}) GROUP BY r.follow_up_id",
    }
    if tuple(queries) != _PARTS:
        raise RuntimeError("The chunk's parts are read by name: keep _PARTS in their order.")
    texts = ", ".join(
        f"(SELECT '[' || group_concat(row, ',') || ']' FROM p_{name}) AS {name}" for name in queries
    )
    parts_sql = ", ".join(f"p_{name} (row) AS ({sql})" for name, sql in queries.items())
    return (
        "WITH chunk (id, variant, status, requested_at, region_id) AS ({chunk}), "
        f"{parts_sql} SELECT (SELECT MAX(id) FROM chunk), (SELECT COUNT(*) FROM chunk), {texts}"
    )


_NO_CIRCLE = (0,) * (len(Category.values) + 3)
_NO_OUTCOMES = (0,) * len(OUTCOMES)
_NO_PHASES = (None,) * len(PHASE_COLUMNS)


@lru_cache(maxsize=1 << 14)
def _quarter_of_day(number: int) -> str:
    """:func:`_quarter` for Python, of a day number (:mod:`kring.research.sqlite_days`)."""
    day = dt.date.fromordinal(sqlite_days.EPOCH + number)
    return f"{day.year}-Q{(day.month + 2) // 3}"


def _python_days(start: int | None, end: int | None) -> int | None:
    """:func:`_days` for Python."""
    return end - start if start is not None and end is not None and end >= start else None


# What SQLite gives for a chunk (:meth:`Tables.fetch`): one JSON text per part (None for a
# part without rows).
Fetched = tuple[str | None, ...]


class Tables:
    """SQLite's chunk: one statement (:func:`_chunk_statement`) read by :meth:`fetch`, and its
    parts joined by case in Python by :meth:`rows`, which the thread that reads ahead leaves to
    the one that writes."""

    def __init__(self, *, every_case: bool = False) -> None:
        self.zone = timezone.get_current_timezone_name()
        self.template = _chunk_statement(every_case=every_case)
        self.stages, self.first_stage = _stage_rules()

    def fetch(
        self, chunk_sql: str, chunk_params: tuple[Any, ...]
    ) -> tuple[Fetched, int, int] | None:
        """The chunk's texts, its last case's id and its number of cases; None for a chunk
        without cases."""
        with connection.cursor() as cursor:
            # The chunk's own SQL may hold "%s" placeholders and literal "%%": neither is touched.
            cursor.execute(self.template.replace("{chunk}", chunk_sql), chunk_params)
            last, count, *texts = cursor.fetchone()
        return (tuple(texts), last, count) if count else None

    def records(self, chunk_sql: str, chunk_params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The chunk's records as :class:`Statement` gives them: the case's id, then its cells."""
        found = self.fetch(chunk_sql, chunk_params)
        return self.joined(found[0]) if found is not None else []

    def rows(self, fetched: Fetched) -> list[Row]:
        """The chunk's rows as the dataset has them (:func:`_finished`)."""
        return _finished(self.joined(fetched))

    def joined(self, fetched: Fetched) -> list[tuple[Any, ...]]:
        """The records of the chunk's cases, by id."""
        parts: dict[str, list[list[Any]]] = {
            name: json.loads(text) if text is not None else []
            for name, text in zip(_PARTS, fetched, strict=True)
        }
        cases = sorted(parts["cases"])  # by id (ids are unique)
        events, circle, meetings, plans, answers, outcomes = (
            {row[0]: row for row in parts[name]}
            for name in ("events", "circle", "meetings", "plans", "answers", "outcomes")
        )
        # Per case its earliest moment (fewest months, then the first made), and the first
        # time any of its moments was opened.
        firsts: dict[int, list[Any]] = {}
        opened: dict[int, str | None] = {}
        for moment in parts["moments"]:
            case_id, when = moment[0], moment[4]
            first = firsts.get(case_id)
            if first is None:
                firsts[case_id], opened[case_id] = moment, when
                continue
            if (moment[2], moment[1]) < (first[2], first[1]):
                firsts[case_id] = moment
            if when is not None and (opened[case_id] is None or when < opened[case_id]):
                opened[case_id] = when
        return [
            self._record(case, events, circle, meetings, plans, firsts, opened, answers, outcomes)
            for case in cases
        ]

    def _record(
        self,
        case: list[Any],
        events: dict[int, list[Any]],
        circle: dict[int, list[Any]],
        meetings: dict[int, list[Any]],
        plans: dict[int, list[Any]],
        firsts: dict[int, list[Any]],
        opened: dict[int, str | None],
        answers: dict[int, list[Any]],
        outcomes: dict[int, list[Any]],
    ) -> tuple[Any, ...]:
        """One case's record, cell for cell as :func:`_statement` and :func:`_outer` make it."""
        case_id, study_id, variant, region, status, requested_at = case
        zone, day = self.zone, sqlite_days.day_number
        event = events.get(case_id)
        phases = event[1:] if event is not None else _NO_PHASES
        stage = self.first_stage
        for code, phase, statuses in self.stages:
            if (phase is not None and phases[phase] is not None) or status in statuses:
                stage = code
                break
        intake, accepted, preparation, held, distributed, _follow_up = phases
        meeting = meetings.get(case_id)
        requested = day(requested_at, zone)
        met = None
        if held is not None:
            met = day(meeting[1] if meeting is not None and meeting[1] is not None else held, zone)
        intake, accepted = day(intake, zone), day(accepted, zone)
        preparation, distributed = day(preparation, zone), day(distributed, zone)
        first_opened = day(opened.get(case_id), zone)
        quarter = None if requested is None else _quarter_of_day(requested)
        cells: list[Any] = [
            case_id,
            study_id,
            variant,
            region,
            quarter,
            status,
            stage,
            _python_days(requested, intake),
            _python_days(intake, accepted),
            _python_days(accepted, preparation),
            _python_days(preparation, met),
            _python_days(requested, met),
            _python_days(met, distributed),
            _python_days(distributed, first_opened),
        ]
        people = circle.get(case_id)
        cells += people[1:] if people is not None else _NO_CIRCLE
        cells += meeting[2:] if meeting is not None else (None, None, None)
        plan = plans.get(case_id)
        # The plan's outcome, its four parts and its copies; no plan: empty cells.
        cells += (plan[1] or "undecided", *plan[2:]) if plan is not None else (None,) * 6
        moment = firsts.get(case_id)
        if moment is None:
            cells += (None,) * (9 + len(OUTCOMES))
            return tuple(cells)
        figures = answers.get(moment[1])
        counted = outcomes.get(moment[1])
        cells += (moment[2], moment[3])
        cells += figures[1:4] if figures is not None else (0, 0, 0)
        cells += counted[1:] if counted is not None else _NO_OUTCOMES
        if figures is None:
            cells += (None, None, 0, 0)
            return tuple(cells)
        better, rated, satisfaction, scored = figures[4:8]
        cells += (better / rated if rated else None, satisfaction / scored if scored else None)
        cells += figures[8:]
        return tuple(cells)


# PostgreSQL estimates the chunk's statement high enough (joins of grouped derived tables) to
# compile it with JIT, which costs ~150 ms per chunk against ~45 ms for the query itself, and
# seconds with JIT's optimisation (the API's pages ran at 211 rows/s at 100k cases): an export,
# and a page of the API, turn JIT off for their session while they run (two statements per
# export or page, not per chunk).


def setup_queries() -> int:
    return 2 if connection.vendor == "postgresql" else 0


@contextmanager
def _planner(*settings: str) -> Iterator[None]:
    """Planner settings for this session while the block runs (PostgreSQL), reset after."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("; ".join(f"SET {name} = off" for name in settings))
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("; ".join(f"RESET {name}" for name in settings))
        except DatabaseError:  # a failed transaction: the error that caused it goes up
            pass


def without_jit() -> AbstractContextManager[None]:
    """For a chunk of a few hundred cases (the API's pages)."""
    return _planner("jit")


def for_the_whole_scope() -> AbstractContextManager[None]:
    """For the whole scope in one statement: no JIT, and no nested loops either. The planner
    cannot estimate how many cases the scope's ``IN (SELECT id FROM chunk)`` keeps (it guesses
    200) and looks up each case's rows by index, once per case per table; hash joins over the
    tables read once are a third faster at 100,000 cases (EXPLAIN ANALYZE: 5.2 s against
    3.8 s)."""
    return _planner("jit", "enable_nestloop")


# A random byte below 243 (9 x 27) stands for one of the 27 letters of a study ID, each as
# often as the others; the bytes from 243 up are dropped.
_LETTER_OF_BYTE = bytes.maketrans(
    bytes(range(256)),
    bytes(ord(STUDY_ALPHABET[byte % len(STUDY_ALPHABET)]) for byte in range(256)),
)
_UNUSED_BYTES = bytes(range(256 - 256 % len(STUDY_ALPHABET), 256))
STUDY_ID_LETTERS = 9


def new_study_ids(count: int) -> list[str]:
    """``count`` study IDs as :func:`kring.followup.models.new_study_id` makes one — an S and
    nine letters of its alphabet, each drawn evenly from the system's random source — from
    one draw of random bytes (0.1 us per ID; nine draws per ID took 8 us, 0.8 s at 100,000
    cases)."""
    wanted = STUDY_ID_LETTERS * count
    letters = b""
    while len(letters) < wanted:
        needed = wanted - len(letters)
        # 5% of the bytes are dropped: draw a little more than needed, so one draw suffices.
        drawn = secrets.token_bytes(needed + needed // 16 + 16)
        letters += drawn.translate(_LETTER_OF_BYTE, _UNUSED_BYTES)
    text = letters[:wanted].decode("ascii")
    size = STUDY_ID_LETTERS
    return ["S" + text[start : start + size] for start in range(0, wanted, size)]


def _insert_study_ids(case_ids: list[int]) -> None:
    """Study IDs for these cases, which had none: one INSERT, and the IntegrityError of a
    random ID that was taken or of a case another worker gave one first."""
    table = _table(StudyCase)
    case = connection.ops.quote_name(StudyCase.case.field.column)
    study = connection.ops.quote_name(str(StudyCase.study_id.field.column))
    ids = new_study_ids(len(case_ids))
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({case}, {study}) "
                "SELECT * FROM unnest(%s::bigint[], %s::varchar[])",
                [case_ids, ids],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({case}, {study}) VALUES (%s, %s)",
                list(zip(case_ids, ids, strict=True)),
            )


def _give_study_ids(scope: QuerySet[Case], batch: int = 5000) -> None:
    """Study IDs for the cases of ``scope`` that have none yet, before the statement reads
    them (one query when all have one): no row is written to a table while a statement that
    reads it is still being stepped through (SQLite leaves that undefined). A case that
    arrives in between gets its ID as its row is read.

    The first export of a database makes all its study IDs, and the benchmark times a first
    export: on PostgreSQL 100,060 took 4-6 s with :func:`make_study_ids` (8.2-10.6 s in all,
    9,500-12,200 rows/s, against 3.9-4.4 s when they exist) — nine random draws per ID, a
    model instance per ID, each batch read back, the cases left joined again per batch. Here
    they take 1.1 s: the IDs from one draw of random bytes, one plain INSERT per batch (0.6 s
    in all) in a transaction of its own (two more queries; the foreign keys' checks as it
    commits, 0.3 s), without ON CONFLICT, which took 1.2 s against 0.7 s for 100,000 rows."""
    missing = scope.filter(study__isnull=True).order_by("pk").values_list("pk", flat=True)
    if connection.vendor == "postgresql":
        # The cases without one are read once, from a server-side cursor (which does not see
        # the rows written after it opened); asked for a batch at a time, each question joined
        # all the cases left (25 ms per 5,000 cases of 100,000: 0.5 s).
        found = missing.iterator(chunk_size=batch)
        while case_ids := list(islice(found, batch)):
            _make_study_ids(case_ids)
        return
    last = 0
    while True:
        case_ids = list(missing.filter(pk__gt=last)[:batch])
        if case_ids:
            _make_study_ids(case_ids)
        if len(case_ids) < batch:
            return
        last = case_ids[-1]


def _make_study_ids(case_ids: list[int]) -> None:
    try:
        _insert_study_ids(case_ids)
    except IntegrityError:
        # About one first export of 100,000 cases in 1,500 draws an ID that is taken (there
        # are 27 ** 9), or another worker made some of these first: the careful way skips those
        # (two queries more per batch, and a new draw for a taken ID).
        make_study_ids(case_ids)


def _every_case(scope: QuerySet[Case]) -> bool:
    """Whether ``scope`` is every case, as a researcher's export without a period is: no
    condition, slice or set operation. (Only a question of speed: see :func:`_statement`.)"""
    query = scope.query
    return (
        query.model is Case
        and not query.where
        and not query.is_sliced
        and not query.combinator
        and not query.distinct
    )


def case_rows(scope: QuerySet[Case], size: int) -> Iterator[Row]:
    """Every case of ``scope``, its study IDs made first (:func:`_give_study_ids`). On
    PostgreSQL one statement over the whole scope, streamed (:func:`_streamed`; inside a
    transaction from a server-side cursor), so the counts are grouped once per table instead
    of once per chunk (22,000 rows/s at 100,000 cases against 12,500 in chunks on an earlier
    machine; 31,000 for every case, whose statement leaves out the filters to the scope;
    21,000-24,000 for a first export, which makes the study IDs). SQLite plans that statement
    badly (248 rows/s at 100,000 cases): it takes the scope a chunk of ``size`` cases at a
    time (:class:`Tables`), read ahead in a thread of its own (:func:`_read_ahead`)."""
    if connection.vendor != "postgresql":
        _give_study_ids(scope)
        tables = Tables(every_case=_every_case(scope))  # here: the request's time zone
        chunks = _fetched_chunks(tables, scope, size)
        if connection.in_atomic_block:
            # Another connection would not see what this transaction wrote: read it here.
            for fetched in chunks:
                yield from tables.rows(fetched)
        else:
            yield from _read_ahead(chunks, tables.rows)
        return
    statement = Statement(every_case=_every_case(scope))
    found = _chunk_query(scope, 0, None)
    if found is None:
        return
    _give_study_ids(scope)
    chunk_sql, chunk_params = found
    sql, params = statement.sql(chunk_sql), _params(statement, chunk_params)
    if not connection.in_atomic_block:
        yield from _streamed(statement, sql, params, size)
        return
    with for_the_whole_scope(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while fetched := cursor.fetchmany(size):
            yield from _finished(fetched)


class Streaming(RuntimeError):
    """A query on the connection that is streaming an export (:func:`_streamed`)."""


def _refuse(*args: Any) -> None:
    raise Streaming(
        "This connection is streaming the cases' dataset: no other query until its last row."
    )


def _streamed(statement: Statement, sql: str, params: tuple[Any, ...], size: int) -> Iterator[Row]:
    """The statement's rows as PostgreSQL sends them (libpq's chunked or single-row mode),
    not from a server-side cursor: a cursor rules out a parallel plan, and one kept past its
    transaction computes the whole result before its first row, while a stream lets
    PostgreSQL work (on two cores) while the CSV is written. At 100,000 cases, the CSV in
    alternating runs: 16,000-19,000 rows/s from a cursor, 17,700-25,400 streamed. Until the
    last row no other query may use the connection (psycopg would wait for the stream, which
    waits for the caller): one that tries is refused (:class:`Streaming`), the worker writes
    its progress from a thread of its own and closes rows left halfway
    (kring.research.export_files). A case that got no study ID before the statement began
    (added meanwhile) comes last, once its ID is made."""
    late: list[tuple[Any, ...]] = []
    chunked = psycopg.pq.version() >= CHUNKED_LIBPQ
    with for_the_whole_scope(), connection.cursor() as cursor:
        rows = cursor.cursor.stream(sql, params, size=size if chunked else 1)
        try:
            with connection.execute_wrapper(_refuse):
                while fetched := list(islice(rows, size)):
                    ready = [record for record in fetched if record[1] is not None]
                    late += [record for record in fetched if record[1] is None]
                    yield from _finished(ready)
        finally:
            rows.close()  # a stream left halfway is cancelled, and the connection freed
    if late:
        yield from _finished(late)


# libpq 17 sends a stream's rows in chunks (psycopg's ``stream(size=…)``); older, one by one.
CHUNKED_LIBPQ = 170000


def _fetched_chunks(tables: Tables, scope: QuerySet[Case], size: int) -> Iterator[Fetched]:
    """SQLite's chunks of ``scope`` as :meth:`Tables.fetch` reads them: SQL only."""
    last = 0
    while True:
        found = _chunk_query(scope, last, size)
        if found is None:
            return
        chunk = tables.fetch(*found)
        if chunk is None:
            return
        fetched, last, count = chunk
        yield fetched
        if count < size:
            return


# Chunks that may wait for the writer, besides the one the reading thread holds (250 cases
# each, kring.research.dataset.CASE_CHUNK: a few hundred KiB). At 100,000 cases 1, 2 and 4
# gave the same rows a second (30,200-31,500); more of them only take memory.
READ_AHEAD = 1
_END = object()


def _read_ahead(
    chunks: Iterator[Any],
    finish: Callable[[Any], list[Row]],
    depth: int = READ_AHEAD,
) -> Generator[Row, None, None]:
    """The rows of ``chunks``, read in a thread of its own (with its own connection) while
    the caller writes the ones before, each chunk made rows by ``finish`` in the caller's
    thread: SQLite works on a chunk without holding Python's lock (:class:`Tables`), so
    reading and writing the CSV overlap on two cores. At most ``depth`` chunks wait; the
    thread stops, and closes its connection, when the rows are all read, when reading fails
    (the error is raised here) or when the caller stops early (a download cut off)."""
    waiting: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def hand_over(item: object) -> bool:
        while not stopped.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for chunk in chunks:
                if not hand_over(chunk):
                    return
            hand_over(_END)
        except BaseException as error:  # handed over, raised in the caller's thread
            hand_over(error)
        finally:
            connections.close_all()  # this thread's own

    reader = threading.Thread(target=read, name="kring-export-reader", daemon=True)
    reader.start()
    try:
        while (item := waiting.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield from finish(item)
    finally:
        stopped.set()
        reader.join()
