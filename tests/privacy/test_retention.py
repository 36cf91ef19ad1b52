"""Retention: finished cases are anonymised after their period, old messages and personal links
are deleted, running it again changes nothing, and staff see what will go when."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.accounts.models import Organisation
from kring.audit.models import ErasureRequest
from kring.cases.models import (
    Assignment,
    BottomLine,
    Case,
    CaseEvent,
    ConferenceQuestion,
    ConflictOfInterest,
    Funding,
    Status,
    Variant,
)
from kring.circle.models import ContactMoment, InformationNeed, Participant, PersonalLink
from kring.meetings.models import DateAnswer, DateOption, Invitation, Meeting
from kring.messaging.models import OutboxAttachment, OutboxMessage
from kring.privacy import retention
from tests.factories import add_meeting, add_person, case_in_status

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

# Everything personal seeded into the case below: none of it may survive anonymisation.
SECRETS = [
    "Karin Oosterhuis",
    "karin.oosterhuis@voorbeeld.test",
    "06-55512345",
    "Lindengracht",
    "1015 KL",
    "Westzaan-Noord",
    "Familie Oosterhuis",
    "Oosterhuis",
    "Zorgbureau Karin",
    "dementie",
    "broer Dirk",
    "Dirk",
    "dirk@voorbeeld.test",
    "06-77788899",
    "Kerkstraat 5",
    "rolstoel",
    "geen varkensvlees",
    "moeder thuis",
    "Politie Amsterdam-Zuid",
    "Bel na 18 uur",
    "diagnose",
    "Huize",
    "tolk Youssef",
    "Ellen Gemeentehuis",
    "BESCHIKKING-998877",
    "tennisclub",
    "Beschikking rechtbank",
    "mevrouw Bos",
    "toezicht",
    "onafhankelijk van",
    "Te druk met",
    "Afgesloten omdat",
    "wil niet meer gebeld",
]


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def seeded_case(world, status=Status.CLOSED, **fields):
    """A finished family case in West with something personal in every place it can go."""
    case = case_in_status(
        status,
        coordinator=world.coordinator,
        region=world.west,
        variant=Variant.FAMILY,
        place="Familie Oosterhuis",
        postcode="1015 KL",
        address="Lindengracht 12",
        municipality_name="Westzaan-Noord",
        description="Ruzie tussen Karin en broer Dirk over de zorg voor moeder Oosterhuis.",
        involved="Karin, broer Dirk, moeder",
        intake_notes="Moeder heeft dementie.",
        requester_name="Karin Oosterhuis",
        requester_email="karin.oosterhuis@voorbeeld.test",
        requester_phone="06-55512345",
        requester_organisation="Zorgbureau Karin",
        consent_at=timezone.now(),
        **fields,
    )
    Assignment.objects.filter(case=case).update(
        declaration="Ik ben onafhankelijk van de familie Oosterhuis."
    )
    Assignment.objects.create(
        case=case,
        coordinator=world.other_coordinator,
        state=Assignment.State.DECLINED,
        decline_reason="Te druk met de verhuizing van Dirk.",
    )
    ConflictOfInterest.objects.create(
        case=case, coordinator=world.other_coordinator, reason="Kent Dirk van de tennisclub."
    )
    CaseEvent.objects.create(
        case=case,
        action="status.changed",
        from_status=Status.FOLLOW_UP,
        to_status=status,
        reason="Afgesloten omdat Dirk verhuist.",
        actor=world.manager,
    )
    CaseEvent.objects.create(
        case=case,
        action="intake.saved",
        data={"questions": ["Hoe zorgen we samen voor moeder Oosterhuis?"]},
    )
    CaseEvent.objects.create(
        case=case, action="bottom_line.added", data={"set_by": "mevrouw Bos, Jeugdzorg"}
    )
    CaseEvent.objects.create(
        case=case, action="case.moved", data={"from": None, "to": "West", "channel": "phone"}
    )
    ConferenceQuestion.objects.create(case=case, text="Hoe zorgen we samen voor moeder Oosterhuis?")
    BottomLine.objects.create(
        case=case,
        text="Geen contact met Dirk zonder toezicht.",
        set_by="mevrouw Bos, Jeugdzorg",
        mandate="Beschikking rechtbank 2026/123",
    )
    Funding.objects.create(
        case=case,
        organisation=Organisation.objects.get_or_create(name="Gemeente Amsterdam")[0],
        contact_person="Ellen Gemeentehuis",
        reference="BESCHIKKING-998877",
        amount=1500,
    )
    dirk = add_person(
        case,
        "Dirk Oosterhuis",
        category="family",
        email="dirk@voorbeeld.test",
        phone="06-77788899",
        postal_address="Kerkstraat 5\n1017 GA Amsterdam",
        language="nl",
        accessibility="rolstoel",
        diet="halal",
        diet_note="geen varkensvlees",
        willingness="yes",
        informed_at=timezone.now(),
        written_view="Ik wil dat moeder thuis blijft wonen.",
    )
    police = add_person(
        case,
        "Agent Dirk Jansen",
        category="police",
        organisation="Politie Amsterdam-Zuid",
        willingness="no",
        suggested_by=dirk,
    )
    add_person(case, "Karin Oosterhuis", category="family")
    ContactMoment.objects.create(
        participant=dirk, channel="phone", outcome="reached", note="Bel na 18 uur."
    )
    PersonalLink.objects.create(
        participant=dirk, token_hash=f"{case.pk:064d}", expires_at=timezone.now() + 100 * DAY
    )
    InformationNeed.objects.create(
        case=case, question="Wat is de diagnose van moeder Oosterhuis?", answered_by=police
    )
    start = timezone.now() + 10 * DAY
    option = DateOption.objects.create(case=case, starts_at=start, ends_at=start + 3 * DAY / 24)
    DateAnswer.objects.create(option=option, participant=dirk, answer="yes")
    meeting = add_meeting(
        case,
        start,
        ends_at=start + 3 * DAY / 24,
        venue_name="Huize Oosterhuis",
        venue_address="Lindengracht 12, Amsterdam",
        catering="halal voor Dirk",
        interpreters="tolk Youssef",
        catering_for=3,
    )
    message = OutboxMessage.objects.create(
        purpose="invitation",
        case=case,
        from_address="kring@kring.test",
        to_addresses=["dirk@voorbeeld.test"],
        subject="Uitnodiging Familie Oosterhuis",
        body_text="Beste Dirk Oosterhuis, welkom in Huize Oosterhuis.",
        status=OutboxMessage.Status.QUEUED,
    )
    OutboxAttachment.objects.create(
        message=message,
        filename="uitnodiging.ics",
        content_type="text/calendar",
        content=b"LOCATION:Lindengracht 12\r\nATTENDEE:dirk@voorbeeld.test",
    )
    Invitation.objects.create(
        meeting=meeting, participant=dirk, kind="invitation", channel="email", message=message
    )
    ErasureRequest.objects.create(
        case=case,
        kind=ErasureRequest.Kind.PARTICIPANT,
        person_id=police.pk,
        reason="Hij wil niet meer gebeld worden.",
        requested_by=world.manager,
    )
    return case


def dump() -> dict[str, list[str]]:
    """Every row of every table Kring's models know, as text."""
    return {
        model._meta.label: [repr(row) for row in model._base_manager.order_by("pk").values()]
        for model in apps.get_models()
    }


