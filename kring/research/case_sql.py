"""The cases dataset ("zaken") in one statement (issue 18).

An export reads the whole scope with one statement from one cursor, a chunk of rows at a time
(:func:`case_rows`); the API's pages take the next chunk of cases of the scope with the same
statement (keyset on the primary key, :func:`case_chunk_rows`). Per case it returns its
finished cells: the study ID, the codes, the durations in days, the circle, the attendance,
the plan's parts and the figures of the earliest follow-up moment. The counts are grouped in
derived tables, each filtered on an indexed foreign key with the scope's or the chunk's ids
(``IN (SELECT id FROM chunk)``; not when the scope is every case), never a subquery per case.
Before the statement reads them, the cases without a study ID get one. Local calendar days
are taken in SQL — ``AT TIME ZONE`` on PostgreSQL, :mod:`kring.research.sqlite_days` on
SQLite — and subtracted as day numbers, so Python only rounds two means and writes the cells.

The same SQL runs on both databases apart from the local day (:func:`_day`) and the quarter
(:func:`_quarter`). The result is the same, cell for cell, as the grouped queries it replaced
(``tests/research/test_export_equal.py`` compares them on generated data).
"""

# The SQL is put together from the models' table names and the project's own codes (checked
# by _quoted); every value from outside — the scope, the period, the time zone — is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import queue
import secrets
import threading
from collections.abc import Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from itertools import islice
from typing import Any, cast

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
    if connection.vendor == "postgresql":
        return f"((({expression}) AT TIME ZONE %s)::date - DATE '2000-01-01')"
    return f"{sqlite_days.DAY_NUMBER}({expression}, %s)"


def _quarter(expression: str) -> str:
    """'YYYY-Qn' of a timestamp's local day, in the inner statement (PostgreSQL; one parameter:
    the zone's name). SQLite takes it from the day number instead (:func:`_quarter_cell`)."""
    if connection.vendor == "postgresql":
        return f"to_char((({expression}) AT TIME ZONE %s)::date, 'YYYY-\"Q\"Q')"
    return "NULL"


def _quarter_cell(x: str) -> str:
    """The quarter cell of the outer statement. On SQLite from the request's day number, with
    SQLite's own date functions, instead of a second call into Python per case. (``%%`` is a
    percent sign once Django has put the statement's placeholders in.)"""
    if connection.vendor == "postgresql":
        return f"{x}.quarter"
    day = f"({sqlite_days.EPOCH_JULIAN} + {x}.requested)"
    return f"strftime('%%Y', {day}) || '-Q' || ((CAST(strftime('%%m', {day}) AS INTEGER) + 2) / 3)"


def _count_if(condition: str) -> str:
    return f"COUNT(*) FILTER (WHERE {condition})"


def _days(start: str, end: str) -> str:
    """Days from one phase's day number to the next; empty when either was not reached or the
    order is impossible (never a negative duration)."""
    return f"CASE WHEN {end} >= {start} THEN {end} - {start} END"


def _stage() -> str:
    """The furthest stage reached: the highest whose phase is in the history or whose status
    the case has now (the same ranking as :data:`kring.research.dataset.STAGES`)."""
    from kring.research.dataset import STAGE_OF, STAGES

    by_phase = {STAGE_OF[status]: column for status, column in PHASE_COLUMNS.items()}
    branches = []
    for code, _label in reversed(STAGES[1:]):
        statuses = [str(status) for status, stage in STAGE_OF.items() if stage == code]
        tests = []
        if code in by_phase:
            tests.append(f"x.{by_phase[code]} IS NOT NULL")
        if statuses:
            tests.append(f"x.status IN ({', '.join(_quoted(s) for s in statuses)})")
        branches.append(f"WHEN {' OR '.join(tests)} THEN {_quoted(code)}")
    return f"CASE {' '.join(branches)} ELSE {_quoted(STAGES[0][0])} END"


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
    phases = ", ".join(
        f"MIN(CASE WHEN to_status = {_quoted(str(status))} THEN at END) AS {name}"
        for status, name in PHASE_COLUMNS.items()
    )
    phase_list = ", ".join(_quoted(str(status)) for status in PHASE_COLUMNS)
    categories = ", ".join(
        f"{_count_if(f'category = {_quoted(value)}')} AS c_{value}" for value in Category.values
    )

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
    outcome_counts = ", ".join(
        f"{_count_if(f'o.outcome = {_quoted(code)}')} AS o_{code}" for code in OUTCOMES
    )
    yes = _quoted(str(Willingness.YES))
    no = _quoted(str(Willingness.NO))
    needed = _quoted(str(Respondent.Needed.YES))
    circle_cells = ", ".join(f"COALESCE(pc.c_{value}, 0) AS c_{value}" for value in Category.values)

    # SQLite joins the window function's result by scanning it for every case of the chunk (a
    # chunk of 4,000 cases took three times as long per case as one of 250); grouped by case,
    # which changes nothing (one row per case), it gets an index. PostgreSQL hashes it anyway.
    firsts_join = (
        "LEFT JOIN (SELECT case_id, MAX(id) AS id, MAX(months) AS months, MAX(state) AS state, "
        "MAX(first_opened) AS first_opened FROM firsts GROUP BY case_id) AS f"
        if connection.vendor == "sqlite"
        else "LEFT JOIN firsts AS f"
    ) + " ON f.case_id = ch.id"

    # The answers of the earliest moments: per moment, the respondents' figures and the
    # outcomes they gave. For every case the outcomes are counted per respondent first and
    # summed with the respondents' figures: one derived table instead of two, 1.9 s against
    # 2.1 s at 100,000 cases. With the filters to the scope that form took longer (4.3 s
    # against 3.9 s for a scope that holds every case): a chunk keeps the two (the same SQL
    # as before on SQLite and for the API's pages).
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
{firsts_join}
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
    # SQLite would flatten the subquery into this one and call the local-day function again
    # for every use of a day number (24 calls per case instead of 8); an OFFSET keeps the
    # subquery whole, so each day is worked out once per case.
    whole = " LIMIT -1 OFFSET 0" if connection.vendor == "sqlite" else ""
    return (
        f"SELECT x.id, x.study_id, x.variant, COALESCE(x.region, ''), {_quarter_cell(x)}, "
        f"x.status, "
        f"{_stage()}, {durations}, {rest} FROM ({inner}{whole}) AS x ORDER BY x.id"
    )


