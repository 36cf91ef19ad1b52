"""Phase 3, the meeting: the date poll, scheduling, place and food, costs, invitations with
.ics events and letters, updates, cancellation and reminders."""

import datetime as dt
import zoneinfo
from email import message_from_bytes, policy

import icalendar
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kring.accounts.models import Organisation
from kring.cases.models import Case, ConferenceQuestion, Funding, Status
from kring.circle import links
from kring.circle.models import Participant
from kring.meetings import invitations, services
from kring.meetings.models import CostItem, DateAnswer, DateOption, Invitation, Meeting
from kring.messaging import outbox
from kring.messaging.models import OutboxAttachment, OutboxMessage
from tests.factories import case_in_status

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def circle(world):
    ConferenceQuestion.objects.create(case=world.case, text="Hoe kan de overlast stoppen?")
    people = {
        "ayse": ("Ayse Kaya", "ayse@voorbeeld.test", "yes", "halal"),
        "bram": ("Bram Smit", "bram@voorbeeld.test", "yes", "vegetarian"),
        "carla": ("Carla Dekker", "", "yes", ""),
        "dirk": ("Dirk Bos", "dirk@voorbeeld.test", "no", ""),
        "eva": ("Eva Mol", "eva@voorbeeld.test", "not_yet", ""),
    }
    made = {}
    for key, (name, email, willing, diet) in people.items():
        made[key] = Participant.objects.create(
            case=world.case,
            name=name,
            email=email,
            category="resident",
            willingness=willing,
            diet=diet,
            postal_address="Molenstraat 3\n1053 AB Amsterdam" if not email else "",
        )
    return made


def in_days(days, hour=19, minute=30):
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


def option(world, days=20):
    start = in_days(days)
    return DateOption.objects.create(
        case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )


@pytest.mark.django_db
def test_proposing_dates_checks_them(world, client):
    client.force_login(world.coordinator)
    url = reverse("dates", args=[world.case.reference])
    day = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    assert client.post(url, {"day": day, "starts": "19:00", "ends": "22:00"}).status_code == 302
    assert client.post(url, {"day": day, "starts": "19:00", "ends": "22:00"}).status_code == 409
    assert client.post(url, {"day": day, "starts": "19:00", "ends": "18:00"}).status_code == 400
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert client.post(url, {"day": past, "starts": "19:00", "ends": "22:00"}).status_code == 400
    assert client.post(url, {"day": "gisteren", "starts": "7 uur", "ends": ""}).status_code == 400
    assert DateOption.objects.count() == 1


@pytest.mark.django_db
def test_the_poll_grid_from_own_pages_and_phone_answers(world, client, circle):
    first, second = option(world, 20), option(world, 27)
    ayse_page = reverse("portal", args=[links.issue(circle["ayse"])])
    client.post(
        ayse_page, {"action": "dates", f"option-{first.pk}": "yes", f"option-{second.pk}": "no"}
    )
    client.force_login(world.coordinator)
    phone = reverse("date_answer", args=[world.case.reference])
    for key, first_answer, second_answer in (("bram", "maybe", "yes"), ("carla", "yes", "yes")):
        client.post(
            phone, {"participant": circle[key].pk, "option": first.pk, "answer": first_answer}
        )
        client.post(
            phone, {"participant": circle[key].pk, "option": second.pk, "answer": second_answer}
        )
    # Someone who said no is not asked and cannot be entered.
    refused = client.post(
        phone, {"participant": circle["dirk"].pk, "option": first.pk, "answer": "yes"}
    )
    assert refused.status_code == 400
    response = client.get(reverse("dates", args=[world.case.reference]))
    found = response.context["poll"]
    assert [c.score for c in found.columns] == [(3, 2), (2, 2)]
    assert found.best.option == first
    assert "Dirk Bos" not in response.text
    assert DateAnswer.objects.get(participant=circle["ayse"], option=first).entered_by is None
    # Each own page shows that person's answers, and only theirs.
    client.logout()
    for key, answers in (("ayse", ("yes", "no")), ("bram", ("maybe", "yes"))):
        page = client.get(reverse("portal", args=[links.issue(circle[key])]))
        assert page.context["options"] == list(zip((first, second), answers, strict=True))
        for each, answer in zip((first, second), answers, strict=True):
            assert (
                f'id="option-{each.pk}-{answer}" name="option-{each.pk}" value="{answer}" checked'
                in (page.text)
            )


@pytest.mark.django_db
def test_choosing_a_date_schedules_the_meeting(world, client, circle):
    chosen = option(world)
    client.force_login(world.manager)
    url = reverse("date_choose", args=[world.case.reference, chosen.pk])
    assert client.post(url).status_code == 409  # the coordinator chooses
    client.force_login(world.coordinator)
    # First a confirmation that says what will happen; nothing changes yet.
    asked = client.post(url)
    assert asked.status_code == 200
    assert "The requester is told the date by email." in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert Case.objects.get(pk=world.case.pk).status == Status.SCHEDULED
    meeting = Meeting.objects.get(case=world.case)
    assert meeting.starts_at == chosen.starts_at and meeting.sequence == 0


