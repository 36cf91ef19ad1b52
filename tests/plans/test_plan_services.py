"""The conference and the plan as actions, without the pages: attendance, the plan's text and
items (with their order and versions), endorsement, finalising versions, the outcome, the gate
before "everyone has the plan", the aftercare call and handover; and the plan's part in
retention and in a participant's export."""

from __future__ import annotations

import datetime as dt
import io
import json
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kring.cases.access import coordinated_cases, coordinates
from kring.cases.lifecycle import CaseError, change_status
from kring.cases.models import Assignment, BottomLine, Case, ConferenceQuestion, Status
from kring.circle.models import Participant
from kring.meetings.models import Attendance, Meeting
from kring.messaging.models import OutboxMessage
from kring.plans import distribution, services
from kring.plans.models import (
    AftercareCall,
    Agreement,
    Answer,
    BottomLineCheck,
    Delivery,
    Endorsement,
    Evaluation,
    OrganisationRequest,
    Plan,
    PlanVersion,
)
from kring.plans.services import Presence
from kring.privacy import retention, rights
from tests.factories import case_in_status

DAY = dt.timedelta(days=1)
TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def in_days(days: int) -> dt.date:
    return TODAY() + days * DAY


def set_status(case: Case, status: str) -> Case:
    Case.objects.filter(pk=case.pk).update(status=status)
    case.refresh_from_db()
    return case


def people(case: Case) -> SimpleNamespace:
    listed = {
        "ayse": ("Ayse Kaya", "resident", "ayse@voorbeeld.test", "yes", ""),
        "bram": ("Bram Smit", "neighbour", "bram@voorbeeld.test", "yes", ""),
        "carla": ("Carla Dekker", "resident", "", "yes", ""),
        "dirk": ("Dirk Bos", "police", "dirk@politie.test", "yes", "Politie West"),
        "eva": ("Eva Mol", "resident", "eva@voorbeeld.test", "no", ""),
    }
    return SimpleNamespace(
        **{
            key: Participant.objects.create(
                case=case,
                name=name,
                category=category,
                email=email,
                willingness=willing,
                organisation=organisation,
                postal_address="" if email else "Molenstraat 3\n1053 AB Amsterdam",
            )
            for key, (name, category, email, willing, organisation) in listed.items()
        }
    )


@pytest.fixture
def held(world) -> SimpleNamespace:
    """World's case after its conference yesterday: held, with a circle of five."""
    case = world.case
    q1 = ConferenceQuestion.objects.create(case=case, text="Hoe stopt de overlast?", position=1)
    q2 = ConferenceQuestion.objects.create(case=case, text="Wie helpt de jongeren?", position=2)
    start = timezone.now() - DAY
    meeting = Meeting.objects.create(
        case=case,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        venue_name="Buurthuis De Kring",
        venue_address="Molenstraat 1, Amsterdam",
    )
    set_status(case, Status.SCHEDULED)
    circle = people(case)
    return SimpleNamespace(
        world=world,
        case=case,
        meeting=meeting,
        q1=q1,
        q2=q2,
        user=world.coordinator,
        **vars(circle),
    )


def attend(held, **parts: tuple[bool, bool, bool]) -> None:
    for key, (information, private_time, plan) in parts.items():
        Attendance.objects.create(
            meeting=held.meeting,
            participant=getattr(held, key),
            information=information,
            private_time=private_time,
            plan=plan,
        )
    set_status(held.case, Status.HELD)


def agreement(plan: Plan, user, what: str, who=(), **fields) -> Agreement:
    data = {
        "what": what,
        "who": list(who),
        "where": "de binnenplaats",
        "when": "recurring",
        "recurrence": "elke maandagavond",
    }
    data.update(fields)
    item = services.add_item(plan, "agreement", data, user=user)
    assert isinstance(item, Agreement)
    return item


def write_plan(held) -> Plan:
    """A complete plan: answers, a monitor, a contingency, two agreements, a request, two
    evaluation moments."""
    plan = services.plan_for(held.case)
    services.save_plan_text(
        plan,
        answers={held.q1.pk: "Samen afspraken maken.", held.q2.pk: "De buurtvader."},
        monitors=[held.bram],
        monitor_note="Bram belt elke maand iedereen.",
        contingency="Wie merkt dat het niet werkt, belt Bram.",
        user=held.user,
        version=plan.version,
    )
    agreement(
        plan,
        held.user,
        "Ayse en Carla maken de binnenplaats schoon.",
        [held.carla, held.ayse],
    )
    agreement(
        plan,
        held.user,
        "De corporatie repareert de verlichting.",
        who_organisation="Woningcorporatie Ymere",
        where="portiek",
        when="date",
        on=in_days(14),
    )
    services.add_item(
        plan,
        "request",
        {"organisation": "Gemeente", "request": "Een prullenbak op het plein."},
        user=held.user,
    )
    services.add_item(
        plan, "evaluation", {"on": in_days(42), "description": "Buurthuis"}, user=held.user
    )
    services.add_item(
        plan, "evaluation", {"on": in_days(21), "description": "Bij Bram"}, user=held.user
    )
    plan.refresh_from_db()
    return plan


def orders(plan: Plan, model) -> list[tuple[int, int]]:
    return list(model.objects.filter(plan=plan).order_by("order").values_list("pk", "order"))


