"""Issue 13, point 5: the requester hears when their request is accepted, when a coordinator
has been found and when the conference is set — in their language, once, without anyone
else's name — checked at a real SMTP server."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from kring.cases.lifecycle import (
    accept_assignment,
    assign_coordinator,
    change_status,
    decline_assignment,
)
from kring.cases.models import Case, ConferenceQuestion, Status
from kring.circle.models import Participant
from kring.meetings import services
from kring.meetings.models import DateOption
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from tests.factories import CoordinatorProfileFactory, case_in_status

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
REQUESTER = "requester@voorbeeld.test"
NEWS = ("request.accepted", "request.coordinator_found", "request.conference_set")


def at_intake(world, *, email=REQUESTER, language="nl"):
    case = case_in_status(
        Status.INTAKE,
        region=world.west,
        place="Bewoners van de Kerkstraat",
        requester_name="Rosa Aanvrager",
        requester_email=email,
        requester_language=language,
    )
    ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?")
    return case


def fresh(case):
    return Case.objects.get(pk=case.pk)


def a_date(case, days):
    day = timezone.localdate() + dt.timedelta(days=days)
    start = dt.datetime(day.year, day.month, day.day, 19, 30, tzinfo=AMSTERDAM)
    return DateOption.objects.create(
        case=case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )


def through_to_scheduled(world, case, *, days=21):
    """Every step a real person takes, through the functions the pages call."""
    change_status(fresh(case), Status.ACCEPTED, user=world.manager)
    assignment = assign_coordinator(fresh(case), world.coordinator, user=world.manager)
    accept_assignment(assignment, user=world.coordinator, declaration="Ik ben onafhankelijk.")
    for name in ("Ayse Kaya", "Bram Smit"):
        Participant.objects.create(
            case=case,
            name=name,
            email=f"{name.split()[0].lower()}@voorbeeld.test",
            category="resident",
            willingness="yes",
        )
    return services.schedule(fresh(case), a_date(case, days), user=world.coordinator)


def received(smtp, address=REQUESTER):
    return [m for m in smtp.messages if m["To"] == address]


OTHER_PEOPLE = (
    "Fatima El Amrani",  # the coordinator
    "Marieke de Vries",  # the regional manager
    "Ayse Kaya",  # participants
    "Bram Smit",
    "fatima@kring.test",
    "ayse@voorbeeld.test",
)


@pytest.mark.django_db
def test_each_step_sends_the_requester_one_email_without_other_names(world, smtp):
    case = at_intake(world, language="en")
    meeting = through_to_scheduled(world, case)
    outbox.sweep()
    messages = received(smtp)
    subjects = [m["Subject"] for m in messages]
    assert subjects == [
        f"Your request {case.reference} is accepted",
        f"A coordinator for your request {case.reference}",
        f"The conference on your request {case.reference} is set",
    ]
    for message in messages:
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "Rosa Aanvrager" in text and "Bewoners van de Kerkstraat" in text
        for other in OTHER_PEOPLE:
            assert other not in text and other not in html, (message["Subject"], other)
    day = timezone.localtime(meeting.starts_at).strftime("%A %-d %B %Y")
    assert day in messages[2].get_body(("plain",)).get_content()
    # The history records each, once.
    assert list(
        case.events.filter(action__startswith="requester.").values_list("action", flat=True)
    ) == ["requester.accepted", "requester.coordinator_found", "requester.conference_set"]


@pytest.mark.django_db
def test_the_requester_reads_dutch(world, smtp):
    case = at_intake(world, language="nl")
    through_to_scheduled(world, case)
    outbox.sweep()
    messages = received(smtp)
    assert [m["Subject"] for m in messages] == [
        f"Uw aanvraag {case.reference} is aangenomen",
        f"Een coördinator voor uw aanvraag {case.reference}",
        f"De conferentie over uw aanvraag {case.reference} staat vast",
    ]
    assert "Beste Rosa Aanvrager," in messages[0].get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_a_requester_without_email_gets_nothing(world, smtp):
    case = at_intake(world, email="")
    through_to_scheduled(world, case)
    outbox.sweep()
    assert not OutboxMessage.objects.filter(purpose__in=NEWS).exists()
    assert not case.events.filter(action__startswith="requester.").exists()
    assert smtp.messages  # the others were told: the worker did run


@pytest.mark.django_db
def test_nothing_goes_to_a_requester_whose_data_were_erased(world):
    case = at_intake(world)
    Case.objects.filter(pk=case.pk).update(requester_email="", requester_name="[gewist]")
    through_to_scheduled(world, case)
    assert not OutboxMessage.objects.filter(purpose__in=NEWS).exists()


@pytest.mark.django_db
def test_a_replaced_or_second_coordinator_is_no_news(world):
    case = at_intake(world)
    change_status(fresh(case), Status.ACCEPTED, user=world.manager)
    first = assign_coordinator(fresh(case), world.other_coordinator, user=world.manager)
    decline_assignment(first, user=world.other_coordinator, reason="Geen tijd.")
    assert not OutboxMessage.objects.filter(purpose="request.coordinator_found").exists()
    # Back in the manager's inbox and accepted again: the request is not accepted "again".
    assert fresh(case).status == Status.ACCEPTED
    second = assign_coordinator(fresh(case), world.coordinator, user=world.manager)
    accept_assignment(second, user=world.coordinator, declaration="Ik ben onafhankelijk.")
    third_user = CoordinatorProfileFactory(user__full_name="Kees Tweede").user
    third = assign_coordinator(fresh(case), third_user, user=world.manager)
    accept_assignment(third, user=third_user, declaration="Ik ben onafhankelijk.")
    assert OutboxMessage.objects.filter(purpose="request.accepted").count() == 1
    assert OutboxMessage.objects.filter(purpose="request.coordinator_found").count() == 1


@pytest.mark.django_db
def test_the_requester_hears_again_only_when_the_date_changes(world, client):
    case = at_intake(world)
    meeting = through_to_scheduled(world, case, days=21)
    # The same date picked again: nothing new.
    services.schedule(fresh(case), DateOption.objects.get(case=case), user=world.coordinator)
    assert OutboxMessage.objects.filter(purpose="request.conference_set").count() == 1
    # Cancelled and set on another day: the requester hears the new date.
    services.cancel(meeting, user=world.coordinator, reason="De zaal is afgezegd.")
    later = a_date(case, 35)
    services.schedule(fresh(case), later, user=world.coordinator)
    sent = OutboxMessage.objects.filter(purpose="request.conference_set").order_by("pk")
    assert sent.count() == 2
    latest = sent.last()
    assert latest is not None
    assert latest.subject == f"Nieuwe datum voor de conferentie over uw aanvraag {case.reference}"
    assert str(timezone.localtime(later.starts_at).day) in latest.body_text


@pytest.mark.django_db
def test_the_news_is_part_of_the_step(world, monkeypatch):
    """Stored in the step's own transaction: if the step fails after the email was stored,
    neither the step nor the email remains."""
    from kring.cases import emails

    stored = emails.request_accepted

    def store_then_fail(case):
        stored(case)
        raise RuntimeError("disk full")

    monkeypatch.setattr(emails, "request_accepted", store_then_fail)
    case = at_intake(world)
    with pytest.raises(RuntimeError):
        change_status(case, Status.ACCEPTED, user=world.manager)
    assert fresh(case).status == Status.INTAKE
    assert not OutboxMessage.objects.filter(purpose__in=NEWS).exists()