def research_shape(case: Case) -> dict[str, Any]:
    """What must survive anonymisation: the pseudonymised shape of the case."""
    case = Case.objects.get(pk=case.pk)
    return {
        "case": (
            case.reference,
            case.status,
            case.variant,
            case.urgency,
            case.region_id,
            case.municipality_id,
            case.requested_at,
            case.status_changed_at,
            case.consent_at,
            case.channel,
            case.requester_relation,
            case.requester_language,
            case.coordinator_language,
        ),
        "categories": Counter(case.participants.values_list("category", flat=True)),
        "willingness": sorted(case.participants.values_list("pk", "willingness")),
        "participants": sorted(
            case.participants.values_list(
                "pk", "language", "diet", "informed_at", "suggested_by", "created_at"
            )
        ),
        "events": sorted(case.events.values_list("pk", "action", "at", "actor", "to_status")),
        "counts": (
            case.questions.count(),
            case.bottom_lines.count(),
            case.fundings.count(),
            case.assignments.count(),
            case.information_needs.count(),
            DateAnswer.objects.filter(option__case=case).count(),
            Invitation.objects.filter(meeting__case=case).count(),
            ContactMoment.objects.filter(participant__case=case).count(),
            ErasureRequest.objects.filter(case=case).count(),
        ),
        "funding": list(case.fundings.values_list("organisation", "amount", "decision")),
        "meeting": list(Meeting.objects.filter(case=case).values_list("starts_at", "catering_for")),
    }