# --- Reading -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_looking_at_a_plan_creates_nothing(held):
    plan = services.plan_of(held.case)
    assert plan.pk is None and services.agreements(plan) == []
    assert services.latest_version(plan) is None
    assert services.check(plan).findings[0].code == "no_agreements"
    assert not Plan.objects.exists()
    assert services.plan_for(held.case).pk == services.plan_for(held.case).pk
    assert Plan.objects.count() == 1


# --- The plan's text -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_saving_the_plan_text_on_a_stale_version_is_refused_and_changes_nothing(held):
    set_status(held.case, Status.HELD)
    plan = services.plan_for(held.case)
    services.save_plan_text(
        plan,
        answers={held.q1.pk: " Samen afspraken maken. "},
        monitors=[held.bram],
        monitor_note="Bram kijkt mee.",
        contingency="Dan bellen we Bram.",
        user=held.user,
        version=1,
    )
    assert plan.version == 2
    # A colleague opened the form at version 1 too.
    other = Plan.objects.get(pk=plan.pk)
    with pytest.raises(CaseError) as refused:
        services.save_plan_text(
            other,
            answers={held.q1.pk: "Iets anders."},
            monitors=[held.ayse],
            monitor_note="",
            contingency="Niets.",
            user=held.world.manager,
            version=1,
        )
    assert refused.value.message == services.STALE_PLAN
    saved = Plan.objects.get(pk=plan.pk)
    assert (saved.version, saved.contingency, saved.monitor_note) == (
        2,
        "Dan bellen we Bram.",
        "Bram kijkt mee.",
    )
    assert list(saved.monitors.all()) == [held.bram]
    assert Answer.objects.get(plan=plan).text == "Samen afspraken maken."
    assert held.case.events.filter(action="plan.changed").count() == 1


@pytest.mark.django_db
def test_the_plan_text_takes_only_this_cases_people_and_questions(held):
    set_status(held.case, Status.HELD)
    plan = services.plan_for(held.case)
    stranger = Participant.objects.create(
        case=case_in_status(Status.HELD, region=held.world.west), name="Vreemde", category="family"
    )
    foreign_question = ConferenceQuestion.objects.create(case=stranger.case, text="Elders?")
    text = {"monitor_note": "", "contingency": "", "user": held.user, "version": None}
    with pytest.raises(CaseError):
        services.save_plan_text(plan, answers={}, monitors=[stranger], **text)
    with pytest.raises(CaseError):
        services.save_plan_text(plan, answers={foreign_question.pk: "Nee"}, monitors=[], **text)
    with pytest.raises(CaseError):
        agreement(plan, held.user, "Iets", [held.ayse, stranger])
    with pytest.raises(CaseError):
        services.set_endorsements(plan, [stranger], user=held.user)
    plan.refresh_from_db()
    assert plan.version == 1 and not plan.monitors.exists() and not plan.agreements.exists()
    assert not Answer.objects.exists() and not Endorsement.objects.exists()


@pytest.mark.django_db
def test_the_plan_is_written_only_from_the_meeting_until_the_handover(held):
    plan = services.plan_for(held.case)
    for status in (Status.PREPARATION, Status.FOLLOW_UP, Status.CLOSED):
        set_status(held.case, status)
        with pytest.raises(CaseError):
            agreement(plan, held.user, "Te vroeg of te laat")
    set_status(held.case, Status.SCHEDULED)
    agreement(plan, held.user, "Op de dag zelf mag het")
    assert plan.agreements.count() == 1


# --- Agreements, requests and evaluation moments -------------------------------------------------


@pytest.mark.django_db
def test_items_keep_a_contiguous_order_through_add_move_and_remove(held):
    set_status(held.case, Status.HELD)
    plan = services.plan_for(held.case)
    a, b, c, d = (agreement(plan, held.user, f"Afspraak {n}") for n in "ABCD")
    assert orders(plan, Agreement) == [(a.pk, 1), (b.pk, 2), (c.pk, 3), (d.pk, 4)]

    services.move_item(c, -1, user=held.user)
    assert orders(plan, Agreement) == [(a.pk, 1), (c.pk, 2), (b.pk, 3), (d.pk, 4)]
    services.move_item(a, -1, user=held.user)  # already first: nothing moves
    services.move_item(d, +1, user=held.user)  # already last
    services.move_item(a, 0, user=held.user)
    assert orders(plan, Agreement) == [(a.pk, 1), (c.pk, 2), (b.pk, 3), (d.pk, 4)]
    moved = services.move_item(a, +1, user=held.user)
    assert moved.order == 2
    assert orders(plan, Agreement) == [(c.pk, 1), (a.pk, 2), (b.pk, 3), (d.pk, 4)]

    b.refresh_from_db()
    removed = b.pk
    d_version = Agreement.objects.get(pk=d.pk).version
    services.remove_item(b, user=held.user, version=b.version)
    assert orders(plan, Agreement) == [(c.pk, 1), (a.pk, 2), (d.pk, 3)]
    # Closing the gap is no edit of d: someone editing it can still save.
    assert Agreement.objects.get(pk=d.pk).version == d_version
    e = agreement(plan, held.user, "Afspraak E")
    assert e.order == 4

    # Requests and evaluation moments have an order of their own.
    r1, r2 = (
        services.add_item(plan, "request", {"organisation": o, "request": "Graag"}, user=held.user)
        for o in ("Gemeente", "Corporatie")
    )
    services.move_item(r2, -1, user=held.user)
    assert orders(plan, OrganisationRequest) == [(r2.pk, 1), (r1.pk, 2)]
    services.remove_item(r2, user=held.user, version=None)
    assert orders(plan, OrganisationRequest) == [(r1.pk, 1)]
    ev = services.add_item(plan, "evaluation", {"on": in_days(30)}, user=held.user)
    assert orders(plan, Evaluation) == [(ev.pk, 1)]
    assert held.case.events.filter(action="plan.agreement.moved").count() == 2  # real moves
    assert held.case.events.filter(
        action="plan.agreement.removed", data={"agreement": removed}
    ).exists()


