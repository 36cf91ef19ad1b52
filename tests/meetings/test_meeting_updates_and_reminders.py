# The fixtures come from tests/meetings/test_meetings.py; ruff reads their use as redefinitions.
# ruff: noqa: F811
"""Issue 13, points 3 and 4: one reminder per person per meeting, never right after their
invitation; and after a change of date or place, one button that sends the update to exactly
those with the old details — checked at a real SMTP server."""

import datetime as dt
import io

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kring.cases.models import Case, Status
from kring.circle.models import Participant
from kring.meetings import invitations
from kring.meetings.models import Invitation, Meeting
from kring.messaging.models import OutboxMessage
from kring.operations.management.commands.worker import sweep_once
from tests.meetings.test_meetings import circle, option, scheduled  # noqa: F401  (fixtures)

NEW_PLACE = {
    "venue_name": "Wijkcentrum Oost",
    "venue_address": "Dapperstraat 1, Amsterdam",
    "venue_accessibility": "drempelvrij",
    "venue_capacity": "30",
    "catering": "soep en broodjes",
    "catering_for": "12",
    "interpreters": "",
}


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def window(settings):
    settings.KRING_REMINDER_DAYS = 3
    return dt.timedelta(days=3)


def delivered(smtp, purpose):
    """The messages the SMTP server received for one purpose, by recipient."""
    found: dict[str, int] = {}
    for message in smtp.messages:
        stored = OutboxMessage.objects.get(pk=int(message["X-Kring-Message"]))
        if stored.purpose == purpose:
            found[message["To"]] = found.get(message["To"], 0) + 1
    return found


def calendar_of(message):
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def change_place(client, world, meeting):
    meeting.refresh_from_db()
    data = {**NEW_PLACE, "version": meeting.version}
    response = client.post(reverse("meeting", args=[world.case.reference]), data)
    assert response.status_code == 302
    meeting.refresh_from_db()


# --- Reminders (point 3) ------------------------------------------------------------------


@pytest.mark.django_db
def test_no_reminder_when_the_invitation_went_out_within_the_window(world, scheduled, window, smtp):
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2)):
        invitations.send(scheduled, user=world.coordinator)
        sweep_once("test")
        sweep_once("test")
    assert delivered(smtp, "meeting.invitation") == {
        "ayse@voorbeeld.test": 1,
        "bram@voorbeeld.test": 1,
    }
    assert delivered(smtp, "meeting.reminder") == {}
    assert not Invitation.objects.filter(reminded_at__isnull=False).exists()


@pytest.mark.django_db
def test_one_reminder_per_person_however_often_the_sweep_runs(world, scheduled, window, smtp):
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=10)):
        invitations.send(scheduled, user=world.coordinator)
        sweep_once("test")
    assert delivered(smtp, "meeting.reminder") == {}  # not yet: the window is 3 days
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2)):
        sweep_once("one")
        sweep_once("two")  # a second worker, or the next round
        assert invitations.send_reminders() == 0
    assert delivered(smtp, "meeting.reminder") == {
        "ayse@voorbeeld.test": 1,
        "bram@voorbeeld.test": 1,
    }
    # The fact is on each person's invitation; Carla (a letter) gets no reminder email.
    reminded = Invitation.objects.filter(kind="invitation", reminded_at__isnull=False)
    assert sorted(i.participant.name for i in reminded) == ["Ayse Kaya", "Bram Smit"]


@pytest.mark.django_db
def test_an_update_after_the_reminder_brings_no_second_reminder(
    world, client, scheduled, window, smtp
):
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=10)):
        invitations.send(scheduled, user=world.coordinator)
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2)):
        sweep_once("test")
        client.force_login(world.coordinator)
        change_place(client, world, scheduled)
        assert client.post(reverse("updates_send", args=[world.case.reference])).status_code == 302
        sweep_once("test")
        sweep_once("test")
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=1)):
        sweep_once("test")
    assert delivered(smtp, "meeting.update") == {
        "ayse@voorbeeld.test": 1,
        "bram@voorbeeld.test": 1,
    }
    assert delivered(smtp, "meeting.reminder") == {
        "ayse@voorbeeld.test": 1,
        "bram@voorbeeld.test": 1,
    }


