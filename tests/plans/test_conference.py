"""Phase 4, the conference: attendance per part (nothing of the private time but who was
there), endorsement, bottom lines, the outcome; and the side exits from the preparation (a
plan without a meeting, stopping)."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.audit.models import AccessLog
from kring.cases.models import Assignment, BottomLine, Case, CaseEvent, ConferenceQuestion, Status
from kring.circle.models import Participant
from kring.meetings.models import Attendance, Meeting
from kring.plans import distribution, document, services
from kring.plans.models import Endorsement, Plan
from tests.factories import case_in_status

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def circle(world):
    ConferenceQuestion.objects.create(case=world.case, text="Hoe kan de overlast stoppen?")
    people = {
        "ayse": ("Ayse Kaya", "resident", "yes", ""),
        "bram": ("Bram Smit", "resident", "yes", ""),
        "carla": ("Carla Dekker", "neighbour", "yes", ""),
        "dirk": ("Dirk Bos", "resident", "no", ""),
        "henk": ("Henk de Wit", "police", "yes", "Politie Amsterdam"),
    }
    return {
        key: Participant.objects.create(
            case=world.case,
            name=name,
            email=f"{key}@voorbeeld.test",
            category=category,
            willingness=willing,
            organisation=organisation,
        )
        for key, (name, category, willing, organisation) in people.items()
    }


def days_from_now(days, hour=19, minute=30):
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


def meeting_on(case, days):
    """A case scheduled for a meeting ``days`` from today (negative: in the past)."""
    start = days_from_now(days)
    meeting = Meeting.objects.create(
        case=case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )
    Case.objects.filter(pk=case.pk).update(status=Status.SCHEDULED)
    case.refresh_from_db()
    return meeting


@pytest.fixture
def held(world, circle):
    return meeting_on(world.case, -1)


def url(name, case, *args):
    return reverse(name, args=[case.reference, *args])


def ticks(circle, meeting, marks, *, professionals_leave=True, version=None):
    """The attendance form's data: ``marks`` maps a person to the parts they were there for
    ("i", "p", "a" for information, private time, plan)."""
    data = {"version": version or meeting.version}
    if professionals_leave:
        data["professionals_leave"] = "on"
    for key, parts in marks.items():
        pk = circle[key].pk
        for letter, part in (("i", "information"), ("p", "private_time"), ("a", "plan")):
            if letter in parts:
                data[f"p{pk}_{part}"] = "on"
    return data


PRESENT = {"ayse": "ipa", "bram": "ia", "henk": "ia", "dirk": "i"}


# --- Attendance ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_explains_the_three_parts_and_lists_everyone(world, client, held, circle):
    client.force_login(world.coordinator)
    response = client.get(url("conference", world.case))
    assert response.status_code == 200
    text = response.text
    for part in ("Information.", "Private time.", "Presentation and acceptance of the plan."):
        assert part in text
    assert "Kring records only who was in the room, never what was said" in text
    # One row per participant, declined ones too; a label for every box.
    for person in circle.values():
        assert f'<th class="utrecht-table__cell" scope="row">{person.name}' in text
        for part in ("information", "private time", "presentation of the plan"):
            assert f"{person.name}: {part}</label>" in text
    assert "said no to taking part" in text
    assert "(professional, Politie Amsterdam)" in text
    assert f'name="version" value="{held.version}"' in text
    assert 'name="professionals_leave"' in text and "checked" in text
    # Who was shown is logged.
    logged = set(
        AccessLog.objects.filter(object_type="conference", person_type="participant").values_list(
            "person_id", flat=True
        )
    )
    assert logged == {str(p.pk) for p in circle.values()}


@pytest.mark.django_db
def test_attendance_is_recorded_per_part_and_the_conference_is_held(world, client, held, circle):
    client.force_login(world.coordinator)
    data = ticks(circle, held, PRESENT)
    # Whatever else is sent, nothing of the private time is stored: there is no field for it.
    data["private_time_notes"] = "Ayse zei dat ze bang is."
    response = client.post(url("conference", world.case), data, follow=True)
    assert response.status_code == 200
    assert (
        "Attendance is recorded: 4 at the information, 1 in the private time, 3 at the "
        "presentation of the plan." in response.text
    )
    rows = {
        a.participant_id: (a.information, a.private_time, a.plan)
        for a in Attendance.objects.filter(meeting=held)
    }
    assert rows == {
        circle["ayse"].pk: (True, True, True),
        circle["bram"].pk: (True, False, True),
        circle["henk"].pk: (True, False, True),
        circle["dirk"].pk: (True, False, False),  # said no, came after all
    }
    assert Attendance.objects.get(participant=circle["ayse"]).recorded_by == world.coordinator
    case = Case.objects.get(pk=world.case.pk)
    assert case.status == Status.HELD
    assert CaseEvent.objects.filter(
        case=case, action="meeting.attendance", actor=world.coordinator, data={"present": 4}
    ).exists()
    assert CaseEvent.objects.filter(
        case=case, action="status.changed", from_status="scheduled", to_status="held"
    ).exists()
    # No text field on attendance or meeting can hold what was said.
    text_fields = {
        f.name
        for f in Attendance._meta.get_fields()
        if f.get_internal_type() in ("TextField", "CharField")
    }
    assert text_fields == set()
    assert "bang" not in str(list(CaseEvent.objects.filter(case=case).values()))
    # The counts per part show on the page; the form is there to correct it.
    assert "There (recorded)" in response.text
    assert response.context["counts"] == {"information": 4, "private_time": 1, "plan": 3}
    # Correcting: Dirk was not there after all.
    data = ticks(circle, Meeting.objects.get(pk=held.pk), {**PRESENT, "dirk": ""})
    assert client.post(url("conference", world.case), data).status_code == 302
    assert not Attendance.objects.filter(participant=circle["dirk"]).exists()
    assert Case.objects.get(pk=world.case.pk).status == Status.HELD


@pytest.mark.django_db
def test_professionals_leave_for_the_private_time_unless_the_circle_asks(
    world, client, held, circle
):
    client.force_login(world.coordinator)
    marks = {**PRESENT, "henk": "ipa"}
    refused = client.post(url("conference", world.case), ticks(circle, held, marks))
    assert refused.status_code == 409
    assert "Henk de Wit cannot have been there" in refused.text
    # The input is kept: Henk's private-time box is still ticked.
    form = refused.context["attendance_form"]
    assert form[f"p{circle['henk'].pk}_private_time"].value() is True
    assert f'id="attendance_p{circle["henk"].pk}_private_time" checked' in refused.text
    assert not Attendance.objects.exists()
    assert Case.objects.get(pk=world.case.pk).status == Status.SCHEDULED

    allowed = client.post(
        url("conference", world.case), ticks(circle, held, marks, professionals_leave=False)
    )
    assert allowed.status_code == 302
    assert Attendance.objects.get(participant=circle["henk"]).private_time is True
    assert Meeting.objects.get(pk=held.pk).professionals_leave is False


@pytest.mark.django_db
def test_attendance_for_a_meeting_still_to_come_is_refused(world, client, circle):
    later = meeting_on(world.case, 3)
    client.force_login(world.coordinator)
    page = client.get(url("conference", world.case))
    assert "From that day on you record here who was there." in page.text
    assert page.context["attendance_form"] is None
    response = client.post(url("conference", world.case), ticks(circle, later, PRESENT))
    assert response.status_code == 409
    assert "The meeting has not taken place yet." in response.text
    assert not Attendance.objects.exists()
    assert Case.objects.get(pk=world.case.pk).status == Status.SCHEDULED


@pytest.mark.django_db
def test_attendance_refusals_keep_the_input(world, client, held, circle):
    client.force_login(world.coordinator)
    # Someone else saved in the meantime: the input is offered on the current version.
    Meeting.objects.filter(pk=held.pk).update(version=5)
    stale = client.post(url("conference", world.case), ticks(circle, held, PRESENT, version=1))
    assert stale.status_code == 409
    assert "Someone else changed the meeting" in stale.text
    assert 'name="version" value="5"' in stale.text
    assert f'id="attendance_p{circle["bram"].pk}_plan" checked' in stale.text
    assert not Attendance.objects.exists()
    # An unreadable form: 400, the boxes kept.
    broken = ticks(circle, held, PRESENT)
    broken["version"] = "vijf"
    bad = client.post(url("conference", world.case), broken)
    assert bad.status_code == 400
    assert f'id="attendance_p{circle["ayse"].pk}_private_time" checked' in bad.text
    # No meeting at all (a plan without a meeting): no form, and a POST is refused.
    other = case_in_status(Status.PLAN_WITHOUT_MEETING, coordinator=world.coordinator)
    page = client.get(url("conference", other))
    assert "This plan is made without a meeting" in page.text
    assert page.context["attendance_form"] is None
    assert client.post(url("conference", other), {"version": "1"}).status_code == 409


@pytest.mark.django_db
def test_only_the_manager_and_the_coordinator_reach_the_conference(world, client, held, circle):
    line = BottomLine.objects.create(case=world.case, text="x", set_by="y", mandate="z")
    other_case = case_in_status(Status.HELD, coordinator=world.other_coordinator)
    for user in (world.other_coordinator, world.other_manager, world.researcher):
        client.force_login(user)
        assert client.get(url("conference", world.case)).status_code == 404
        assert client.post(url("plan_outcome", world.case)).status_code == 404
    client.force_login(world.manager)
    assert client.get(url("conference", world.case)).status_code == 200
    # A bottom line of another case is not found through this one.
    client.force_login(world.other_coordinator)
    assert client.post(url("plan_bottom_line", other_case, line.pk), {}).status_code == 404
    client.force_login(world.coordinator)
    assert client.post(url("plan_bottom_line", world.case, line.pk + 999), {}).status_code == 404
    assert client.get(url("plan_endorsements", world.case)).status_code == 405


# --- Endorsement, bottom lines, outcome ------------------------------------------------------


@pytest.fixture
def attended(world, client, held, circle):
    client.force_login(world.coordinator)
    assert (
        client.post(url("conference", world.case), ticks(circle, held, PRESENT)).status_code == 302
    )
    world.case.refresh_from_db()
    return held


@pytest.mark.django_db
def test_endorsements_are_set_and_unset(world, client, attended, circle):
    page = client.get(url("conference", world.case))
    # Those present at the presentation of the plan can be ticked; Dirk left before it.
    assert [p.name for p in page.context["candidates"]] == ["Ayse Kaya", "Bram Smit", "Henk de Wit"]
    assert 'id="endorse_{}"'.format(circle["dirk"].pk) not in page.text
    endorse = url("plan_endorsements", world.case)
    both = {"participants": [circle["ayse"].pk, circle["bram"].pk]}
    assert client.post(endorse, both).status_code == 302
    plan = Plan.objects.get(case=world.case)
    assert set(plan.endorsements.values_list("participant_id", "via")) == {
        (circle["ayse"].pk, "meeting"),
        (circle["bram"].pk, "meeting"),
    }
    assert plan.endorsements.all()[0].recorded_by == world.coordinator
    # Carla endorsed on her own page: unticking at the meeting leaves that.
    Endorsement.objects.create(plan=plan, participant=circle["carla"], via="own_page")
    assert client.post(endorse, {"participants": [circle["ayse"].pk]}).status_code == 302
    assert set(plan.endorsements.values_list("participant_id", flat=True)) == {
        circle["ayse"].pk,
        circle["carla"].pk,
    }
    page = client.get(url("conference", world.case))
    assert 'Carla Dekker <span class="kring-muted">(on their own page' in page.text
    assert f'id="endorse_{circle["ayse"].pk}" checked' in page.text
    assert f'id="endorse_{circle["bram"].pk}" checked' not in page.text
    # Someone who was not at the presentation cannot be ticked: 400, nothing changes.
    refused = client.post(endorse, {"participants": [circle["dirk"].pk, circle["bram"].pk]})
    assert refused.status_code == 400
    assert f'id="endorse_{circle["bram"].pk}" checked' in refused.text
    assert plan.endorsements.count() == 2
    assert CaseEvent.objects.filter(case=world.case, action="plan.endorsements").count() == 2


@pytest.mark.django_db
def test_endorsement_waits_for_the_attendance(world, client, held, circle):
    client.force_login(world.coordinator)
    page = client.get(url("conference", world.case))
    assert "Endorsement of the plan" not in page.text
    response = client.post(
        url("plan_endorsements", world.case), {"participants": [circle["ayse"].pk]}
    )
    assert response.status_code == 409
    assert not Plan.objects.filter(case=world.case).exists()


@pytest.mark.django_db
def test_a_bottom_line_is_met_or_not_with_a_reason(world, client, attended, circle):
    line = BottomLine.objects.create(
        case=world.case,
        text="De kinderen gaan elke dag naar school.",
        set_by="mw. Jansen, Jeugdbescherming",
        mandate="ondertoezichtstelling",
    )
    page = client.get(url("conference", world.case))
    assert "According to mw. Jansen, Jeugdbescherming: does the plan meet this bottom line?" in (
        page.text
    )
    check = url("plan_bottom_line", world.case, line.pk)
    prefix = f"line{line.pk}"
    assert client.post(check, {f"{prefix}-met": "yes"}).status_code == 302
    plan = Plan.objects.get(case=world.case)
    (recorded,) = plan.bottom_line_checks.all()
    assert recorded.met is True and recorded.reason == ""
    assert recorded.recorded_by == world.coordinator
    # "No" needs the reason; the choice is kept.
    missing = client.post(check, {f"{prefix}-met": "no", f"{prefix}-reason": "  "})
    assert missing.status_code == 400
    assert "Say why the plan does not meet this bottom line." in missing.text
    assert f'id="id_{prefix}-met_1" checked' in missing.text or (
        missing.context["lines"][0].form["met"].value() == "no"
    )
    recorded.refresh_from_db()
    assert recorded.met is True
    reason = "Er staat niet in wie de kinderen naar school brengt."
    assert (
        client.post(check, {f"{prefix}-met": "no", f"{prefix}-reason": reason}).status_code == 302
    )
    recorded.refresh_from_db()
    assert recorded.met is False and recorded.reason == reason
    page = client.get(url("conference", world.case))
    assert reason in page.text and "mw. Jansen, Jeugdbescherming" in page.text
    assert client.post(check, {f"{prefix}-met": "misschien"}).status_code == 400
    assert CaseEvent.objects.filter(case=world.case, action="plan.bottom_line").count() == 2


@pytest.mark.parametrize(
    ("outcome", "who"), [("not_accepted", "coordinator"), ("no_plan", "manager")]
)
@pytest.mark.django_db
def test_the_outcome_without_a_plan_closes_the_case(world, client, attended, outcome, who):
    user = getattr(world, who)
    client.force_login(user)
    record = url("plan_outcome", world.case)
    # Without a reason: refused, the choice kept.
    missing = client.post(record, {"outcome": outcome, "reason": ""})
    assert missing.status_code == 400
    assert missing.context["outcome_form"]["outcome"].value() == outcome
    assert Case.objects.get(pk=world.case.pk).status == Status.HELD
    reason = "De buren konden het niet eens worden over de speeltuin."
    response = client.post(record, {"outcome": outcome, "reason": reason})
    case = Case.objects.get(pk=world.case.pk)
    assert case.status == Status.CLOSED
    plan = Plan.objects.get(case=case)
    assert (plan.outcome, plan.outcome_reason) == (outcome, reason)
    assert plan.outcome_at is not None
    closed = CaseEvent.objects.get(case=case, action="status.changed", to_status="closed")
    assert closed.reason == reason and closed.actor == user
    assert closed.data == {"outcome": outcome}
    assert Assignment.objects.get(case=case).state == Assignment.State.ENDED
    if who == "coordinator":
        # Their part has ended: to their start page; the case is gone for them.
        assert response["Location"] == reverse("start")
        assert client.get(url("conference", world.case)).status_code == 404
    else:
        assert response["Location"] == case.get_absolute_url()
        page = client.get(url("conference", world.case))
        assert page.status_code == 200 and reason in page.text
        assert "Record the outcome and close the case" not in page.text


@pytest.mark.django_db
def test_the_outcome_is_recorded_only_after_the_conference(world, client, held):
    client.force_login(world.coordinator)
    response = client.post(
        url("plan_outcome", world.case), {"outcome": "no_plan", "reason": "Te vroeg."}
    )
    assert response.status_code == 409
    assert "Te vroeg." in response.text  # the input is kept
    assert Case.objects.get(pk=world.case.pk).status == Status.SCHEDULED
    assert not Plan.objects.filter(case=world.case).exists()
    page = client.get(url("conference", world.case))
    assert 'action="{}"'.format(url("plan_outcome", world.case)) not in page.text


@pytest.mark.django_db
def test_an_accepted_plan_is_finalised_on_the_plan_page(world, client, attended):
    page = client.get(url("conference", world.case))
    assert f'href="{url("plan", world.case)}"' in page.text
    assert "finalising records that the plan is accepted" in page.text


# --- Side exits from the preparation ----------------------------------------------------------


def change(client, case, target, reason=""):
    case.refresh_from_db()
    return client.post(
        url("case_change_status", case),
        {"target": target, "version": case.version, "reason": reason},
    )


@pytest.fixture
def paper(monkeypatch):
    """The PDF itself is another page's business here: a stand-in."""
    monkeypatch.setattr(document, "plan_letter_pdf", lambda *a, **k: b"%PDF-1.7 stand-in")
    monkeypatch.setattr(document, "plan_pdf", lambda *a, **k: b"%PDF-1.7 stand-in")
    monkeypatch.setattr(document, "filename", lambda version: "plan.pdf")