@pytest.mark.django_db
def test_updating_or_removing_an_item_on_a_stale_version_is_refused(held):
    set_status(held.case, Status.HELD)
    plan = services.plan_for(held.case)
    item = agreement(plan, held.user, "Ayse veegt de stoep.", [held.ayse])
    assert item.version == 1
    services.update_item(
        item, {"what": "Ayse veegt elke zaterdag de stoep."}, user=held.user, version=1
    )
    assert item.version == 2
    # Someone else still has version 1 on their screen.
    stale = Agreement.objects.get(pk=item.pk)
    with pytest.raises(CaseError) as refused:
        services.update_item(stale, {"what": "Bram veegt."}, user=held.user, version=1)
    assert refused.value.message == services.STALE_ITEM
    with pytest.raises(CaseError):
        services.remove_item(stale, user=held.user, version=1)
    saved = Agreement.objects.get(pk=item.pk)
    assert (saved.what, saved.version) == ("Ayse veegt elke zaterdag de stoep.", 2)
    # A change of the text keeps who does it and when.
    assert list(saved.who.all()) == [held.ayse]
    assert (saved.when, saved.recurrence) == ("recurring", "elke maandagavond")


@pytest.mark.django_db
def test_changing_the_kind_of_when_keeps_only_what_it_uses(held):
    set_status(held.case, Status.HELD)
    plan = services.plan_for(held.case)
    item = agreement(
        plan, held.user, "Bram let op", [held.bram], when="period", on=in_days(1), until=in_days(9)
    )
    assert (item.on, item.until, item.recurrence) == (in_days(1), in_days(9), "")
    services.update_item(
        item,
        {"when": "date", "on": in_days(2), "until": in_days(9), "who": [held.ayse]},
        user=held.user,
        version=None,
    )
    saved = Agreement.objects.get(pk=item.pk)
    assert (saved.when, saved.on, saved.until) == ("date", in_days(2), None)
    assert list(saved.who.all()) == [held.ayse]
    with pytest.raises(CaseError):
        services.update_item(
            saved,
            {"when": "period", "on": in_days(9), "until": in_days(2)},
            user=held.user,
            version=None,
        )
    with pytest.raises(CaseError):
        services.update_item(saved, {"when": "soms"}, user=held.user, version=None)
    with pytest.raises(CaseError):
        services.add_item(plan, "evaluation", {"description": "Zonder datum"}, user=held.user)
    assert Agreement.objects.get(pk=item.pk).when == "date"
    assert not Evaluation.objects.exists()


# --- The meeting -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recording_attendance_moves_a_scheduled_case_to_held(held):
    present = {
        held.ayse.pk: Presence(information=True, private_time=True, plan=True),
        held.bram.pk: Presence(information=True, private_time=True),
        held.dirk.pk: Presence(information=True),
        held.carla.pk: Presence(),  # not there
    }
    count = services.record_attendance(
        held.meeting, present, professionals_leave=True, user=held.user, version=1
    )
    assert count == 3
    held.case.refresh_from_db()
    assert held.case.status == Status.HELD
    rows = {a.participant_id: a for a in Attendance.objects.all()}
    assert set(rows) == {held.ayse.pk, held.bram.pk, held.dirk.pk}
    assert (rows[held.bram.pk].private_time, rows[held.bram.pk].plan) == (True, False)
    assert rows[held.dirk.pk].recorded_by == held.user
    event = held.case.events.get(to_status=Status.HELD)
    assert event.actor == held.user
    assert held.case.events.get(action="meeting.attendance").data == {"present": 3}

    # Recorded again (the case is held now): Dirk was not there after all.
    present.pop(held.dirk.pk)
    assert (
        services.record_attendance(
            held.meeting, present, professionals_leave=True, user=held.user, version=2
        )
        == 2
    )
    assert set(Attendance.objects.values_list("participant_id", flat=True)) == {
        held.ayse.pk,
        held.bram.pk,
    }
    with pytest.raises(CaseError):  # a stale meeting
        services.record_attendance(
            held.meeting, present, professionals_leave=True, user=held.user, version=2
        )