@pytest.mark.django_db
def test_an_update_within_the_window_before_any_reminder_stands_for_it(
    world, client, scheduled, window, smtp
):
    """Invited early, updated inside the window: the update carried the details, so no
    reminder follows it."""
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=10)):
        invitations.send(scheduled, user=world.coordinator)
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2, hours=12)):
        client.force_login(world.coordinator)
        change_place(client, world, scheduled)
        invitations.send_updates(scheduled, user=world.coordinator)
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=1)):
        sweep_once("test")
    assert delivered(smtp, "meeting.reminder") == {}
    assert len(delivered(smtp, "meeting.update")) == 2


@pytest.mark.django_db
def test_no_reminder_for_a_case_that_stopped(world, scheduled, window):
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=10)):
        invitations.send(scheduled, user=world.coordinator)
    Case.objects.filter(pk=world.case.pk).update(status=Status.STOPPED)
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2)):
        assert invitations.send_reminders() == 0


@pytest.mark.django_db
def test_a_claimed_reminder_is_not_sent_by_a_second_worker(world, scheduled, window):
    """Two workers read the same rows; the one that loses the claim sends nothing."""
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=10)):
        invitations.send(scheduled, user=world.coordinator)
    ayse = Participant.objects.get(name="Ayse Kaya")
    first = Invitation.objects.get(participant=ayse, kind="invitation")
    assert invitations._remind(scheduled, ayse, first.pk) == 1
    assert invitations._remind(scheduled, ayse, first.pk) == 0
    assert Invitation.objects.filter(participant=ayse, kind="reminder").count() == 1


@pytest.mark.django_db
def test_no_reminder_after_a_no_a_removed_address_or_a_cancelled_meeting(world, scheduled, window):
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=10)):
        invitations.send(scheduled, user=world.coordinator)
    Participant.objects.filter(name="Ayse Kaya").update(willingness="no")
    Participant.objects.filter(name="Bram Smit").update(email="")
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2)):
        assert list(invitations.remindable(timezone.now())) == []
    Participant.objects.filter(name="Bram Smit").update(email="bram@voorbeeld.test")
    Meeting.objects.filter(pk=scheduled.pk).update(cancelled_at=timezone.now())
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2)):
        assert invitations.send_reminders() == 0
    Meeting.objects.filter(pk=scheduled.pk).update(cancelled_at=None)
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=2)):
        assert [i.participant.name for i in invitations.remindable(timezone.now())] == ["Bram Smit"]


@pytest.mark.django_db
def test_the_sweep_reads_every_meeting_in_one_query(world, scheduled, window):
    """The worker runs it every round: read per meeting it cost 1,069 queries at 100,000 cases
    and held up the mail behind it (issue 18)."""
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=10)):
        invitations.send(scheduled, user=world.coordinator)
    with time_machine.travel(scheduled.starts_at - dt.timedelta(days=1)):
        with CaptureQueriesContext(connection) as queries:
            assert invitations.send_reminders() == 2
        reminded = len(queries)
        with CaptureQueriesContext(connection) as queries:
            assert invitations.send_reminders() == 0
    assert len(queries) == 1
    assert reminded > 1  # the claims and the emails


