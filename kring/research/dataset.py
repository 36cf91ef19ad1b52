"""The pseudonymised research datasets: what a researcher may take away, one row per case
("zaken") or one row per follow-up respondent ("antwoorden").

A row holds a study ID, codes, counts, durations in days and a quarter — never a name, a way
to reach someone, an address, a reference, a respondent's code or free text. Rows come from a
generator that reads the cases in chunks (keyset on the primary key) with a fixed number of
grouped queries per chunk, so an export of 100,000 cases needs no more memory than one of
1,000, and no query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils.functional import Promise, lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from kring.cases.models import Case, Status, Variant
from kring.circle.models import Category
from kring.followup.models import AgreementOutcome, FollowUp, Respondent
from kring.followup.study import study_ids
from kring.research import case_sql
from kring.research.period import Period

Cell = str | int | float | None
Row = list[Cell]

TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"
KINDS = {
    TEXT: _("text (a code)"),
    INTEGER: _("whole number"),
    DECIMAL: _("number with decimals (a point as decimal sign)"),
}

# Cases per chunk, and follow-up moments per chunk for the respondents' dataset. (SQLite's
# chunks wait for the writer as JSON texts, kring.research.case_sql.Tables: in chunks of 500
# an export's memory at 100,000 cases was 1.19-1.49x that at 1,000, in chunks of 250
# 1.05-1.11x, with the same rows a second.)
CASE_CHUNK = 250
FOLLOW_UP_CHUNK = 200


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str | Promise
    values: str | Promise = ""

    @property
    def kind_label(self) -> str | Promise:
        return KINDS[self.kind]


def _codes(choices: Iterable[tuple[Any, Any]]) -> str:
    """The codes a column holds with their meaning, in the language of the moment (lazy)."""
    pairs = list(choices)
    return lazy(lambda: "; ".join(f"{value} = {label}" for value, label in pairs), str)()


YES_NO = _codes([("yes", _("yes")), ("no", _("no"))])


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: str | Promise
    description: str | Promise
    columns: tuple[Column, ...]
    produce: Callable[[QuerySet[Case], Period, int | None], Iterator[Row]] = field(repr=False)

    def rows(
        self, cases: QuerySet[Case], period: Period | None = None, *, chunk_size: int | None = None
    ) -> Iterator[Row]:
        """The rows of the cases in ``cases`` (a user's research scope), each a list of cells
        in the order of :attr:`columns`: str, int, float, or None for an empty cell."""
        return self.produce(cases, period or Period(), chunk_size)


Record = dict[str, Any]


def _records(rows: Iterable[Any]) -> list[Record]:
    """The rows of a ``values()`` query, as plain dicts."""
    return list(rows)


def _row(columns: tuple[Column, ...], values: dict[str, Cell]) -> Row:
    # A KeyError here means a column without a value: every column is filled on purpose.
    return [values[column.name] for column in columns]


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


# --- The cases ("zaken") ------------------------------------------------------------------

# The furthest stage a case reached, from its history (and its status, for a case without).
STAGES = [
    ("request", _("request received")),
    ("intake", _("intake started")),
    ("accepted", _("accepted")),
    ("preparation", _("a coordinator accepted the case (preparation)")),
    ("meeting", _("the conference was held")),
    ("plan_distributed", _("everyone has the plan")),
    ("follow_up", _("follow-up")),
]
STAGE_RANK = {code: rank for rank, (code, _label) in enumerate(STAGES)}
STAGE_OF = {
    Status.REQUESTED: "request",
    Status.INTAKE: "intake",
    Status.ACCEPTED: "accepted",
    Status.COORDINATOR_ASSIGNED: "accepted",
    Status.PREPARATION: "preparation",
    Status.SCHEDULED: "preparation",
    Status.PLAN_WITHOUT_MEETING: "preparation",
    Status.HELD: "meeting",
    Status.PLAN_DISTRIBUTED: "plan_distributed",
    Status.AFTERCARE: "plan_distributed",
    Status.FOLLOW_UP: "follow_up",
}
# The phases whose date is the first history entry that reached them.
PHASES = [
    Status.INTAKE,
    Status.ACCEPTED,
    Status.PREPARATION,
    Status.HELD,
    Status.PLAN_DISTRIBUTED,
    Status.FOLLOW_UP,
]
PLAN_OUTCOMES = [
    ("undecided", _("not decided yet")),
    ("accepted", _("plan accepted")),
    ("not_accepted", _("plan not accepted")),
    ("no_plan", _("no plan")),
]
OUTCOMES = [code for code, _label in AgreementOutcome.Outcome.choices]


def _days_column(name: str, start: Promise, end: Promise) -> Column:
    return Column(
        name,
        INTEGER,
        format_lazy(
            _("Calendar days from {start} to {end}. Empty: not reached."), start=start, end=end
        ),
    )


REQUEST = _("the request")
INTAKE = _("the start of the intake")
ACCEPTED = _("the acceptance of the case")
COORDINATOR = _("the coordinator accepting the case (preparation)")
MEETING = _("the conference")
DISTRIBUTED = _("everyone having the plan")
OPENED = _("the first follow-up moment opening")

CASE_COLUMNS: tuple[Column, ...] = (
    Column(
        "study_id",
        TEXT,
        _(
            "Random study ID of the case. It is the same in every export and in both datasets, "
            "and cannot be traced back to the case without Kring's own table."
        ),
    ),
    Column("variant", TEXT, _("Variant of the conference."), _codes(Variant.choices)),
    Column("region", TEXT, _("Region of the case. Empty: the national inbox.")),
    Column(
        "requested_quarter",
        TEXT,
        _("Quarter in which the request came in, as YYYY-Qn (no exact dates)."),
    ),
    Column(
        "status", TEXT, _("Status of the case at the time of the export."), _codes(Status.choices)
    ),
    Column(
        "stage_reached",
        TEXT,
        _("The furthest stage the case reached, whatever its status now."),
        _codes(STAGES),
    ),
    _days_column("days_request_to_intake", REQUEST, INTAKE),
    _days_column("days_intake_to_accepted", INTAKE, ACCEPTED),
    _days_column("days_accepted_to_coordinator", ACCEPTED, COORDINATOR),
    _days_column("days_coordinator_to_meeting", COORDINATOR, MEETING),
    _days_column("days_request_to_meeting", REQUEST, MEETING),
    _days_column("days_meeting_to_plan_distributed", MEETING, DISTRIBUTED),
    _days_column("days_plan_distributed_to_follow_up", DISTRIBUTED, OPENED),
    *(
        Column(
            f"circle_{value}",
            INTEGER,
            format_lazy(
                _("Number of people in the circle in the category “{category}”."), category=label
            ),
        )
        for value, label in Category.choices
    ),
    Column("circle_total", INTEGER, _("Number of people in the circle.")),
    Column("took_part", INTEGER, _("Number of people in the circle who said yes to taking part.")),
    Column("declined", INTEGER, _("Number of people in the circle who said no to taking part.")),
    Column(
        "attended_information",
        INTEGER,
        _("Number of people present at the information part. Empty: no meeting."),
    ),
    Column(
        "attended_private_time",
        INTEGER,
        _("Number of people present at the private time. Empty: no meeting."),
    ),
    Column(
        "attended_plan",
        INTEGER,
        _("Number of people present at the presentation of the plan. Empty: no meeting."),
    ),
    Column(
        "plan_outcome",
        TEXT,
        _("Outcome of the plan. Empty: no plan was started."),
        _codes(PLAN_OUTCOMES),
    ),
    Column("plan_agreements", INTEGER, _("Number of agreements in the plan. Empty: no plan.")),
    Column(
        "plan_requests",
        INTEGER,
        _("Number of requests to organisations in the plan. Empty: no plan."),
    ),
    Column(
        "plan_evaluations", INTEGER, _("Number of evaluation moments in the plan. Empty: no plan.")
    ),
    Column(
        "plan_versions", INTEGER, _("Number of finalised versions of the plan. Empty: no plan.")
    ),
    Column(
        "plan_copies_delivered",
        INTEGER,
        _("Number of copies of the plan delivered (email sent or letter printed). Empty: no plan."),
    ),
    Column(
        "follow_up_months",
        INTEGER,
        _(
            "Months after the meeting of the earliest follow-up moment; the follow-up columns "
            "below are about this moment. Empty: no follow-up."
        ),
    ),
    Column(
        "follow_up_state",
        TEXT,
        _("State of the earliest follow-up moment."),
        _codes(FollowUp.State.choices),
    ),
    Column("follow_up_respondents", INTEGER, _("Number of people asked at that moment.")),
    Column("follow_up_answered", INTEGER, _("Number of people who answered.")),
    Column("follow_up_declined", INTEGER, _("Number of people who declined to answer.")),
    Column(
        "agreements_done",
        INTEGER,
        _("Answers “done”, over all agreements and respondents."),
    ),
    Column(
        "agreements_partly", INTEGER, _("Answers “partly”, over all agreements and respondents.")
    ),
    Column("agreements_not", INTEGER, _("Answers “not”, over all agreements and respondents.")),
    Column(
        "agreements_not_relevant",
        INTEGER,
        _("Answers “no longer relevant”, over all agreements and respondents."),
    ),
    Column(
        "better_mean",
        DECIMAL,
        _(
            "Mean answer to “is the situation better than before the conference?” "
            "(1 much worse … 5 much better). Empty: no answers."
        ),
    ),
    Column(
        "satisfaction_mean",
        DECIMAL,
        _("Mean satisfaction with the conference (1–10). Empty: no answers."),
    ),
    Column(
        "recommend_yes",
        INTEGER,
        _("Number of people who would recommend an Eigen Kracht-conferentie to others."),
    ),
    Column(
        "new_conference_yes",
        INTEGER,
        _("Number of people who think a new conference is needed."),
    ),
)


CIRCLE_CATEGORY_COLUMNS = tuple(f"circle_{category}" for category in Category.values)
PLAN_PARTS = (
    "plan_agreements",
    "plan_requests",
    "plan_evaluations",
    "plan_versions",
    "plan_copies_delivered",
)


def case_rows(
    cases: QuerySet[Case], period: Period, chunk_size: int | None = None
) -> Iterator[Row]:
    """The cases read a chunk at a time: on PostgreSQL from one statement for them all, on
    SQLite one statement per chunk (kring/research/case_sql.py)."""
    return case_sql.case_rows(period.apply(cases), chunk_size or CASE_CHUNK)


# --- The respondents ("antwoorden") -------------------------------------------------------

RESPONDENT_COLUMNS: tuple[Column, ...] = (
    Column("study_id", TEXT, _("Study ID of the case: the same as in the cases dataset.")),
    Column("follow_up_months", INTEGER, _("Months after the meeting of this follow-up moment.")),
    Column(
        "respondent",
        INTEGER,
        _(
            "Number of the respondent within this follow-up moment (1, 2, 3 …). Not the code "
            "the respondent was given, and not the same person at another moment."
        ),
    ),
    Column(
        "category",
        TEXT,
        _("Who the respondent is in the circle."),
        _codes(Category.choices),
    ),
    Column("answered", TEXT, _("Whether the respondent answered."), YES_NO),
    Column("declined", TEXT, _("Whether the respondent declined to answer."), YES_NO),
    Column(
        "answered_via",
        TEXT,
        _("How the answers were given. Empty: not answered."),
        _codes(Respondent.Via.choices),
    ),
    Column(
        "better",
        INTEGER,
        _("Is the situation better than before the conference? Empty: not answered."),
        _codes(Respondent.Better.choices),
    ),
    Column(
        "satisfaction",
        INTEGER,
        _("How satisfied with the conference, 1 (not at all) to 10. Empty: not answered."),
    ),
    Column(
        "recommend",
        TEXT,
        _("Would recommend an Eigen Kracht-conferentie to others. Empty: not answered."),
        YES_NO,
    ),
    Column(
        "new_conference",
        TEXT,
        _("Is a new conference needed? Empty: not answered."),
        _codes(Respondent.Needed.choices),
    ),
    Column("agreements_done", INTEGER, _("Agreements this respondent says were done.")),
    Column("agreements_partly", INTEGER, _("Agreements this respondent says were partly done.")),
    Column("agreements_not", INTEGER, _("Agreements this respondent says were not done.")),
    Column(
        "agreements_not_relevant",
        INTEGER,
        _("Agreements this respondent says are no longer relevant."),
    ),
)


def respondent_rows(
    cases: QuerySet[Case], period: Period, chunk_size: int | None = None
) -> Iterator[Row]:
    """Chunked by follow-up moment, so a respondent's number is counted within its moment."""
    size = chunk_size or FOLLOW_UP_CHUNK
    scope = _follow_up_scope(cases, period)
    last = 0
    while True:
        chunk = _follow_up_records(scope, last, size)
        if not chunk:
            return
        yield from _respondent_chunk(chunk)
        if len(chunk) < size:
            return
        last = chunk[-1]["pk"]


def respondent_count(cases: QuerySet[Case]) -> int:
    """The rows of the answers' dataset for these cases (one query)."""
    return Respondent.objects.filter(follow_up__case__in=cases.values("pk")).count()


def _follow_up_scope(cases: QuerySet[Case], period: Period) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(
        Exists(Respondent.objects.filter(follow_up=OuterRef("pk"))),
        case__in=period.apply(cases).values("pk"),
    )


def _follow_up_records(scope: QuerySet[FollowUp], after: int, size: int) -> list[dict[str, Any]]:
    return _records(
        scope.filter(pk__gt=after).order_by("pk").values("pk", "case_id", "months")[:size]
    )


def _respondent_chunk(chunk: list[dict[str, Any]]) -> Iterator[Row]:
    """The rows of one chunk of follow-up moments: four queries."""
    moments = {moment["pk"]: moment for moment in chunk}
    study = study_ids({moment["case_id"] for moment in chunk})
    respondents = _records(
        Respondent.objects.filter(follow_up_id__one_of=moments)
        .order_by("follow_up_id", "pk")
        .values(
            "pk",
            "follow_up_id",
            "category",
            "answered_at",
            "declined_at",
            "answered_via",
            "better",
            "satisfaction",
            "recommend",
            "new_conference",
        )
    )
    outcomes: dict[int, dict[str, int]] = defaultdict(dict)
    for row in _records(
        AgreementOutcome.objects.filter(respondent_id__one_of=[r["pk"] for r in respondents])
        .values("respondent_id", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        outcomes[row["respondent_id"]][row["outcome"]] = row["n"]
    number = 0
    current = None
    for respondent in respondents:
        if respondent["follow_up_id"] != current:
            current, number = respondent["follow_up_id"], 0
        number += 1
        moment = moments[respondent["follow_up_id"]]
        answered = respondent["answered_at"] is not None
        done = outcomes.get(respondent["pk"], {})
        values: dict[str, Cell] = {
            "study_id": study[moment["case_id"]],
            "follow_up_months": moment["months"],
            "respondent": number,
            "category": respondent["category"],
            "answered": _yes_no(answered),
            "declined": _yes_no(respondent["declined_at"] is not None),
            "answered_via": respondent["answered_via"] or None,
            "better": respondent["better"],
            "satisfaction": respondent["satisfaction"],
            "recommend": _yes_no(respondent["recommend"]),
            "new_conference": respondent["new_conference"] or None,
        }
        for outcome in OUTCOMES:
            values[f"agreements_{outcome}"] = done.get(outcome, 0)
        yield _row(RESPONDENT_COLUMNS, values)


CASES = Dataset(
    "zaken",
    _("Cases"),
    _(
        "One row per case: variant, region, quarter of the request, how far it got and how "
        "long each phase took, the circle by category, attendance, the plan, and the figures "
        "of its earliest follow-up moment."
    ),
    CASE_COLUMNS,
    case_rows,
)
RESPONDENTS = Dataset(
    "antwoorden",
    _("Follow-up answers"),
    _(
        "One row per person asked at a follow-up moment: their category in the circle and "
        "their answers. Linked to the cases dataset by the study ID."
    ),
    RESPONDENT_COLUMNS,
    respondent_rows,
)
DATASETS: dict[str, Dataset] = {dataset.slug: dataset for dataset in (CASES, RESPONDENTS)}


# --- Pages (the API's cursor pagination) --------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a dataset's rows, and the key to continue after (None: the last page)."""

    rows: list[Row]
    after: int | None


def case_page(cases: QuerySet[Case], period: Period, after: int, size: int) -> Page:
    """``size`` cases after the case ``after``: the same rows as :func:`case_rows` gives for
    them, in the same order, in one query (the next page's first case read along)."""
    with case_sql.without_jit():
        rows, keys = case_sql.case_chunk_rows(
            case_sql.statement(), period.apply(cases), after, size + 1
        )
    more = len(rows) > size
    return Page(rows[:size], keys[size - 1] if more else None)


def respondent_page(cases: QuerySet[Case], period: Period, after: int, size: int) -> Page:
    """The respondents of ``size`` follow-up moments after the moment ``after``."""
    chunk = _follow_up_records(_follow_up_scope(cases, period), after, size + 1)
    more = len(chunk) > size
    chunk = chunk[:size]
    rows = list(_respondent_chunk(chunk)) if chunk else []
    return Page(rows, chunk[-1]["pk"] if more else None)


PAGES: dict[str, Callable[[QuerySet[Case], Period, int, int], Page]] = {
    CASES.slug: case_page,
    RESPONDENTS.slug: respondent_page,
}