@pytest.mark.django_db
def test_attendance_waits_for_the_meeting_and_follows_the_professionals_rule(held):
    Meeting.objects.filter(pk=held.meeting.pk).update(starts_at=timezone.now() + 2 * DAY)
    held.meeting.refresh_from_db()
    dirk_stayed = {held.dirk.pk: Presence(information=True, private_time=True)}
    with pytest.raises(CaseError) as future:
        services.record_attendance(
            held.meeting, dirk_stayed, professionals_leave=True, user=held.user, version=None
        )
    assert "not taken place" in str(future.value.message)
    Meeting.objects.filter(pk=held.meeting.pk).update(starts_at=timezone.now() - DAY)
    held.meeting.refresh_from_db()
    with pytest.raises(CaseError) as professional:
        services.record_attendance(
            held.meeting, dirk_stayed, professionals_leave=True, user=held.user, version=None
        )
    assert "Dirk Bos" in str(professional.value.message)
    stranger = Participant.objects.create(
        case=case_in_status(Status.HELD, region=held.world.west), name="Vreemde", category="family"
    )
    with pytest.raises(CaseError):
        services.record_attendance(
            held.meeting,
            {stranger.pk: Presence(information=True)},
            professionals_leave=False,
            user=held.user,
            version=None,
        )
    assert not Attendance.objects.exists()
    held.case.refresh_from_db()
    assert held.case.status == Status.SCHEDULED
    # The circle asked the police officer to stay.
    services.record_attendance(
        held.meeting, dirk_stayed, professionals_leave=False, user=held.user, version=None
    )
    held.meeting.refresh_from_db()
    assert held.meeting.professionals_leave is False
    assert Attendance.objects.get().private_time is True
    set_status(held.case, Status.PREPARATION)
    with pytest.raises(CaseError):
        services.record_attendance(
            held.meeting, dirk_stayed, professionals_leave=False, user=held.user, version=None
        )


@pytest.mark.django_db
def test_endorsements_at_the_meeting_and_bottom_lines(held):
    attend(held, ayse=(True, True, True), bram=(True, True, True))
    plan = write_plan(held)
    Endorsement.objects.create(plan=plan, participant=held.carla, via=Endorsement.Via.OWN_PAGE)
    assert services.set_endorsements(plan, [held.ayse, held.bram], user=held.user) == 3
    assert services.set_endorsements(plan, [held.ayse], user=held.user) == 2
    assert set(plan.endorsements.values_list("participant__name", "via")) == {
        ("Ayse Kaya", "meeting"),
        ("Carla Dekker", "own_page"),  # what someone did on their own page stays
    }
    line = BottomLine.objects.create(
        case=held.case, text="Geen geluid na 22 uur.", set_by="Dirk Bos", mandate="APV"
    )
    with pytest.raises(CaseError):
        services.check_bottom_line(plan, line, met=False, reason=" ", user=held.user)
    services.check_bottom_line(
        plan, line, met=False, reason="Geen afspraak over 22 uur.", user=held.user
    )
    checked = services.check_bottom_line(plan, line, met=True, reason="Toch wel.", user=held.user)
    assert (checked.met, checked.reason) == (True, "")
    assert BottomLineCheck.objects.count() == 1
    elsewhere = BottomLine.objects.create(
        case=case_in_status(Status.HELD, region=held.world.west), text="x", set_by="y", mandate="z"
    )
    with pytest.raises(CaseError):
        services.check_bottom_line(plan, elsewhere, met=True, reason="", user=held.user)


# --- Finalising versions -----------------------------------------------------------------------


@pytest.mark.django_db
def test_finalising_is_refused_while_an_agreement_lacks_when(held):
    attend(held, ayse=(True, True, True))
    plan = write_plan(held)
    agreement(plan, held.user, "Bram belt de school.", [held.bram], when="")
    with pytest.raises(CaseError) as refused:
        services.finalise(plan, user=held.user, version=None)
    assert "(1 missing)" in str(refused.value.message)
    assert not PlanVersion.objects.exists()
    plan.refresh_from_db()
    assert plan.outcome == Plan.Outcome.DRAFT and plan.version == 2
    set_status(held.case, Status.SCHEDULED)  # attendance not recorded yet
    Agreement.objects.filter(when="").delete()
    with pytest.raises(CaseError):
        services.finalise(plan, user=held.user, version=None)


@pytest.mark.django_db
def test_a_version_is_replaced_until_someone_receives_it(held):
    attend(held, ayse=(True, True, True), bram=(True, False, True))
    plan = write_plan(held)
    first = services.finalise(plan, user=held.user, version=plan.version)
    assert first.number == 1 and first.finalised_by == held.user
    plan.refresh_from_db()
    assert plan.outcome == Plan.Outcome.ACCEPTED and plan.outcome_at is not None
    assert services.latest_version(plan) == first

    with pytest.raises(CaseError) as unchanged:
        services.finalise(plan, user=held.user, version=plan.version)
    assert str(unchanged.value.message) == "Nothing changed since version 1."
    assert Plan.objects.get(pk=plan.pk).version == plan.version  # the claim was undone

    # A change before anyone received version 1 replaces it.
    services.add_item(plan, "evaluation", {"on": in_days(60)}, user=held.user)
    replaced = services.finalise(plan, user=held.user, version=None)
    assert replaced.pk == first.pk and replaced.number == 1
    assert PlanVersion.objects.count() == 1
    assert len(PlanVersion.objects.get().content["evaluations"]) == 3

    # Once someone has it, a change makes version 2 and version 1 stays as it was.
    Delivery.objects.create(
        version=replaced,
        participant=held.carla,
        channel="letter",
        printed_at=timezone.now(),
        delivered_at=timezone.now(),
    )
    frozen = PlanVersion.objects.get(pk=replaced.pk).content
    item = plan.agreements.first()
    assert item is not None
    services.update_item(item, {"what": "Ayse en Carla vegen."}, user=held.user, version=None)
    second = services.finalise(plan, user=held.user, version=None)
    assert second.number == 2
    assert PlanVersion.objects.count() == 2
    assert PlanVersion.objects.get(number=1).content == frozen
    assert frozen["agreements"][0]["what"] == "Ayse en Carla maken de binnenplaats schoon."
    assert second.content["agreements"][0]["what"] == "Ayse en Carla vegen."
    assert list(
        held.case.events.filter(action="plan.finalised").values_list("data", flat=True)
    ) == [
        {"version": 1},
        {"version": 1},
        {"version": 2},
    ]