# --- Updates (point 4) --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_change_of_place_is_sent_once_with_the_update_button(
    world, client, scheduled, circle, smtp
):
    invitations.send(scheduled, user=world.coordinator)
    sweep_once("test")
    client.force_login(world.coordinator)
    page = client.get(reverse("meeting", args=[world.case.reference]))
    assert "have the old details" not in page.text and "Send the update" not in page.text

    change_place(client, world, scheduled)
    assert scheduled.sequence == 1
    page = client.get(reverse("meeting", args=[world.case.reference]))
    # Ayse and Bram by email, Carla by letter; Dirk said no and Eva has not answered.
    assert "3 people have the old details." in page.text
    assert [p.name for p in page.context["outdated"]] == ["Ayse Kaya", "Bram Smit", "Carla Dekker"]

    # The invitation button no longer sends updates, nor calls them invitations.
    response = client.post(reverse("invitations_send", args=[world.case.reference]), follow=True)
    assert "Everyone who takes part has been invited already." in response.text
    assert not OutboxMessage.objects.filter(purpose="meeting.update").exists()

    response = client.post(reverse("updates_send", args=[world.case.reference]), follow=True)
    assert "2 updates sent by email. 1 update to print." in response.text
    sweep_once("test")
    updates = [
        m
        for m in smtp.messages
        if OutboxMessage.objects.get(pk=int(m["X-Kring-Message"])).purpose == "meeting.update"
    ]
    assert sorted(m["To"] for m in updates) == ["ayse@voorbeeld.test", "bram@voorbeeld.test"]
    for message in updates:
        calendar = calendar_of(message)
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert int(event["SEQUENCE"]) == 1 and str(event["UID"]) == scheduled.uid
        assert "Wijkcentrum Oost" in str(event["LOCATION"])
        assert "Wijkcentrum Oost" in message.get_body(("plain",)).get_content()

    # Carla, without email, has a letter to print with the new place.
    (letter_row,) = Invitation.objects.filter(participant=circle["carla"], kind="update")
    assert (letter_row.channel, letter_row.sequence) == ("letter", 1)
    pdf = client.get(reverse("letter", args=[world.case.reference, circle["carla"].pk]))
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Wijkcentrum Oost" in text and "Gewijzigd:" in text  # Carla reads Dutch

    # Pressed again: nothing goes out, and the page has nobody with old details.
    response = client.post(reverse("updates_send", args=[world.case.reference]), follow=True)
    assert "Everyone who was invited has the current details." in response.text
    sweep_once("test")
    assert delivered(smtp, "meeting.update") == {
        "ayse@voorbeeld.test": 1,
        "bram@voorbeeld.test": 1,
    }
    page = client.get(reverse("meeting", args=[world.case.reference]))
    assert page.context["outdated"] == [] and "have the old details" not in page.text


@pytest.mark.django_db
def test_new_people_get_an_invitation_and_those_with_old_details_an_update(
    world, client, scheduled, circle
):
    invitations.send(scheduled, user=world.coordinator)
    client.force_login(world.coordinator)
    change_place(client, world, scheduled)
    Participant.objects.filter(pk=circle["eva"].pk).update(willingness="yes")
    response = client.post(reverse("invitations_send", args=[world.case.reference]), follow=True)
    assert "1 invitation sent by email. 0 letters to print." in response.text
    assert OutboxMessage.objects.filter(purpose="meeting.invitation", participant=circle["eva"])
    # Eva was invited with the current details: she is not among those with old ones.
    page = client.get(reverse("meeting", args=[world.case.reference]))
    assert [p.name for p in page.context["outdated"]] == ["Ayse Kaya", "Bram Smit", "Carla Dekker"]
    # Someone who says no after the change gets no update.
    Participant.objects.filter(pk=circle["bram"].pk).update(willingness="no")
    sent = invitations.send_updates(scheduled, user=world.coordinator)
    assert (sent.emails, sent.letters) == (1, 1)
    assert not Invitation.objects.filter(participant=circle["bram"], kind="update").exists()
    assert world.case.events.filter(action="meeting.updates").count() == 1


@pytest.mark.django_db
def test_a_new_date_counts_as_old_details_too(world, client, scheduled):
    invitations.send(scheduled, user=world.coordinator)
    later = option(world, 27)
    client.force_login(world.coordinator)
    url = reverse("date_choose", args=[world.case.reference, later.pk])
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    assert Meeting.objects.get(pk=scheduled.pk).sequence == 1
    page = client.get(reverse("meeting", args=[world.case.reference]))
    assert "3 people have the old details." in page.text


@pytest.mark.django_db
def test_no_update_before_a_date_is_chosen(world, client):
    client.force_login(world.coordinator)
    response = client.post(reverse("updates_send", args=[world.case.reference]))
    assert response.status_code == 409
    assert "Choose a date for the meeting first." in response.text