def all_text() -> str:
    return repr(dump())


@pytest.mark.django_db
def test_a_closed_case_past_its_period_is_anonymised(world):
    with time_machine.travel(START, tick=False):
        case = seeded_case(world)
    shape = research_shape(case)
    text = all_text()
    assert all(secret in text for secret in SECRETS)  # the seed holds what we look for

    with time_machine.travel(START + 731 * DAY, tick=False):
        counts = retention.run_daily()

    assert counts == {"declined": 0, "cases": 1, "messages": 0, "links": 0, "sessions": 0, "log": 0}
    text = all_text()
    for secret in SECRETS:
        assert secret not in text, secret
    after = research_shape(case)
    assert after["events"][:-1] == shape["events"]  # one history entry added, see below
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in shape.items() if k != "events"
    }
    case.refresh_from_db()
    assert case.requester_name == retention.ANONYMISED
    assert case.postcode == "1015"
    assert case.place == case.reference
    assert sorted(case.participants.values_list("name", flat=True)) == [
        "Deelnemer 1",
        "Deelnemer 2",
        "Deelnemer 3",
    ]
    assert not PersonalLink.objects.filter(participant__case=case).exists()
    assert not OutboxMessage.objects.filter(case=case).exists()
    assert not OutboxAttachment.objects.exists()
    # The fact of delivery stays; the neutral details of the history too.
    assert Invitation.objects.filter(meeting__case=case, message=None).count() == 1
    moved = case.events.get(action="case.moved")
    assert moved.data == {"from": None, "to": "West", "channel": "phone"}
    assert case.events.get(action="intake.saved").data == {}
    last = case.events.order_by("pk").last()
    assert last is not None and last.action == "case.anonymised" and last.actor is None
    assert last.data == {"retention": "case+2y"} and last.reason == ""


@pytest.mark.django_db
def test_a_case_within_its_period_is_untouched(world):
    with time_machine.travel(START, tick=False):
        closed = seeded_case(world)
        declined = case_in_status(Status.DECLINED, region=world.west)

    def rows():
        return [
            list(Case.objects.filter(pk=closed.pk).values()),
            list(CaseEvent.objects.filter(case=closed).order_by("pk").values()),
            list(Participant.objects.filter(case=closed).order_by("pk").values()),
            list(ContactMoment.objects.filter(participant__case=closed).values()),
            list(BottomLine.objects.filter(case=closed).values()),
            list(Meeting.objects.filter(case=closed).values()),
            list(OutboxMessage.objects.filter(case=closed).values()),
        ]

    before = rows()
    with time_machine.travel(START + 729 * DAY, tick=False):
        counts = retention.run_daily()
    # The declined request is past its six months; the closed case is a day short of two years.
    assert counts["cases"] == 0 and counts["declined"] == 1
    assert rows() == before
    assert Case.objects.get(pk=declined.pk).requester_name == retention.ANONYMISED
    # Its personal link expired long ago: links have a period of their own.
    assert not PersonalLink.objects.exists()


