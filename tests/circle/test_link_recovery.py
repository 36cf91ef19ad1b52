"""Issue 13, points 1 and 2 and the letter code: every link a person received keeps working
until it expires, the case ends, they say no or staff stop it; a dead link's page sends a new
one to the address Kring holds, saying nothing about who is known; a letter's short code opens
the own page; and every link, sender and calendar event follows the one site setting."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kring.cases.lifecycle import change_status
from kring.cases.models import Case, CaseEvent, Status
from kring.circle import links
from kring.circle.models import Participant, PersonalLink
from kring.demo.management.commands.run import site_for
from kring.meetings import invitations
from kring.meetings.models import Meeting
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.plans import distribution
from tests.factories import make_plan
from tests.plans.test_plan_distribution import FIVE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = re.compile(r"/p/([A-Za-z0-9_-]{43})/")
CODE = re.compile(r"\b([A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5})\b")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def person(world, name="Jan de Wit", email="jan@voorbeeld.test", phone="06 12345678", **extra):
    return Participant.objects.create(
        case=world.case, name=name, email=email, phone=phone, category="resident", **extra
    )


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def without_csrf(text: str) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)


def opens(client, token: str) -> bool:
    return client.get(reverse("portal", args=[token])).status_code == 200


# --- Point 1: earlier links keep working -----------------------------------------------


@pytest.mark.django_db
def test_the_first_link_still_opens_after_every_later_message(world, client, smtp):
    made = make_plan(world.coordinator, world.case, circle=FIVE)
    anna = made.people["anna"]
    # The information with the first link, sent by the coordinator.
    client.force_login(world.coordinator)
    assert (
        client.post(reverse("participant_link", args=[made.case.reference, anna.pk])).status_code
        == 302
    )
    client.logout()
    # Invitation, an update after a change of date, a reminder (while the case is scheduled),
    # then, after the conference, the copy of the plan.
    Case.objects.filter(pk=made.case.pk).update(status=Status.SCHEDULED)
    meeting = Meeting.objects.get(case=made.case)
    start = timezone.now() + dt.timedelta(days=10)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )
    meeting.refresh_from_db()
    invitations.send(meeting, user=world.coordinator)
    later = start + dt.timedelta(days=1)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=later, ends_at=later + dt.timedelta(hours=3), sequence=1
    )
    meeting.refresh_from_db()
    invitations.send_updates(meeting, user=world.coordinator)
    assert invitations.send_reminders(now=later - dt.timedelta(days=1)) == 2
    Case.objects.filter(pk=made.case.pk).update(status=Status.HELD)
    distribution.distribute(made.plan, user=world.coordinator)
    outbox.sweep()

    to_anna = [message for message in smtp.messages if message["To"] == anna.email]
    purposes = list(
        OutboxMessage.objects.filter(participant=anna)
        .order_by("pk")
        .values_list("purpose", flat=True)
    )
    assert purposes == [
        "circle.link",
        "meeting.invitation",
        "meeting.update",
        "meeting.reminder",
        "plan.copy",
    ]
    tokens = [TOKEN.findall(plain(message))[0] for message in to_anna]
    assert len(tokens) == 5 and len(set(tokens)) == 5  # each message its own link
    assert all(opens(client, token) for token in tokens)  # the first one included
    assert not PersonalLink.objects.filter(participant=anna, revoked_at__isnull=False).exists()


@pytest.mark.django_db
def test_a_no_on_the_own_page_keeps_only_the_link_used_to_say_it(world, client):
    jan = person(world)
    first, used, last = links.issue(jan), links.issue(jan), links.issue(jan)
    response = client.post(
        reverse("portal", args=[used]),
        {"action": "willingness", "willingness": "no", "version": jan.version},
    )
    assert response.status_code == 302
    # The way back: the page that promised "if you change your mind, you can say so here".
    page = client.get(reverse("portal", args=[used]))
    assert page.status_code == 200
    assert not opens(client, first) and not opens(client, last)
    event = CaseEvent.objects.filter(action="participant.willingness").latest("pk")
    assert event.data["links_revoked"] == 2
    # They change their mind there; the other links stay stopped.
    jan.refresh_from_db()
    client.post(
        reverse("portal", args=[used]),
        {"action": "willingness", "willingness": "yes", "version": jan.version},
    )
    assert Participant.objects.get(pk=jan.pk).willingness == "yes"
    assert opens(client, used) and not opens(client, first)


@pytest.mark.django_db
def test_a_no_given_to_staff_keeps_the_newest_link_only(world, client):
    jan = person(world)
    older, newest = links.issue(jan), links.issue(jan)
    client.force_login(world.coordinator)
    url = reverse("participant_willingness", args=[world.case.reference, jan.pk])
    assert client.post(url, {"willingness": "no", "version": jan.version}).status_code == 302
    client.logout()
    assert opens(client, newest) and not opens(client, older)


@pytest.mark.django_db
def test_staff_stop_every_link_with_a_reason(world, client):
    jan = person(world)
    tokens = [links.issue(jan), links.issue(jan)]
    url = reverse("participant_links_revoke", args=[world.case.reference, jan.pk])
    client.force_login(world.other_coordinator)
    assert client.post(url, {"reason": "Brief naar verkeerd adres"}).status_code == 404
    client.force_login(world.coordinator)
    page = client.get(reverse("participant_detail", args=[world.case.reference, jan.pk]))
    assert url in page.text and "2 links work" in page.text
    # Without a reason: refused, nothing stops.
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400 and "This field is required." in empty.text
    assert PersonalLink.objects.filter(participant=jan, revoked_at__isnull=True).count() == 2
    assert client.post(url, {"reason": "Brief naar verkeerd adres"}).status_code == 302
    stopped = PersonalLink.objects.filter(participant=jan)
    assert {(link.revoked_reason, link.revoked_by) for link in stopped} == {
        ("Brief naar verkeerd adres", world.coordinator)
    }
    event = CaseEvent.objects.get(action="participant.links_revoked")
    assert (event.reason, event.actor, event.data["links"]) == (
        "Brief naar verkeerd adres",
        world.coordinator,
        2,
    )
    client.logout()
    assert not any(opens(client, token) for token in tokens)


# --- Point 1: "send me a new link" -----------------------------------------------------


def ask(client, address: str):
    return client.post(reverse("new_link"), {"address": address})


@pytest.mark.django_db
def test_the_dead_link_page_offers_a_new_link(client):
    page = client.get(reverse("portal", args=["x" * 43]))
    assert page.status_code == 404
    assert f'action="{reverse("new_link")}"' in page.text and 'name="address"' in page.text


@pytest.mark.django_db
def test_a_known_address_gets_a_working_link_and_nobody_learns_anything(world, client, smtp):
    jan = person(world)
    person(world, name="Dirk Bos", email="dirk@voorbeeld.test", phone="", willingness="no")
    known = ask(client, "  Jan@Voorbeeld.test ")
    unknown = ask(client, "niemand@voorbeeld.test")
    declined = ask(client, "dirk@voorbeeld.test")
    assert {r.status_code for r in (known, unknown, declined)} == {200}
    assert len({without_csrf(r.text) for r in (known, unknown, declined)}) == 1
    assert "If we know this address, we have sent a new link to it." in known.text
    assert outbox.sweep() == 1
    (message,) = smtp.messages
    assert message["To"] == "jan@voorbeeld.test"
    (token,) = TOKEN.findall(plain(message))
    assert opens(client, token)
    assert CaseEvent.objects.get(action="participant.link_requested").data == {
        "participant": jan.pk,
        "channel": "email",
    }


@pytest.mark.django_db
def test_a_finished_case_sends_nothing(world, client, smtp):
    person(world)
    change_status(world.case, "withdrawn", user=world.manager, reason="Ingetrokken")
    assert ask(client, "jan@voorbeeld.test").status_code == 200
    assert outbox.sweep() == 0 and smtp.messages == []


@pytest.mark.django_db
def test_asking_too_often_gets_the_same_page_and_no_more_mail(world, client, smtp, settings):
    person(world)
    settings.KRING_NEW_LINK_LIMIT_PER_HOUR = 2
    pages = [ask(client, "jan@voorbeeld.test") for _ in range(4)]
    assert {page.status_code for page in pages} == {200}
    assert len({without_csrf(page.text) for page in pages}) == 1
    outbox.sweep()
    assert [m["To"] for m in smtp.messages] == ["jan@voorbeeld.test"] * 2
    # Per client too: other addresses from the same client stop at three times the limit.
    for number in range(8):
        ask(client, f"iemand{number}@voorbeeld.test")
    person(world, name="Kees", email="kees@voorbeeld.test", phone="")
    assert ask(client, "kees@voorbeeld.test").status_code == 200
    outbox.sweep()
    assert "kees@voorbeeld.test" not in [m["To"] for m in smtp.messages]


@pytest.mark.django_db
def test_a_phone_number_tells_the_coordinator(world, client, smtp):
    jan = person(world, email="")
    response = ask(client, "+31 6 1234 5678")
    assert response.status_code == 200
    assert without_csrf(response.text) == without_csrf(ask(client, "0611111111").text)
    outbox.sweep()
    (message,) = smtp.messages
    assert message["To"] == world.coordinator.email
    body = plain(message)
    assert "Jan de Wit" in body and world.case.reference in body
    assert reverse("participant_detail", args=[world.case.reference, jan.pk]) in body
    assert not TOKEN.search(body)  # no link goes to the coordinator
    assert not PersonalLink.objects.filter(participant=jan).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "This field is required."),
        ("a" * 300 + "@voorbeeld.test", "Ensure this value has at most 254 characters"),
        # Refused at the edge, before the form (kring/core/safety.py), with the same rule.
        ("jan\x00@voorbeeld.test", "invisible control characters"),
        ("jan@", "Type an email address such as name@example.nl, or a phone number."),
        ("bel me", "Type an email address such as name@example.nl, or a phone number."),
    ],
)
def test_bad_input_gets_a_message_and_sends_nothing(world, client, smtp, typed, message):
    person(world)
    response = ask(client, typed)
    assert response.status_code == 400 and message in response.text
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_the_dutch_page_speaks_dutch(world, client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    assert "Stuur mij een nieuwe link" in client.get(reverse("new_link")).text
    assert "Als wij dit adres kennen" in ask(client, "niemand@voorbeeld.test").text


# --- The code on a letter ----------------------------------------------------------------


def type_code(client, code: str):
    return client.post(reverse("portal_code"), {"code": code})


@pytest.mark.django_db
def test_the_invitation_letter_has_a_code_that_opens_the_own_page(world, client):
    made = make_plan(world.coordinator, world.case, circle=FIVE)
    carla = made.people["carla"]  # no email: she gets letters
    meeting = Meeting.objects.get(case=made.case)
    text = pdf_text(invitations.letter(meeting, carla))
    (code,) = CODE.findall(text)
    assert "/code/" in re.sub(r"\s+", "", text)
    response = type_code(client, code.lower().replace("-", " "))
    assert response.status_code == 302
    (token,) = TOKEN.findall(response["Location"])
    own = client.get(response["Location"])
    assert own.status_code == 200 and "Carla Dekker" in own.text
    link = links.resolve(token)
    assert link is not None and link.participant == carla
    assert response.wsgi_request.sensitive_post_parameters == ("code",)


@pytest.mark.django_db
def test_the_plan_letter_has_a_code_too(world, client):
    made = make_plan(world.coordinator, world.case, circle=FIVE)
    carla = made.people["carla"]
    text = pdf_text(distribution.letter(made.plan, carla, user=world.coordinator))
    (code,) = CODE.findall(text)
    assert type_code(client, code).status_code == 302


@pytest.mark.django_db
def test_a_wrong_or_stopped_code_gets_one_answer_and_guessing_is_limited(world, client, settings):
    jan = person(world, email="")
    _token, expired = links.issue_for_letter(jan)
    PersonalLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _token, good = links.issue_for_letter(jan)
    answers = [type_code(client, code) for code in (expired, "ABCDE-FGHJK", "00000-00000")]
    assert {answer.status_code for answer in answers} == {404}
    assert len({without_csrf(answer.text) for answer in answers}) == 1
    assert type_code(client, "").status_code == 400
    assert type_code(client, "x" * 41).status_code == 400
    settings.KRING_CODE_LIMIT_PER_HOUR = 5
    for _ in range(2):
        type_code(client, "ABCDE-FGHJK")
    limited = type_code(client, good)  # the sixth attempt this hour, even with the right code
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    # The code itself is stored only as a keyed hash.
    stored = PersonalLink.objects.exclude(code_hash=None).values_list("code_hash", flat=True)
    assert good.replace("-", "") not in "".join(str(value) for value in stored)


# --- Point 2: one site setting -----------------------------------------------------------


def _settings_of(env: dict[str, str], *names: str) -> list[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KRING_", "SITE_URL", "DEFAULT_FROM", "DATABASE_URL"))
    }
    code = "from django.conf import settings; " + "; ".join(
        f"print(settings.{name})" for name in names
    )
    result = subprocess.run(  # noqa: S603 - this interpreter on fixed code
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "kring.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


def test_the_site_follows_the_port_in_development():
    assert _settings_of({"KRING_PORT": "8101"}, "SITE_URL", "DEFAULT_FROM_EMAIL") == [
        "http://127.0.0.1:8101",
        "Kring <kring@kring.localhost>",
    ]
    assert _settings_of(
        {"SITE_URL": "https://kring.example.org/"}, "SITE_URL", "DEFAULT_FROM_EMAIL"
    ) == [
        "https://kring.example.org",
        "Kring <kring@kring.example.org>",
    ]


def test_run_gives_the_web_app_and_worker_the_address_it_serves(settings):
    settings.SITE_URL_EXPLICIT = False
    site_url, environment = site_for("127.0.0.1", 8101)
    assert site_url == environment["SITE_URL"] == "http://127.0.0.1:8101"
    settings.SITE_URL_EXPLICIT = True
    settings.SITE_URL = "https://kring.example.org"
    site_url, environment = site_for("0.0.0.0", 8101)  # noqa: S104
    assert site_url == "https://kring.example.org"
    assert environment.get("SITE_URL") == os.environ.get("SITE_URL")


@pytest.mark.django_db
def test_production_refuses_to_start_without_a_site_url():
    env = {
        "KRING_ENV": "production",
        "SECRET_KEY": "k" * 60,
        "EMAIL_HOST": "smtp.test",
        "KRING_ALLOW_SQLITE": "true",
        "KRING_TRUSTED_PROXIES": "1",
        "KRING_CONTACT_PHONE": "030 123 45 67",
        "KRING_CONTACT_EMAIL": "contact@kring.test",
    }
    with pytest.raises(subprocess.CalledProcessError) as failure:
        _settings_of(env, "SITE_URL")
    assert "SITE_URL must be set" in failure.value.stderr


@pytest.mark.django_db
def test_emails_and_calendar_events_follow_the_site(world, client, smtp, settings):
    settings.SITE_URL = "https://kring.example.org"
    settings.SITE_HOST = "kring.example.org"
    settings.DEFAULT_FROM_EMAIL = "Kring Regio West <kring@kring.example.org>"
    settings.KRING_REPLY_TO = ["coordinatie@kring.example.org"]
    jan = person(world, willingness="yes")
    start = timezone.now() + dt.timedelta(days=20)
    meeting = Meeting.objects.create(
        case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )
    invitations.send(meeting, user=world.coordinator)
    outbox.sweep()
    (message,) = smtp.messages
    assert message["From"] == "Kring Regio West <kring@kring.example.org>"
    assert message["Reply-To"] == "coordinatie@kring.example.org"
    (token,) = TOKEN.findall(plain(message))
    assert f"https://kring.example.org/p/{token}/" in plain(message)
    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    (event,) = icalendar.Calendar.from_ical(calendar_part.get_payload(decode=True)).walk("VEVENT")
    assert str(event["URL"]) == f"https://kring.example.org/p/{token}/"
    assert str(event["UID"]).endswith("@kring.example.org")
    assert str(event["ORGANIZER"]) == "mailto:kring@kring.example.org"
    assert str(event["ORGANIZER"].params["CN"]) == "Kring Regio West"
    assert jan.email in str(event["ATTENDEE"])