@pytest.mark.django_db
def test_the_snapshot_holds_the_plan_and_who_took_part(held):
    attend(
        held,
        ayse=(True, True, True),
        bram=(True, True, False),
        dirk=(True, False, False),
    )
    plan = write_plan(held)
    services.set_endorsements(plan, [held.ayse], user=held.user)
    line = BottomLine.objects.create(
        case=held.case, text="Geen geluid na 22 uur.", set_by="Dirk Bos", mandate="APV"
    )
    BottomLine.objects.create(case=held.case, text="Tweede", set_by="Dirk Bos", mandate="APV")
    services.check_bottom_line(plan, line, met=False, reason="Niets over 22 uur.", user=held.user)
    content = services.finalise(plan, user=held.user, version=None).content
    assert json.loads(json.dumps(content)) == content
    assert content["reference"] == held.case.reference
    assert content["meeting"]["venue_name"] == "Buurthuis De Kring"
    assert content["questions"] == [
        {"text": "Hoe stopt de overlast?", "answer": "Samen afspraken maken."},
        {"text": "Wie helpt de jongeren?", "answer": "De buurtvader."},
    ]
    first, second = content["agreements"]
    assert first["who"] == ["Ayse Kaya", "Carla Dekker"]  # by name
    assert first["who_ids"] == [held.ayse.pk, held.carla.pk]
    assert (first["when"], first["recurrence"], first["on"]) == (
        "recurring",
        "elke maandagavond",
        None,
    )
    assert (second["organisation"], second["who"], second["on"]) == (
        "Woningcorporatie Ymere",
        [],
        in_days(14).isoformat(),
    )
    assert content["requests"] == [
        {
            "organisation": "Gemeente",
            "request": "Een prullenbak op het plein.",
            "reply": "",
            "reply_note": "",
        }
    ]
    assert content["monitors"] == ["Bram Smit"]
    assert content["monitor_note"] == "Bram belt elke maand iedereen."
    assert [e["description"] for e in content["evaluations"]] == ["Bij Bram", "Buurthuis"]
    assert content["contingency"] == "Wie merkt dat het niet werkt, belt Bram."
    # Who took part: who was in the room, not Carla (absent) nor Eva (declined).
    assert content["participants"] == [
        {"id": held.ayse.pk, "name": "Ayse Kaya", "organisation": "", "endorsed": True},
        {"id": held.bram.pk, "name": "Bram Smit", "organisation": "", "endorsed": False},
        {"id": held.dirk.pk, "name": "Dirk Bos", "organisation": "Politie West", "endorsed": False},
    ]
    assert content["bottom_lines"] == [
        {
            "text": "Geen geluid na 22 uur.",
            "set_by": "Dirk Bos",
            "met": False,
            "reason": "Niets over 22 uur.",
        },
        {"text": "Tweede", "set_by": "Dirk Bos", "met": None, "reason": ""},
    ]


@pytest.mark.django_db
def test_without_a_meeting_those_who_said_yes_took_part(world):
    case = case_in_status(
        Status.PLAN_WITHOUT_MEETING, coordinator=world.coordinator, region=world.west
    )
    circle = people(case)
    Participant.objects.create(
        case=case, name="Freek Kok", category="friend", willingness="not_yet"
    )
    plan = services.plan_for(case)
    agreement(plan, world.coordinator, "Ayse kookt op vrijdag.", [circle.ayse])
    content = services.finalise(plan, user=world.coordinator, version=None).content
    assert content["meeting"] is None
    assert [p["name"] for p in content["participants"]] == [
        "Ayse Kaya",
        "Bram Smit",
        "Carla Dekker",
        "Dirk Bos",
    ]


# --- The outcome -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_plan_not_accepted_closes_the_case_with_its_reason(held):
    attend(held, ayse=(True, True, True))
    plan = write_plan(held)
    with pytest.raises(CaseError):
        services.record_outcome(plan, Plan.Outcome.NOT_ACCEPTED, reason="  ", user=held.user)
    with pytest.raises(CaseError):
        services.record_outcome(plan, Plan.Outcome.ACCEPTED, reason="Ja", user=held.user)
    held.case.refresh_from_db()
    assert held.case.status == Status.HELD
    services.record_outcome(
        plan, Plan.Outcome.NOT_ACCEPTED, reason="De corporatie zegt nee.", user=held.user
    )
    held.case.refresh_from_db()
    saved = Plan.objects.get(pk=plan.pk)
    assert held.case.status == Status.CLOSED
    assert (saved.outcome, saved.outcome_reason) == ("not_accepted", "De corporatie zegt nee.")
    event = held.case.events.get(to_status=Status.CLOSED)
    assert (event.actor, event.reason, event.data) == (
        held.user,
        "De corporatie zegt nee.",
        {"outcome": "not_accepted"},
    )
    assert Assignment.objects.get(case=held.case).state == Assignment.State.ENDED
    with pytest.raises(CaseError):  # once
        services.record_outcome(plan, Plan.Outcome.NO_PLAN, reason="Nee", user=held.user)