@pytest.mark.django_db
def test_running_it_twice_changes_nothing_more(world):
    with time_machine.travel(START, tick=False):
        seeded_case(world)
        seeded_case(world, status=Status.STOPPED)
        case_in_status(Status.DECLINED, region=world.zuid)
    with time_machine.travel(START + 800 * DAY, tick=False):
        first = retention.run_daily()
        before = dump()
        second = retention.run_daily(force=True)
    with time_machine.travel(START + 900 * DAY, tick=False):
        third = retention.run_daily()
    assert first == {"declined": 1, "cases": 2, "messages": 0, "links": 0, "sessions": 0, "log": 0}
    assert (
        second
        == third
        == {"declined": 0, "cases": 0, "messages": 0, "links": 0, "sessions": 0, "log": 0}
    )
    assert dump() == before
    assert all(not qs.exists() for qs in retention.due(START + 900 * DAY).values())
    # anonymise_case itself refuses a case that is already done.
    case = Case.objects.filter(requester_name=retention.ANONYMISED).first()
    assert case is not None and retention.anonymise_case(case) is False
    assert dump() == before


@pytest.mark.django_db
def test_declined_requests_go_after_six_months(world):
    with time_machine.travel(START, tick=False):
        declined = case_in_status(Status.DECLINED, region=world.west, requester_name="Piet Pol")
        withdrawn = case_in_status(Status.WITHDRAWN, region=world.west, requester_name="Els Eik")
        # Withdrawn after it was accepted: it is a case, kept for two years.
        accepted = case_in_status(
            Status.WITHDRAWN,
            coordinator=world.coordinator,
            region=world.west,
            requester_name="Ans Abeel",
        )
    with time_machine.travel(START + 182 * DAY, tick=False):
        assert retention.run_daily()["declined"] == 0
    with time_machine.travel(START + 184 * DAY, tick=False):
        assert retention.run_daily()["declined"] == 2
    names = dict(Case.objects.values_list("pk", "requester_name"))
    assert names[declined.pk] == names[withdrawn.pk] == retention.ANONYMISED
    assert names[accepted.pk] == "Ans Abeel"
    with time_machine.travel(START + 731 * DAY, tick=False):
        assert retention.run_daily()["cases"] == 1
    assert Case.objects.get(pk=accepted.pk).requester_name == retention.ANONYMISED


@pytest.mark.django_db
def test_open_cases_are_never_anonymised(world):
    with time_machine.travel(START, tick=False):
        case = case_in_status(Status.FOLLOW_UP, region=world.west, requester_name="Open Zaak")
    with time_machine.travel(START + 3000 * DAY, tick=False):
        retention.run_daily()
        assert retention.anonymise_case(case) is False
    assert Case.objects.get(pk=case.pk).requester_name == "Open Zaak"


def message(days_ago, status, *, now, **fields):
    at = now - dt.timedelta(days=days_ago)
    return OutboxMessage.objects.create(
        purpose="test",
        from_address="kring@kring.test",
        to_addresses=["iemand@voorbeeld.test"],
        subject=f"{status} {days_ago}",
        body_text="Hallo",
        status=status,
        created_at=at - DAY,
        next_attempt_at=at,
        sent_at=at if status == OutboxMessage.Status.SENT else None,
        **fields,
    )