@pytest.mark.django_db
def test_a_plan_without_a_meeting(world, client, circle, paper):
    client.force_login(world.coordinator)
    page = client.get(url("conference", world.case))
    assert "Make a plan without a meeting" in page.text and "Stop the preparation" in page.text
    refused = change(client, world.case, "plan_without_meeting")
    assert refused.status_code == 409
    assert "Give a reason for this step." in refused.text
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION
    # The manager cannot make this step; the coordinator can, with a reason.
    client.force_login(world.manager)
    assert change(client, world.case, "plan_without_meeting", "Komt niet samen").status_code == 409
    client.force_login(world.coordinator)
    reason = "De buren willen niet samen in één zaal."
    assert change(client, world.case, "plan_without_meeting", reason).status_code == 302
    case = Case.objects.get(pk=world.case.pk)
    assert case.status == Status.PLAN_WITHOUT_MEETING
    assert CaseEvent.objects.get(case=case, to_status="plan_without_meeting").reason == reason

    # The page says there is no meeting; everyone who takes part can endorse.
    page = client.get(url("conference", case))
    assert "This plan is made without a meeting" in page.text
    assert [p.name for p in page.context["candidates"]] == [
        "Ayse Kaya",
        "Bram Smit",
        "Carla Dekker",
        "Henk de Wit",
    ]
    endorse = {"participants": [circle["ayse"].pk, circle["carla"].pk]}
    assert client.post(url("plan_endorsements", case), endorse).status_code == 302

    # The plan is written, finalised and distributed without a meeting.
    plan = Plan.objects.get(case=case)
    services.add_item(
        plan,
        "agreement",
        {
            "what": "Ayse belt elke maandag de woningcorporatie over de verlichting.",
            "who": [circle["ayse"]],
            "when": "recurring",
            "recurrence": "elke maandag",
        },
        user=world.coordinator,
    )
    version = services.finalise(plan, user=world.coordinator, version=None)
    assert version.number == 1 and version.content["meeting"] is None
    assert {p["name"] for p in version.content["participants"]} == {
        "Ayse Kaya",
        "Bram Smit",
        "Carla Dekker",
        "Henk de Wit",
    }
    assert [p["endorsed"] for p in version.content["participants"]] == [True, False, True, False]
    assert change(client, case, "plan_distributed").status_code == 409  # nobody has it yet
    for person in distribution.recipients(plan):
        distribution.letter(plan, person, user=world.coordinator)
        assert not distribution.everyone_has_it(plan)  # made, not posted yet
        distribution.posted(plan, person, user=world.coordinator)
    assert distribution.everyone_has_it(plan)
    assert change(client, case, "plan_distributed").status_code == 302
    case.refresh_from_db()
    assert case.status == Status.PLAN_DISTRIBUTED
    # Aftercare is counted from the plan, without a meeting.
    assert services.aftercare_due(case) == timezone.localdate(version.finalised_at) + dt.timedelta(
        days=28
    )