@pytest.mark.django_db
def test_no_plan_is_recorded_even_when_nothing_was_written(held):
    attend(held, ayse=(True, False, False))
    plan = services.plan_of(held.case)
    assert plan.pk is None
    recorded = services.record_outcome(
        plan, Plan.Outcome.NO_PLAN, reason="Niemand kwam tot afspraken.", user=held.user
    )
    saved = Plan.objects.get(case=held.case)
    assert recorded.pk == saved.pk
    assert (saved.outcome, saved.outcome_reason) == ("no_plan", "Niemand kwam tot afspraken.")
    assert Case.objects.get(pk=held.case.pk).status == Status.CLOSED


# --- Endorsing on one's own page ----------------------------------------------------------------


@pytest.mark.django_db
def test_who_may_endorse_on_their_own_page(held):
    # Ayse was there for the plan; Carla (in an agreement) and Bram (not) were not; Eva said no.
    attend(held, ayse=(True, True, True), bram=(True, False, False))
    plan = write_plan(held)
    agreement(plan, held.user, "Eva helpt mee.", [held.eva, held.bram], where="plein")
    assert not services.may_endorse_on_own_page(plan, held.carla)  # not finalised yet
    assert not services.may_endorse_on_own_page(services.plan_of(held.case), held.eva)
    services.finalise(plan, user=held.user, version=None)
    plan.refresh_from_db()
    assert services.may_endorse_on_own_page(plan, held.carla)
    assert services.may_endorse_on_own_page(plan, held.bram)  # left before the plan part
    assert not services.may_endorse_on_own_page(plan, held.ayse)  # present: endorses there
    assert not services.may_endorse_on_own_page(plan, held.dirk)  # no agreement of his
    assert not services.may_endorse_on_own_page(plan, held.eva)  # declined to take part
    stranger = Participant.objects.create(
        case=case_in_status(Status.HELD, region=held.world.west), name="Vreemde", category="family"
    )
    assert not services.may_endorse_on_own_page(plan, stranger)

    endorsement = services.endorse_on_own_page(plan, held.carla)
    assert (endorsement.via, endorsement.recorded_by) == ("own_page", None)
    assert not services.may_endorse_on_own_page(plan, held.carla)
    with pytest.raises(CaseError):
        services.endorse_on_own_page(plan, held.carla)
    with pytest.raises(CaseError):
        services.endorse_on_own_page(plan, held.dirk)
    assert Endorsement.objects.count() == 1
    assert held.case.events.get(action="plan.endorsed_on_own_page").actor is None
    Plan.objects.filter(pk=plan.pk).update(outcome=Plan.Outcome.NOT_ACCEPTED)
    plan.refresh_from_db()
    assert not services.may_endorse_on_own_page(plan, held.bram)


# --- Everyone has the plan -----------------------------------------------------------------------


def finalised(held) -> Plan:
    attend(held, ayse=(True, True, True), bram=(True, True, True))
    plan = write_plan(held)
    services.finalise(plan, user=held.user, version=None)
    plan.refresh_from_db()
    return plan


def deliver_to_everyone(plan: Plan) -> None:
    version = services.latest_version(plan)
    assert version is not None
    for participant in distribution.recipients(plan):
        Delivery.objects.create(
            version=version,
            participant=participant,
            channel="letter",
            printed_at=timezone.now(),
            delivered_at=timezone.now(),
        )


@pytest.mark.django_db
def test_the_case_moves_on_only_once_everyone_has_the_latest_version(held):
    attend(held, ayse=(True, True, True))
    with pytest.raises(CaseError) as early:
        change_status(held.case, Status.PLAN_DISTRIBUTED, user=held.user)
    assert str(early.value.message) == "Finalise the plan first."
    plan = write_plan(held)
    services.finalise(plan, user=held.user, version=None)
    version = services.latest_version(plan)
    assert version is not None
    # Everyone but Eva, who declined.
    assert [p.name for p in distribution.missing(plan)] == [
        "Ayse Kaya",
        "Bram Smit",
        "Carla Dekker",
        "Dirk Bos",
    ]
    for participant in (held.ayse, held.bram, held.dirk):
        Delivery.objects.create(
            version=version,
            participant=participant,
            channel="letter",
            printed_at=timezone.now(),
            delivered_at=timezone.now(),
        )
    unprinted = Delivery.objects.create(version=version, participant=held.carla, channel="letter")
    email = Delivery.objects.create(
        version=version,
        participant=held.carla,
        channel="email",
        message=OutboxMessage.objects.create(
            purpose="plan.copy",
            case=held.case,
            from_address="kring@kring.test",
            to_addresses=["carla@voorbeeld.test"],
            subject="Het plan",
            body_text="Het plan",
        ),
    )
    assert [p.name for p in distribution.missing(plan)] == ["Carla Dekker"]
    with pytest.raises(CaseError) as waiting:
        change_status(held.case, Status.PLAN_DISTRIBUTED, user=held.user)
    assert "Not everyone has the plan yet" in str(waiting.value.message)
    assert Case.objects.get(pk=held.case.pk).status == Status.HELD

    # Eva asked for a copy after all: she is waited for too.
    distribution.add_recipient(plan, held.eva, user=held.user)
    from kring.messaging import outbox

    assert email.message_id is not None
    assert outbox.deliver(email.message_id) == OutboxMessage.Status.SENT  # the demo mailbox
    assert [p.name for p in distribution.missing(plan)] == ["Eva Mol"]
    Delivery.objects.create(
        version=version,
        participant=held.eva,
        channel="letter",
        printed_at=timezone.now(),
        delivered_at=timezone.now(),
    )
    assert distribution.missing(plan) == [] and distribution.everyone_has_it(plan)
    assert unprinted.printed_at is None  # the email counted for Carla
    change_status(held.case, Status.PLAN_DISTRIBUTED, user=held.user)
    assert Case.objects.get(pk=held.case.pk).status == Status.PLAN_DISTRIBUTED