@pytest.mark.django_db
def test_old_messages_are_swept(world):
    now = START
    sent_old = message(93, "sent", now=now)
    OutboxAttachment.objects.create(
        message=sent_old, filename="brief.pdf", content_type="application/pdf", content=b"%PDF"
    )
    failed_old = message(100, "failed", now=now)
    kept = [
        message(91, "sent", now=now),
        message(10, "failed", now=now),
        message(200, "queued", now=now),
        message(200, "sending", now=now),
    ]
    meeting = Meeting.objects.create(case=world.case)
    participant = Participant.objects.create(case=world.case, name="Lid Een", category="resident")
    invitation = Invitation.objects.create(
        meeting=meeting,
        participant=participant,
        kind="invitation",
        channel="email",
        message=sent_old,
    )
    assert retention.sweep_messages(now) == 2
    remaining = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert remaining == {m.pk for m in kept}
    assert sent_old.pk not in remaining and failed_old.pk not in remaining
    assert not OutboxAttachment.objects.exists()
    invitation.refresh_from_db()
    assert invitation.message is None  # the fact of delivery stays
    assert retention.sweep_messages(now) == 0


@pytest.mark.django_db
def test_old_personal_links_are_swept(world):
    now = START
    participant = Participant.objects.create(case=world.case, name="Lid Een", category="resident")

    def link(name, expires_days, revoked_days=None):
        return PersonalLink.objects.create(
            participant=participant,
            token_hash=name * 64,
            created_at=now - 200 * DAY,
            expires_at=now + dt.timedelta(days=expires_days),
            revoked_at=None if revoked_days is None else now + dt.timedelta(days=revoked_days),
        )

    expired = link("a", -31)
    revoked = link("b", 60, revoked_days=-31)
    kept = [link("c", -29), link("d", 60, revoked_days=-29), link("e", 60)]
    assert retention.sweep_links(now) == 2
    remaining = set(PersonalLink.objects.values_list("pk", flat=True))
    assert remaining == {k.pk for k in kept}
    assert expired.pk not in remaining and revoked.pk not in remaining
    assert retention.sweep_links(now) == 0


@pytest.mark.django_db
def test_the_daily_job_is_cheap_once_it_has_run(world, django_assert_max_num_queries):
    with time_machine.travel(START, tick=False):
        case_in_status(Status.CLOSED, region=world.west)
    with time_machine.travel(START + 731 * DAY, tick=False):
        assert retention.run_daily()["cases"] == 1
        with django_assert_max_num_queries(1):
            assert retention.run_daily() == {}
    with time_machine.travel(START + 732 * DAY, tick=False):
        assert retention.run_daily() == {
            "declined": 0,
            "cases": 0,
            "messages": 0,
            "links": 0,
            "sessions": 0,
            "log": 0,
        }


@pytest.mark.django_db
def test_the_worker_runs_the_daily_job(world):
    from kring.operations.management.commands.worker import sweep_once

    with time_machine.travel(START, tick=False):
        case = case_in_status(Status.STOPPED, region=world.west, requester_name="Stop Zaak")
    with time_machine.travel(START + 731 * DAY, tick=False):
        sweep_once()
    assert Case.objects.get(pk=case.pk).requester_name == retention.ANONYMISED


@pytest.mark.django_db
def test_the_command_lists_and_anonymises(world):
    with time_machine.travel(START, tick=False):
        case = seeded_case(world)
    with time_machine.travel(START + 731 * DAY, tick=False):
        out = StringIO()
        call_command("anonymise", "--dry-run", stdout=out)
        assert case.reference in out.getvalue()
        assert "1 finished case(s) to anonymise" in out.getvalue()
        assert Case.objects.get(pk=case.pk).requester_name == "Karin Oosterhuis"
        out = StringIO()
        call_command("anonymise", stdout=out)
        assert "1 finished case(s) anonymised" in out.getvalue()
        assert Case.objects.get(pk=case.pk).requester_name == retention.ANONYMISED