@pytest.mark.parametrize("who", ["coordinator", "manager"])
@pytest.mark.django_db
def test_stopping_in_preparation_needs_a_reason(world, client, circle, who):
    client.force_login(getattr(world, who))
    refused = change(client, world.case, "stopped", "   ")
    assert refused.status_code == 409
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION
    reason = "De aanvrager is verhuisd; niemand anders wil verder."
    assert change(client, world.case, "stopped", reason).status_code == 302
    case = Case.objects.get(pk=world.case.pk)
    assert case.status == Status.STOPPED
    event = CaseEvent.objects.get(case=case, to_status="stopped")
    assert event.reason == reason and event.actor == getattr(world, who)
    assert Assignment.objects.get(case=case).state == Assignment.State.ENDED


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_conference_page_takes_the_same_queries_at_5_and_50_people(world, client):
    held = meeting_on(world.case, -1)
    client.force_login(world.coordinator)
    client.get("/")
    BottomLine.objects.create(case=world.case, text="Veilig", set_by="Politie", mandate="wet")
    plan = Plan.objects.create(case=world.case)
    Case.objects.filter(pk=world.case.pk).update(status=Status.HELD)

    def grow(count, start):
        for i in range(start, start + count):
            person = Participant.objects.create(
                case=world.case,
                name=f"Deelnemer {i:03}",
                category="police" if i % 4 == 0 else "resident",
                willingness="no" if i % 7 == 0 else "yes",
            )
            Attendance.objects.create(
                meeting=held, participant=person, information=True, plan=i % 3 != 0
            )
            if i % 2:
                Endorsement.objects.create(plan=plan, participant=person, via="meeting")

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url("conference", world.case))
        assert response.status_code == 200
        return len(queries), response

    grow(5, 0)
    small, response = count()
    assert len(response.context["people"]) == 5
    grow(45, 5)
    large, response = count()
    assert len(response.context["people"]) == 50
    print(f"conference page queries: {small} at 5 people, {large} at 50")
    assert large == small


