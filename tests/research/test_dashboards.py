"""The dashboard (GET /onderzoek/): figures over the user's scope, as SVG charts and as tables.

A small hand-built cohort checks the numbers; the demo generator at two sizes checks that the
page's number of queries does not grow with the data."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.accounts.models import Organisation
from kring.audit.models import AccessLog
from kring.cases.models import Case, CaseEvent, Status
from kring.circle.models import Participant
from kring.demo import personas
from kring.followup.models import FollowUp, Respondent
from kring.meetings.models import CostItem
from kring.plans.models import Agreement, Plan
from kring.research import charts, figures
from kring.research.period import ClosedPeriod
from tests.factories import (
    CaseFactory,
    UserFactory,
    add_follow_up,
    add_meeting,
    add_people,
    add_plan,
    add_respondent,
    agreements_of,
    at,
    case_with_history,
    grow,
)

YEAR_2026 = ClosedPeriod(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
PERIOD_2026 = {"from": "2026-01-01", "to": "2026-12-31"}


@dataclass
class Cohort:
    a: Case  # West, the whole way to answered follow-up
    b: Case  # West, coordinator asked
    c: Case  # West, declined after intake
    d: Case  # Zuid, the whole way
    e: Case  # West, requested in 2025
    agreements: list[Agreement]


def build_cohort(world) -> Cohort:
    """Five cases with a hand-checked history (see the expected numbers in the tests)."""
    # world.case was requested "now": move it out of the period under test.
    Case.objects.filter(pk=world.case.pk).update(requested_at=at("2024-02-01"))
    a = case_with_history(
        at("2026-03-02"),
        [
            (Status.INTAKE, at("2026-03-03")),
            (Status.ACCEPTED, at("2026-03-05")),
            (Status.COORDINATOR_ASSIGNED, at("2026-03-09")),
            (Status.PREPARATION, at("2026-03-10")),
            (Status.SCHEDULED, at("2026-03-20")),
            (Status.HELD, at("2026-04-10")),
            (Status.PLAN_DISTRIBUTED, at("2026-04-15")),
            (Status.AFTERCARE, at("2026-05-12")),
            (Status.FOLLOW_UP, at("2026-05-12")),
        ],
        region=world.west,
        intake_on=dt.date(2026, 3, 4),
        requester_name="Hendrik Aanvrager",
        requester_email="hendrik@aanvrager.test",
        requester_phone="06-98765432",
        address="Lindenlaan 17",
    )
    b = case_with_history(
        at("2026-05-04"),
        [
            (Status.INTAKE, at("2026-05-05")),
            (Status.ACCEPTED, at("2026-05-07")),
            (Status.COORDINATOR_ASSIGNED, at("2026-05-13")),
        ],
        region=world.west,
    )
    c = case_with_history(
        at("2026-06-01"),
        [(Status.INTAKE, at("2026-06-08")), (Status.DECLINED, at("2026-06-11"))],
        region=world.west,
        intake_on=dt.date(2026, 6, 10),
    )
    d = case_with_history(
        at("2026-04-01"),
        [
            (Status.INTAKE, at("2026-04-02")),
            (Status.ACCEPTED, at("2026-04-03")),
            (Status.COORDINATOR_ASSIGNED, at("2026-04-06")),
            (Status.PREPARATION, at("2026-04-07")),
            (Status.SCHEDULED, at("2026-04-20")),
            (Status.HELD, at("2026-05-20")),
            (Status.PLAN_DISTRIBUTED, at("2026-05-22")),
        ],
        region=world.zuid,
    )
    e = case_with_history(at("2025-06-01"), [(Status.INTAKE, at("2025-06-02"))], region=world.west)
    e_next = CaseEvent.objects.create(
        case=e, action="status.changed", to_status=Status.ACCEPTED, at=at("2025-06-03")
    )
    assert e_next.pk

    # Case A: a meeting of four invited, three present; a plan of two agreements and one
    # request to an organisation; two answers at the follow-up and one still open.
    a_people = add_people(a, 4, "Anna", research_consent=True)
    add_meeting(
        a,
        at("2026-04-10", 19),
        attended=zip(
            a_people,
            [(True, True, True), (True, False, True), (False, False, True), (False, False, False)],
            strict=True,
        ),
    )
    plan = add_plan(
        a,
        ["De muziek gaat om tien uur zachter.", "Samen het trappenhuis schoonmaken."],
        outcome=Plan.Outcome.ACCEPTED,
        requests=[
            {"organisation": "Woningcorporatie", "request": "Verlichting repareren", "reply": "yes"}
        ],
    )
    agreements = agreements_of(plan)
    follow_up = add_follow_up(a, 3, dt.date(2026, 7, 10), state=FollowUp.State.OPEN)
    add_respondent(
        follow_up,
        a_people[0],
        outcomes=dict(zip(agreements, ["done", "partly"], strict=True)),
        answered_at=at("2026-07-20"),
        satisfaction=8,
        better=Respondent.Better.BETTER,
    )
    add_respondent(
        follow_up,
        a_people[1],
        outcomes=dict(zip(agreements, ["done", "not"], strict=True)),
        answered_at=at("2026-07-25"),
        satisfaction=6,
        better=Respondent.Better.SAME,
    )
    # Never answered: must not count.
    add_respondent(
        follow_up, a_people[2], outcomes=dict(zip(agreements, ["not", "not"], strict=True))
    )

    # Case D (Zuid): six people at every part, one answer.
    d_people = add_people(d, 6, "Dirk", research_consent=True)
    add_meeting(
        d, at("2026-05-20", 19), attended=[(person, (True, True, True)) for person in d_people]
    )
    d_plan = add_plan(d, ["Elke maand koffie."], outcome=Plan.Outcome.ACCEPTED)
    add_respondent(
        add_follow_up(d, 3, dt.date(2026, 8, 20)),
        d_people[0],
        outcomes={agreements_of(d_plan)[0]: "not_relevant"},
        answered_at=at("2026-08-25"),
        satisfaction=9,
        better=Respondent.Better.MUCH_BETTER,
    )
    return Cohort(a, b, c, d, e, agreements)


def secrets_of(*cases: Case) -> set[str]:
    """Every name, email, phone number and street of the people of ``cases``."""
    found: set[str] = set()
    for case in Case.objects.filter(pk__in=[c.pk for c in cases]):
        found |= {case.requester_name, case.requester_email, case.requester_phone, case.address}
    for person in Participant.objects.filter(case__in=cases):
        found |= {person.name, person.email, person.phone}
    return {s for s in found if s and len(s) > 3}


def get(client, url, data=None):
    return client.get(url, data or {}, HTTP_ACCEPT_LANGUAGE="en")


# --- The figures ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_funnel_counts_each_case_once_per_stage_reached(world):
    cohort = build_cohort(world)
    # A second follow-up answer and a repeated status must not count the case twice.
    CaseEvent.objects.create(case=cohort.a, to_status=Status.HELD, at=at("2026-04-11"))

    west = figures.funnel(Case.objects.filter(region=world.west), YEAR_2026)
    assert [(stage.key, stage.count) for stage in west] == [
        ("requested", 3),
        ("accepted", 2),
        ("coordinator", 1),
        ("meeting", 1),
        ("plan", 1),
        ("follow_up", 1),
    ]
    assert [stage.share for stage in west] == [100, 67, 33, 33, 33, 33]

    everywhere = figures.funnel(Case.objects.all(), YEAR_2026)
    assert [stage.count for stage in everywhere] == [4, 3, 2, 2, 2, 2]


@pytest.mark.django_db
def test_the_median_days_per_phase_against_the_norm(world, settings):
    settings.KRING_NORM_INTAKE_DAYS = 5
    settings.KRING_NORM_ASSIGNMENT_DAYS = 2
    settings.KRING_AFTERCARE_DAYS = 28
    build_cohort(world)
    phases = {
        phase.key: phase
        for phase in figures.phases(
            Case.objects.filter(region=world.west), YEAR_2026, today=dt.date(2026, 6, 12)
        )
    }
    # Intake: A 2 days (the conversation's date), B 1 (no date: the start of the intake),
    # C 9 days = 7 working days, over the 5.
    assert (phases["intake"].median, phases["intake"].count, phases["intake"].over) == (2, 3, 1)
    assert phases["intake"].share_over == 33
    assert phases["intake"].norm_text == "5 working days (about 7 days)"
    # Asking a coordinator: A 4 days (2 working days: on time), B 6 days (4 working days).
    assert (phases["assignment"].median, phases["assignment"].over) == (5.0, 1)
    assert phases["meeting"].median == 39 and phases["meeting"].over == 0
    assert phases["plan"].median == 5 and phases["plan"].norm_days is None
    assert (phases["aftercare"].median, phases["aftercare"].over) == (32, 1)
    # The plan of 15 April, the first answer on 20 July: past three months.
    assert (phases["follow_up"].median, phases["follow_up"].over) == (96, 1)
    # B waits for its meeting, but on 12 June it is 39 days since the request: within 70.
    assert phases["meeting"].waiting_over == 0
    later = {
        phase.key: phase
        for phase in figures.phases(
            Case.objects.filter(region=world.west), YEAR_2026, today=dt.date(2026, 8, 1)
        )
    }
    assert later["meeting"].waiting_over == 1


@pytest.mark.django_db
def test_attendance_per_part_and_meeting_sizes(world):
    build_cohort(world)
    west = figures.attendance(Case.objects.filter(region=world.west), YEAR_2026)
    assert west.meetings == 1 and west.unrecorded == 0
    assert {part.key: part.mean for part in west.parts} == {
        "information": 2,
        "private_time": 1,
        "plan": 3,
        "present": 3,
    }
    assert [(bucket.label, bucket.count) for bucket in west.sizes][:2] == [("1–5", 1), ("6–10", 0)]
    everywhere = figures.attendance(Case.objects.all(), YEAR_2026)
    assert {part.key: part.median for part in everywhere.parts}["information"] == 4
    assert [bucket.count for bucket in everywhere.sizes] == [1, 1, 0, 0, 0]


@pytest.mark.django_db
def test_plan_execution_at_the_follow_up(world):
    build_cohort(world)
    west = figures.execution(Case.objects.filter(region=world.west), YEAR_2026)
    assert [(o.key, o.count, o.share) for o in west.outcomes] == [
        ("done", 2, 50),
        ("partly", 1, 25),
        ("not", 1, 25),
        ("not_relevant", 0, 0),
    ]
    assert (west.rated, west.respondents, west.cases) == (4, 2, 1)
    assert west.mean_satisfaction == 7.0
    assert (west.better, west.better_answers, west.share_better) == (1, 2, 50)


@pytest.mark.django_db
def test_requests_per_month_per_region(world):
    build_cohort(world)
    requests = figures.requests_per_month(Case.objects.all(), YEAR_2026)
    assert len(requests.months) == 12
    by_label = {s.label: s.values for s in requests.series}
    assert list(by_label) == ["West", "Zuid"]
    assert by_label["West"][2] == 1 and by_label["West"][4] == 1 and by_label["West"][5] == 1
    assert by_label["Zuid"][3] == 1
    assert requests.total == 4
    CaseFactory(region=None, requested_at=at("2026-12-31", 23))
    inbox = figures.requests_per_month(Case.objects.all(), YEAR_2026)
    assert inbox.series[-1].label == "national inbox"
    assert inbox.series[-1].values[11] == 1


def test_a_period_covers_whole_days_and_months():
    period = ClosedPeriod(dt.date(2025, 11, 15), dt.date(2026, 2, 3))
    assert period.months() == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]
    assert timezone.localtime(period.end_at).date() == dt.date(2026, 2, 4)
    default = ClosedPeriod.last_twelve_months(dt.date(2026, 11, 30))
    assert (default.start, default.end) == (dt.date(2025, 12, 1), dt.date(2026, 11, 30))


# --- The page -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_sees_only_their_regions(world, client):
    build_cohort(world)
    client.force_login(world.manager)
    response = get(client, reverse("dashboard"), PERIOD_2026)
    assert response.status_code == 200
    assert "Figures for your regions: West." in response.text
    assert [stage.count for stage in response.context["figures"].funnel] == [3, 2, 1, 1, 1, 1]
    # A region the manager does not manage cannot be chosen.
    response = get(client, reverse("dashboard"), {**PERIOD_2026, "region": world.zuid.pk})
    assert next(stage.count for stage in response.context["figures"].funnel) == 3

    client.force_login(world.other_manager)
    response = get(client, reverse("dashboard"), PERIOD_2026)
    assert [stage.count for stage in response.context["figures"].funnel] == [1, 1, 1, 1, 1, 1]


@pytest.mark.django_db
def test_researchers_see_every_region_and_may_narrow_to_one(world, client):
    build_cohort(world)
    for user in (world.researcher, world.administrator):
        client.force_login(user)
        response = get(client, reverse("dashboard"), PERIOD_2026)
        assert "National figures" in response.text
        assert response.context["figures"].funnel[0].count == 4
        response = get(client, reverse("dashboard"), {**PERIOD_2026, "region": world.zuid.pk})
        assert "Figures for Zuid." in response.text
        assert response.context["figures"].funnel[0].count == 1
        response = get(client, reverse("dashboard"), {**PERIOD_2026, "region": "inbox"})
        assert response.context["figures"].funnel[0].count == 0


@pytest.mark.django_db
def test_the_charts_are_accessible_svg_with_the_same_numbers_in_a_table(world, client, monkeypatch):
    monkeypatch.setattr(figures, "MIN_RESPONDENTS", 1)  # the cohort's few answers are shown
    build_cohort(world)
    client.force_login(world.manager)
    response = get(client, reverse("dashboard"), PERIOD_2026)
    body = response.text
    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", body, re.S)
    assert len(svgs) == 6
    for svg in svgs:
        opening = svg[: svg.index(">")]
        assert 'role="img"' in opening
        labelled = re.search(r'aria-labelledby="([^"]+)"', opening)
        described = re.search(r'aria-describedby="([^"]+)"', opening)
        assert labelled and described
        assert f'<title id="{labelled.group(1)}">' in svg
        assert f'<desc id="{described.group(1)}">' in svg
        assert "style=" not in svg and "<script" not in svg
    funnel_svg = next(svg for svg in svgs if "chart-funnel" in svg)
    funnel_table = body[body.index("Cases per stage reached") :]
    funnel_table = funnel_table[: funnel_table.index("</table>")]
    for label, count, share in [
        ("Request", 3, 100),
        ("Accepted", 2, 67),
        ("Coordinator accepted", 1, 33),
        ("Follow-up answered", 1, 33),
    ]:
        assert f"{count} ({share} %)" in funnel_svg
        assert re.search(
            rf'scope="row">{label}</th>\s*<td[^>]*>{count}</td>\s*<td[^>]*>{share} %</td>',
            funnel_table,
        ), label
    execution_svg = next(svg for svg in svgs if "chart-execution" in svg)
    assert "done: 2 (50 %)" in execution_svg
    assert re.search(r'scope="row">Done</th>\s*<td[^>]*>2</td>\s*<td[^>]*>50 %</td>', body)
    assert "7.0" in body  # mean satisfaction
    phases_svg = next(svg for svg in svgs if "chart-phases" in svg)
    assert "median 39 days" in phases_svg and "stroke-dasharray" in phases_svg


@pytest.mark.django_db
def test_no_name_email_phone_or_street_on_the_dashboard(world, client):
    cohort = build_cohort(world)
    secrets = secrets_of(cohort.a, cohort.b, cohort.c, cohort.d)
    assert len(secrets) > 10
    for user in (world.manager, world.researcher, world.administrator):
        client.force_login(user)
        body = get(client, reverse("dashboard"), PERIOD_2026).text
        assert [s for s in secrets if s in body] == []
        assert cohort.a.reference not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"from": "garbage"},
        {"from": "2026-02-30"},
        {"from": "2026-06-01", "to": "2026-01-01"},
        {"from": "0001-01-01", "to": "2026-01-01"},
        {"from": "1990-01-01", "to": "2026-01-01"},
        {"from": "2000-01-01", "to": "2099-12-31"},
        {"to": "9999-12-31"},
        {"region": "nowhere"},
    ],
)
def test_a_bad_period_shows_a_message_not_an_error(world, client, query):
    client.force_login(world.researcher)
    response = get(client, reverse("dashboard"), query)
    assert response.status_code == 400
    assert "utrecht-form-field-error-message" in response.text
    assert "<svg" not in response.text


@pytest.mark.django_db
def test_an_empty_or_partial_period_falls_back_to_the_last_twelve_months(world, client):
    client.force_login(world.researcher)
    for query in ({}, {"from": "", "to": ""}, {"to": "2026-05-31"}):
        response = get(client, reverse("dashboard"), query)
        assert response.status_code == 200
    period = response.context["figures"].period
    assert (period.start, period.end) == (dt.date(2025, 6, 1), dt.date(2026, 5, 31))


@pytest.mark.django_db
def test_who_may_see_the_dashboard(world, client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and "login" in response["Location"]
    for user in (world.coordinator, world.other_coordinator):
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == 404
    for user in (world.manager, world.researcher, world.administrator):
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_looking_at_the_dashboard_is_logged_without_anyone_in_it(world, client):
    client.force_login(world.researcher)
    get(client, reverse("dashboard"), {**PERIOD_2026, "region": world.west.pk})
    entry = AccessLog.objects.get(object_type="dashboard")
    assert (entry.user_id, entry.action, entry.object_id) == (
        world.researcher.pk,
        "view",
        str(world.west.pk),
    )
    assert entry.person_type == "" and entry.person_id == "" and entry.case_reference == ""


@pytest.mark.django_db
def test_the_navigation_shows_each_role_its_research_pages(world, client):
    def links(user) -> set[str]:
        client.force_login(user)
        nav = get(client, reverse("start")).text
        nav = nav[nav.index('class="kring-nav"') : nav.index("</nav>")]
        return {
            name
            for name in ("dashboard", "follow_ups", "datasets", "financiers")
            if f'href="{reverse(name)}"' in nav
        }

    assert links(world.researcher) == {"dashboard", "follow_ups", "datasets", "financiers"}
    assert links(world.manager) == {"dashboard", "financiers"}
    assert links(world.administrator) == {"dashboard", "financiers"}
    assert links(world.coordinator) == set()


# --- Query counts ---------------------------------------------------------------------------


def count_queries(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_dashboard_runs_as_many_queries_for_30_cases_as_for_150(world, client):
    regions = personas.ensure_reference_data()
    personas.ensure_staff(regions)
    grow(30)
    assert Respondent.objects.exists() and CostItem.objects.exists()
    url = reverse("dashboard")
    small = {}
    for user in (world.manager, world.researcher):
        client.force_login(user)
        client.get(url)  # the first request of a session sets it up
        small[user.pk] = (
            count_queries(client, url),
            count_queries(client, url, {"region": world.west.pk}),
        )
    grow(120)
    assert Case.objects.count() > 150
    for user in (world.manager, world.researcher):
        client.force_login(user)
        client.get(url)
        large = (
            count_queries(client, url),
            count_queries(client, url, {"region": world.west.pk}),
        )
        assert large == small[user.pk]


# --- The charts themselves -------------------------------------------------------------------


def contrast(colour: str, against: str = "#ffffff") -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted([luminance(colour), luminance(against)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_every_chart_colour_stands_out_against_white():
    for colour in (*charts.PALETTE, charts.NORM, charts.AXIS):
        assert contrast(colour) >= 3, colour
    assert contrast(charts.TEXT) >= 4.5 and contrast(charts.MUTED) >= 4.5


def test_series_differ_by_pattern_as_well_as_colour():
    styles = [charts._style(i) for i in range(12)]
    assert len(set(styles)) == 12
    assert len({pattern for _colour, pattern in styles[:6]}) == 6


def test_chart_labels_are_escaped():
    nasty = '<script>alert("x")</script> & "quotes"'
    svg = charts.column_chart(
        [nasty, "b"],
        [charts.Series(nasty, [1, 2]), charts.Series("two", [0, 3])],
        title=nasty,
        desc=nasty,
        id_prefix="nasty",
    )
    svg += charts.bar_chart(
        [charts.Bar(nasty, 3, nasty, norm=2)], title=nasty, desc=nasty, id_prefix="bars"
    )
    svg += charts.share_bar([charts.Share(nasty, 1)], title=nasty, desc=nasty, id_prefix="share")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    with pytest.raises(ValueError):
        charts.share_bar([], title="t", desc="d", id_prefix='x" onload="alert(1)')


def test_an_empty_chart_is_still_a_chart():
    svg = charts.share_bar(
        [charts.Share("done", 0), charts.Share("not", 0)], title="t", desc="d", id_prefix="empty"
    )
    assert 'role="img"' in svg and "No answers yet." in svg
    svg = charts.column_chart(["Jan"], [], title="t", desc="d", id_prefix="none")
    assert 'role="img"' in svg


@pytest.mark.django_db
def test_a_financier_funding_is_not_needed_for_the_dashboard(world, client):
    """A case without funding, meeting or plan counts as a request and nothing more."""
    Case.objects.filter(pk=world.case.pk).update(requested_at=at("2024-02-01"))
    CaseFactory(region=world.west, requested_at=at("2026-02-02"))
    Organisation.objects.create(name="Niemand")
    client.force_login(world.manager)
    response = get(client, reverse("dashboard"), PERIOD_2026)
    assert [stage.count for stage in response.context["figures"].funnel] == [1, 0, 0, 0, 0, 0]
    assert response.context["figures"].attendance.meetings == 0
    assert response.context["figures"].execution.mean_satisfaction is None


@pytest.mark.django_db
def test_a_manager_of_no_region_sees_empty_figures(world, client):
    lonely = UserFactory(is_regional_manager=True)
    client.force_login(lonely)
    response = get(client, reverse("dashboard"))
    assert response.status_code == 200
    assert "You manage no region yet" in response.text
    assert response.context["figures"].funnel[0].count == 0