# --- The overview ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_manager_sees_the_upcoming_date_of_their_regions_cases(world, client):
    with time_machine.travel(START, tick=False):
        west = seeded_case(world)
        declined = case_in_status(Status.DECLINED, region=world.west)
        zuid = case_in_status(Status.CLOSED, region=world.zuid, requester_name="Zuid Zaak")
    with time_machine.travel(START + 10 * DAY, tick=False):
        client.force_login(world.manager)
        response = client.get(reverse("retention_overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Retention periods" in html
    assert west.reference in html and declined.reference in html
    assert zuid.reference not in html
    west_on = timezone.localdate(START + 730 * DAY).isoformat()
    declined_on = timezone.localdate(START + 183 * DAY).isoformat()
    assert f'datetime="{west_on}"' in html and f'datetime="{declined_on}"' in html
    assert html.index(declined.reference) < html.index(west.reference)  # soonest first
    assert reverse("case_detail", args=[west.reference]) in html
    assert world.case.reference not in html  # still in preparation: nothing due
    for secret in ("Karin Oosterhuis", "Familie Oosterhuis"):
        assert secret not in html


@pytest.mark.django_db
def test_an_administrator_sees_every_region_but_no_names(world, client):
    with time_machine.travel(START, tick=False):
        west = seeded_case(world)
        zuid = case_in_status(Status.CLOSED, region=world.zuid, requester_name="Zuid Zaak")
    client.force_login(world.administrator)
    response = client.get(reverse("retention_overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert west.reference in html and zuid.reference in html
    for secret in [*SECRETS, "Zuid Zaak", zuid.place]:
        assert secret not in html, secret
    assert reverse("case_detail", args=[west.reference]) not in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["coordinator", "researcher"])
def test_other_roles_do_not_get_the_overview(world, client, role):
    client.force_login(getattr(world, role))
    assert client.get(reverse("retention_overview")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "administrator"])
def test_the_overview_query_count_does_not_grow(world, client, role):
    client.force_login(getattr(world, role))
    client.get(reverse("retention_overview"))  # the first request sets up the session

    def queries(count):
        for _ in range(count):
            case_in_status(Status.CLOSED, region=world.west, coordinator=world.coordinator)
            case_in_status(Status.WITHDRAWN, region=world.west)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("retention_overview")).status_code == 200
        return len(captured)

    assert queries(1) == queries(5)


@pytest.mark.django_db
def test_the_periods_follow_the_settings(world, client, settings):
    settings.KRING_RETAIN_DECLINED_DAYS = 10
    with time_machine.travel(START, tick=False):
        case = case_in_status(Status.DECLINED, region=world.west)
    with time_machine.travel(START + 11 * DAY, tick=False):
        assert [c.pk for c in retention.due()["declined"]] == [case.pk]
        client.force_login(world.manager)
        html = client.get(reverse("retention_overview")).content.decode()
    assert "10 days" in html


@pytest.mark.django_db
def test_expired_sessions_are_cleared(world, client):
    from django.contrib.sessions.models import Session

    client.force_login(world.manager)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    assert retention.run_daily(force=True)["sessions"] == 1
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_the_worker_anonymises_a_backlog_a_few_seconds_per_round(world, monkeypatch):
    """The first run on years of cases anonymised 2,676 at once, about a minute in which the
    mail of the same worker waited. Given seconds, a run stops after them, does not count the
    day as done, and the next goes on where it stopped (issue 18)."""
    with time_machine.travel(START, tick=False):
        cases = [case_in_status(Status.CLOSED, region=world.west) for _ in range(3)]
    clock = [0.0, 0.0, 6.0]  # the deadline (0 + 5), one case in time, then past it

    def monotonic() -> float:
        return clock.pop(0) if clock else 100.0

    with time_machine.travel(START + 731 * DAY, tick=False):
        monkeypatch.setattr(retention, "time", type("Clock", (), {"monotonic": monotonic}))
        assert retention.run_daily(seconds=5)["cases"] == 1
        monkeypatch.undo()
        anonymised = Case.objects.filter(requester_name=retention.ANONYMISED)
        assert anonymised.count() == 1
        assert retention.run_daily(seconds=5)["cases"] == 2  # the day was not counted as done
        assert anonymised.count() == len(cases)
        assert retention.run_daily(seconds=5) == {}