@pytest.fixture
def scheduled(world, circle):
    world.case.refresh_from_db()
    meeting = services.schedule(world.case, option(world), user=world.coordinator)
    Meeting.objects.filter(pk=meeting.pk).update(
        venue_name="Buurthuis De Ster", venue_address="Molenstraat 40, Amsterdam"
    )
    meeting.refresh_from_db()
    return meeting


def ics_of(message):
    attachment = OutboxAttachment.objects.get(message=message)
    return icalendar.Calendar.from_ical(bytes(attachment.content))


@pytest.mark.django_db
def test_invitations_go_to_everyone_who_said_yes(world, client, scheduled, circle):
    client.force_login(world.coordinator)
    url = reverse("invitations_send", args=[world.case.reference])
    assert client.post(url).status_code == 302
    sent = OutboxMessage.objects.filter(purpose="meeting.invitation")
    assert sorted(m.to_addresses[0] for m in sent) == ["ayse@voorbeeld.test", "bram@voorbeeld.test"]
    letters = Invitation.objects.filter(channel="letter")
    assert [i.participant for i in letters] == [circle["carla"]]
    assert not Invitation.objects.filter(participant__in=[circle["dirk"], circle["eva"]]).exists()
    calendar = ics_of(sent.first())
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == scheduled.uid and int(event["SEQUENCE"]) == 0
    start = event.decoded("DTSTART")
    assert start.tzinfo.key == "Europe/Amsterdam" and (start.hour, start.minute) == (19, 30)
    assert "Buurthuis De Ster" in str(event["LOCATION"])
    # Sending again sends nothing new.
    assert client.post(url).status_code == 302
    assert OutboxMessage.objects.filter(purpose__startswith="meeting.").count() == 2


@pytest.mark.django_db
def test_a_change_of_place_sends_an_update_with_a_higher_sequence(world, client, scheduled):
    invitations.send(scheduled, user=world.coordinator)
    client.force_login(world.coordinator)
    data = {
        "venue_name": "Wijkcentrum Oost",
        "venue_address": "Dapperstraat 1",
        "venue_accessibility": "drempelvrij",
        "venue_capacity": "30",
        "catering": "soep en broodjes",
        "catering_for": "12",
        "interpreters": "",
        "version": scheduled.version,
    }
    assert client.post(reverse("meeting", args=[world.case.reference]), data).status_code == 302
    stale = client.post(reverse("meeting", args=[world.case.reference]), data)
    assert stale.status_code == 409
    scheduled.refresh_from_db()
    assert scheduled.sequence == 1
    # The invitation button sends first invitations only; the update has its own action.
    assert invitations.send(scheduled, user=world.coordinator).emails == 0
    invitations.send_updates(scheduled, user=world.coordinator)
    updates = OutboxMessage.objects.filter(purpose="meeting.update")
    assert updates.count() == 2
    (event,) = ics_of(updates.first()).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1 and str(event["UID"]) == scheduled.uid


@pytest.mark.django_db
def test_cancelling_tells_the_invited_with_a_cancel_event(world, client, scheduled):
    invitations.send(scheduled, user=world.coordinator)
    client.force_login(world.coordinator)
    url = reverse("meeting_cancel", args=[world.case.reference])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "De zaal is afgezegd"}).status_code == 302
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION
    cancellations = OutboxMessage.objects.filter(purpose="meeting.cancellation")
    assert cancellations.count() == 2
    calendar = ics_of(cancellations.first())
    assert calendar["METHOD"] == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert Invitation.objects.filter(kind="cancellation", channel="letter").count() == 1


@pytest.mark.django_db
def test_reminders_go_once_and_only_to_those_who_said_yes(world, scheduled, circle):
    invitations.send(scheduled, user=world.coordinator)
    # Bram changes his mind after the invitation: he gets nothing more.
    Participant.objects.filter(pk=circle["bram"].pk).update(willingness="no")
    assert invitations.send_reminders() == 0  # too early
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2)):
        assert invitations.send_reminders() == 1
        assert invitations.send_reminders() == 0  # a second worker, a second round: nothing
    (reminder,) = OutboxMessage.objects.filter(purpose="meeting.reminder")
    assert reminder.to_addresses == ["ayse@voorbeeld.test"]


def to_participants(world, smtp):
    """What the SMTP server received, less the requester's news that the meeting is set."""
    return [m for m in smtp.messages if m["To"] != world.case.requester_email]