# --- In the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_the_conference_page_is_accessible_in_chromium(
    page, live_server, transactional_db, world, circle
):
    from axe_playwright_python.sync_playwright import Axe
    from django.test import Client

    held = meeting_on(world.case, -1)
    BottomLine.objects.create(
        case=world.case, text="Iedereen blijft veilig.", set_by="Politie", mandate="wet"
    )
    signed_in = Client()
    signed_in.force_login(world.coordinator)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": signed_in.cookies["sessionid"].value,
                "url": live_server.url,
            },
            # The page's language: English, as the assertions below.
            {"name": "django_language", "value": "en", "url": live_server.url},
        ]
    )
    options = {
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"],
    }

    def violations():
        found = Axe().run(page, options=options).response["violations"]
        return [f"{v['id']}: {v['nodes'][0]['html'][:120]}" for v in found]

    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(url("conference", world.case))
    assert violations() == []
    # Ticking by label: the visually hidden label names each box.
    page.get_by_label("Ayse Kaya: private time").check()
    for key in ("ayse", "bram"):
        page.get_by_label(f"{circle[key].name}: information").check()
        page.get_by_label(f"{circle[key].name}: presentation of the plan").check()
    page.get_by_role("button", name="Save who was there").click()
    page.wait_for_load_state()
    assert "Attendance is recorded: 2 at the information" in page.content()
    assert Attendance.objects.filter(meeting=held).count() == 2
    assert violations() == []
    # The aftercare page with its form.
    Case.objects.filter(pk=world.case.pk).update(status=Status.PLAN_DISTRIBUTED)
    page.goto(url("aftercare", world.case))
    assert page.get_by_label("how it is going", exact=False).count() == 1
    assert violations() == []