@pytest.mark.django_db
def test_distributing_letters_counts_once_printed(world, monkeypatch):
    from kring.plans import document

    monkeypatch.setattr(
        document,
        "plan_letter_pdf",
        lambda version, participant, portal_url, portal_code="": b"%PDF",
    )
    monkeypatch.setattr(document, "plan_pdf", lambda version, language: b"%PDF")
    monkeypatch.setattr(document, "filename", lambda version: "plan.pdf")
    case = case_in_status(
        Status.PLAN_WITHOUT_MEETING, coordinator=world.coordinator, region=world.west
    )
    carla = Participant.objects.create(
        case=case, name="Carla", category="family", willingness="yes"
    )
    frank = Participant.objects.create(
        case=case, name="Frank", category="family", willingness="yes"
    )
    plan = services.plan_for(case)
    agreement(plan, world.coordinator, "Carla belt Frank op zondag.", [carla])
    with pytest.raises(CaseError):
        distribution.distribute(plan, user=world.coordinator)
    services.finalise(plan, user=world.coordinator, version=None)
    plan.refresh_from_db()
    sent = distribution.distribute(plan, user=world.coordinator)
    assert (sent.emails, sent.letters) == (0, 2)
    assert Delivery.objects.filter(channel="letter", printed_at=None).count() == 2
    assert distribution.missing(plan) == [carla, frank]  # not printed yet
    assert distribution.letter(plan, carla, user=world.coordinator) == b"%PDF"
    assert distribution.missing(plan) == [carla, frank]  # made, not posted yet
    with pytest.raises(CaseError):  # Frank's letter is not made yet
        distribution.posted(plan, frank, user=world.coordinator)
    distribution.posted(plan, carla, user=world.coordinator)
    assert distribution.missing(plan) == [frank]
    assert distribution.distribute(plan, user=world.coordinator).letters == 0  # nothing twice
    assert Delivery.objects.count() == 2


# --- Aftercare and handover ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_aftercare_call_hands_the_case_over(held, settings):
    settings.KRING_AFTERCARE_MIN_DAYS = 0  # the call's timing is not the subject here
    plan = finalised(held)
    with pytest.raises(CaseError):  # held: not everyone has it yet
        services.record_aftercare(held.case, on=TODAY(), how_it_goes="Goed", user=held.user)
    deliver_to_everyone(plan)
    change_status(held.case, Status.PLAN_DISTRIBUTED, user=held.user)
    with pytest.raises(CaseError):
        services.record_aftercare(held.case, on=in_days(1), how_it_goes="Goed", user=held.user)
    with pytest.raises(CaseError):  # before the plan was made
        services.record_aftercare(held.case, on=in_days(-1), how_it_goes="Goed", user=held.user)
    with pytest.raises(CaseError):
        services.record_aftercare(held.case, on=TODAY(), how_it_goes="  ", user=held.user)
    assert not AftercareCall.objects.exists()
    assert (
        services.aftercare_due(held.case) == timezone.localdate(held.meeting.starts_at) + 28 * DAY
    )

    services.record_aftercare(
        held.case, on=TODAY(), how_it_goes=" De binnenplaats is schoon. ", user=held.user
    )
    case = Case.objects.get(pk=held.case.pk)
    assert case.status == Status.FOLLOW_UP
    call = AftercareCall.objects.get(case=case)
    assert (call.on, call.how_it_goes, call.recorded_by) == (
        TODAY(),
        "De binnenplaats is schoon.",
        held.user,
    )
    assignment = Assignment.objects.get(case=case, coordinator=held.user)
    assert assignment.state == Assignment.State.ENDED and assignment.ended_at is not None
    assert not coordinates(held.user, case)
    assert case not in coordinated_cases(held.user)
    # The history keeps what they did.
    moves = list(case.events.filter(from_status__in=[Status.PLAN_DISTRIBUTED, Status.AFTERCARE]))
    assert [(e.to_status, e.actor) for e in moves] == [
        (Status.AFTERCARE, held.user),
        (Status.FOLLOW_UP, held.user),
    ]
    assert case.events.get(action="plan.finalised").actor == held.user
    with pytest.raises(CaseError):  # once
        services.record_aftercare(case, on=TODAY(), how_it_goes="Nog eens", user=held.user)


@pytest.mark.django_db
def test_the_coordinator_loses_access_to_the_plan_pages(held, client, settings):
    settings.KRING_AFTERCARE_MIN_DAYS = 0  # the call's timing is not the subject here
    plan = finalised(held)
    deliver_to_everyone(plan)
    change_status(held.case, Status.PLAN_DISTRIBUTED, user=held.user)
    client.force_login(held.user)
    case_url = reverse("case_detail", args=[held.case.reference])
    assert client.get(case_url).status_code == 200
    services.record_aftercare(held.case, on=TODAY(), how_it_goes="Goed.", user=held.user)
    assert client.get(case_url).status_code == 404
    client.force_login(held.world.manager)
    assert client.get(case_url).status_code == 200


# --- Retention and the rights of the people in the data ------------------------------------------