@pytest.mark.django_db
def test_the_invitation_reaches_a_real_smtp_server_with_a_calendar_part(world, scheduled, smtp):
    invitations.send(scheduled, user=world.coordinator)
    outbox.sweep()
    invited = to_participants(world, smtp)
    assert sorted(m["To"] for m in invited) == ["ayse@voorbeeld.test", "bram@voorbeeld.test"]
    message = invited[0]
    parts = [part.get_content_type() for part in message.walk()]
    assert "text/calendar" in parts
    raw = message_from_bytes(message.as_bytes(), policy=policy.default)
    calendar_part = next(p for p in raw.walk() if p.get_content_type() == "text/calendar")
    assert b"BEGIN:VCALENDAR" in calendar_part.get_payload(decode=True)
    assert "/p/" in message.get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_the_letter_for_someone_without_email(world, client, scheduled, circle):
    invitations.send(scheduled, user=world.coordinator)
    client.force_login(world.coordinator)
    response = client.get(reverse("letter", args=[world.case.reference, circle["carla"].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    import io

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Carla Dekker" in text and "Molenstraat 3" in text and "Buurthuis De Ster" in text
    assert Invitation.objects.get(participant=circle["carla"]).printed_at is not None
    # Someone who said no gets no letter.
    no = client.get(reverse("letter", args=[world.case.reference, circle["dirk"].pk]))
    assert no.status_code == 404


@pytest.mark.django_db
def test_catering_and_the_budget(world, client, circle):
    gemeente = Organisation.objects.create(name="Gemeente Amsterdam", kind="gemeente")
    funding = Funding.objects.create(
        case=world.case, organisation=gemeente, amount=1000, decision="approved"
    )
    Funding.objects.create(
        case=world.case, organisation=Organisation.objects.create(name="Fonds"), amount=500
    )
    client.force_login(world.coordinator)
    url = reverse("cost_add", args=[world.case.reference])
    assert (
        client.post(
            url, {"description": "Zaalhuur", "amount": "250", "funding": funding.pk}
        ).status_code
        == 302
    )
    assert client.post(url, {"description": "Soep", "amount": "-3"}).status_code == 400
    # A funding of another case cannot pay for this one.
    elsewhere = case_in_status(Status.ACCEPTED, region=world.west)
    other = Funding.objects.create(case=elsewhere, organisation=gemeente)
    refused = client.post(url, {"description": "x", "amount": "1", "funding": other.pk})
    assert refused.status_code == 400
    page = client.get(reverse("meeting", args=[world.case.reference]))
    budget = page.context["budget"]
    assert (budget.granted, budget.pending, budget.spent, budget.remaining) == (1000, 500, 250, 750)
    catering = page.context["catering"]
    assert catering.people == 3
    assert dict(catering.diets) == {"halal": 1, "vegetarian": 1}
    item = CostItem.objects.get()
    assert (
        client.post(reverse("cost_remove", args=[world.case.reference, item.pk])).status_code == 302
    )


@pytest.mark.django_db
def test_the_date_and_meeting_pages_take_the_same_queries_at_two_sizes(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.coordinator)
    client.get("/")
    urls = [reverse(n, args=[world.case.reference]) for n in ("dates", "meeting")]

    def grow(count, days):
        options = [option(world, days + i) for i in range(2)]
        for i in range(count):
            p = Participant.objects.create(
                case=world.case,
                name=f"P {days}-{i}",
                category="resident",
                willingness="yes",
                interpreter="tr" if i % 2 else "",
                diet="halal" if i % 3 else "",
            )
            for o in options:
                DateAnswer.objects.create(option=o, participant=p, answer="yes")

    def count():
        sizes = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            sizes.append(len(queries))
        return sizes

    grow(5, 20)
    small = count()
    grow(45, 30)
    assert count() == small


@pytest.mark.django_db
def test_a_delivered_message_keeps_no_personal_link_token(world, scheduled, smtp):
    invitations.send(scheduled, user=world.coordinator)
    outbox.sweep()
    delivered = [m.get_body(("plain",)).get_content() for m in to_participants(world, smtp)]
    assert all("/p/" in body and "/p/[token]" not in body for body in delivered)
    for message in OutboxMessage.objects.filter(purpose="meeting.invitation"):
        assert message.status == "sent"
        assert "/p/[token]" in message.body_text and "/p/[token]" in message.body_html
        (attachment,) = message.attachments.all()
        assert b"/p/[token]" in bytes(attachment.content)


@pytest.mark.django_db
def test_a_letter_is_only_for_someone_without_email(world, client, scheduled, circle):
    invitations.send(scheduled, user=world.coordinator)
    client.force_login(world.coordinator)
    url = reverse("letter", args=[world.case.reference, circle["ayse"].pk])
    assert client.get(url).status_code == 404  # her emailed link must keep working