class Statement:
    """The chunk's SQL for one vendor, built once per export; ``every_case``: the chunk holds
    every case (:func:`_statement`)."""

    def __init__(self, *, every_case: bool = False) -> None:
        self.zone = timezone.get_current_timezone_name()
        # The case columns of the chunk are placed by the caller's queryset; the rest is fixed.
        self.template = _outer(_statement("{chunk}", every_case=every_case))
        self.zone_params = self.template.replace("{chunk}", "").count("%s")

    def sql(self, chunk_sql: str) -> str:
        # The chunk's own SQL may hold "%s" placeholders and literal "%%": neither is touched.
        return self.template.replace("{chunk}", chunk_sql)


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


def _finished(statement: Statement, fetched: list[tuple[Any, ...]]) -> list[Row]:
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


def case_chunk_rows(
    statement: Statement, scope: QuerySet[Case], after: int, size: int
) -> tuple[list[Row], list[int]]:
    """The rows of the next ``size`` cases of ``scope`` after the case ``after`` (one query,
    two more the first time a case gets its study ID), and the cases' keys."""
    found = _chunk_query(scope, after, size)
    if found is None:
        return [], []
    chunk_sql, chunk_params = found
    with connection.cursor() as cursor:
        cursor.execute(statement.sql(chunk_sql), _params(statement, chunk_params))
        fetched = cursor.fetchall()
    return _finished(statement, fetched), [record[0] for record in fetched]


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
    time, read ahead in a thread of its own (:func:`_read_ahead`)."""
    if connection.vendor != "postgresql":
        _give_study_ids(scope)
        statement = Statement()  # here: the request's time zone, not the thread's
        chunks = _case_chunks(statement, scope, size)
        if connection.in_atomic_block:
            # Another connection would not see what this transaction wrote: read it here.
            for rows in chunks:
                yield from rows
        else:
            yield from _read_ahead(chunks)
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
            yield from _finished(statement, fetched)


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
                    yield from _finished(statement, ready)
        finally:
            rows.close()  # a stream left halfway is cancelled, and the connection freed
    if late:
        yield from _finished(statement, late)


# libpq 17 sends a stream's rows in chunks (psycopg's ``stream(size=…)``); older, one by one.
CHUNKED_LIBPQ = 170000


def _case_chunks(statement: Statement, scope: QuerySet[Case], size: int) -> Iterator[list[Row]]:
    last = 0
    while True:
        rows, keys = case_chunk_rows(statement, scope, last, size)
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = keys[-1]


# Chunks the reading thread may be ahead of the writer (500 cases each: a few hundred KiB).
READ_AHEAD = 4
_END = object()


def _read_ahead(chunks: Iterator[list[Row]], depth: int = READ_AHEAD) -> Generator[Row, None, None]:
    """The rows of ``chunks``, read in a thread of its own (with its own connection) while
    the caller writes the ones before: SQLite works on a chunk without holding Python's lock,
    so reading and writing the CSV overlap on two cores (SQLite, 100,000 cases, the CSV:
    18,000-18,200 rows/s in one thread, 19,400-21,100 with this, three runs each; not twice
    as fast, because the local days' Python function takes the lock back for every value).
    At most ``depth`` chunks wait; the thread stops, and closes its connection, when the rows
    are all read, when reading fails (the error is raised here) or when the caller stops early
    (a download cut off)."""
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
            yield from cast(list[Row], item)
    finally:
        stopped.set()
        reader.join()