PLAN_SECRETS = [
    "Samen afspraken maken",
    "De buurtvader",
    "Bram belt elke maand",
    "belt Bram",
    "binnenplaats schoon",
    "elke maandagavond",
    "de binnenplaats",
    "prullenbak",
    "Buurthuis",
    "Bij Bram",
    "Niets over 22 uur",
    "De binnenplaats is schoon",
    "Ayse Kaya",
    "Bram Smit",
]


def plan_rows(case: Case) -> str:
    """Every plan row of the case, as text."""
    rows = [
        list(model.objects.filter(**{lookup: case}).values())
        for model, lookup in (
            (Plan, "case"),
            (Answer, "plan__case"),
            (Agreement, "plan__case"),
            (OrganisationRequest, "plan__case"),
            (Evaluation, "plan__case"),
            (BottomLineCheck, "plan__case"),
            (PlanVersion, "plan__case"),
            (AftercareCall, "case"),
        )
    ]
    return repr(rows)


@pytest.mark.django_db
def test_anonymising_a_case_removes_the_plans_words_and_keeps_its_shape(held, settings):
    settings.KRING_AFTERCARE_MIN_DAYS = 0  # the call's timing is not the subject here
    plan = finalised(held)
    line = BottomLine.objects.create(case=held.case, text="Stil", set_by="Dirk", mandate="APV")
    services.check_bottom_line(plan, line, met=False, reason="Niets over 22 uur.", user=held.user)
    services.set_endorsements(plan, [held.ayse, held.bram], user=held.user)
    services.finalise(plan, user=held.user, version=None)
    deliver_to_everyone(plan)
    change_status(held.case, Status.PLAN_DISTRIBUTED, user=held.user)
    services.record_aftercare(
        held.case, on=TODAY(), how_it_goes="De binnenplaats is schoon.", user=held.user
    )
    set_status(held.case, Status.CLOSED)
    text = plan_rows(held.case)
    assert [secret for secret in PLAN_SECRETS if secret not in text] == []
    shape = list(Agreement.objects.values_list("pk", "order", "when", "on", "who_organisation"))

    assert retention.anonymise_case(held.case)

    text = plan_rows(held.case)
    for secret in PLAN_SECRETS:
        assert secret not in text, secret
    saved = Plan.objects.get(pk=plan.pk)
    assert (saved.monitor_note, saved.contingency, saved.outcome) == ("", "", "accepted")
    assert not saved.monitors.exists()
    assert set(Answer.objects.values_list("text", flat=True)) == {retention.ANONYMISED}
    assert (
        list(Agreement.objects.values_list("pk", "order", "when", "on", "who_organisation"))
        == shape
    )
    assert Agreement.objects.filter(who__isnull=False).count() == 2  # who stays, anonymised
    assert PlanVersion.objects.get().content == {
        "anonymised": True,
        "agreements": 2,
        "requests": 1,
        "evaluations": 2,
        "participants": 2,
    }
    # Facts without words stay: deliveries, endorsements, whether a bottom line was met.
    assert Delivery.objects.count() == 4 and Endorsement.objects.count() == 2
    assert AftercareCall.objects.get().how_it_goes == retention.ANONYMISED
    check = BottomLineCheck.objects.get()
    assert (check.met, check.reason) == (False, retention.ANONYMISED)
    assert not retention.anonymise_case(held.case)  # once


@pytest.mark.django_db
def test_a_participants_export_holds_their_part_in_the_plan(held, client):
    attend(held, carla=(True, False, False), ayse=(True, True, True))
    plan = write_plan(held)
    services.set_endorsements(plan, [held.ayse], user=held.user)
    Plan.objects.get(pk=plan.pk).monitors.add(held.carla)
    version = services.finalise(plan, user=held.user, version=None)
    Delivery.objects.create(
        version=version,
        participant=held.carla,
        channel="letter",
        printed_at=timezone.now(),
        delivered_at=timezone.now(),
    )
    services.endorse_on_own_page(plan, held.carla)

    client.force_login(held.world.manager)
    url = reverse("person_export", args=[held.case.reference, "participant", held.carla.pk, "json"])
    response = client.get(url)
    assert response.status_code == 200
    part = json.loads(response.content)["plan"]
    assert [(a["information"], a["private_time"], a["plan"]) for a in part["attendance"]] == [
        (True, False, False)
    ]
    assert [e["via"] for e in part["endorsements"]] == ["own_page"]
    assert part["agreements"] == [
        {
            "what": "Ayse en Carla maken de binnenplaats schoon.",
            "where": "de binnenplaats",
            "when": "recurring",
            "on": None,
            "until": None,
            "recurrence": "elke maandagavond",
        }
    ]
    assert [(d["version"], d["channel"]) for d in part["deliveries"]] == [(1, "letter")]
    assert part["deliveries"][0]["at"] and part["deliveries"][0]["printed_at"]
    assert part["watches_over_the_plan"] is True and part["asked_for_the_plan"] is False
    assert part["named_in_plan_versions"] == [1]
    # Someone else's part is theirs alone.
    dirk = rights.export(held.case, "participant", held.dirk.pk)["plan"]
    assert dirk["agreements"] == [] and dirk["attendance"] == [] and dirk["deliveries"] == []
    assert dirk["watches_over_the_plan"] is False and dirk["named_in_plan_versions"] == []
    assert "plan" not in rights.export(held.case, "requester", held.case.pk)

    pdf = client.get(url[: -len("json")] + "pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "binnenplaats schoon" in text and "own_page" in text
