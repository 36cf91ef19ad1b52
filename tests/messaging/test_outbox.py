import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from tests.conftest import free_port


def _store(subject="Welkom", to="deelnemer@voorbeeld.test"):
    email = mail.EmailMultiAlternatives(subject=subject, body="Hallo", to=[to])
    email.attach_alternative("<p>Hallo</p>", "text/html")
    email.attach("plan.txt", b"Het plan", "text/plain")
    return outbox.store(email, purpose="test")


@pytest.mark.django_db(transaction=True)
def test_a_stored_message_arrives_over_smtp(smtp):
    message = _store()
    assert message.status == OutboxMessage.Status.QUEUED
    # The commit enqueued the delivery task; the worker runs it.
    call_command("worker", once=True)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received["Subject"] == "Welkom"
    assert received["To"] == "deelnemer@voorbeeld.test"
    parts = {part.get_content_type() for part in received.walk()}
    assert {"text/plain", "text/html"} <= parts
    assert any(part.get_filename() == "plan.txt" for part in received.walk())


@pytest.mark.django_db
def test_django_send_mail_goes_through_the_outbox(smtp):
    mail.send_mail("Wachtwoord", "Link", None, ["medewerker@kring.test"])
    message = OutboxMessage.objects.get()
    assert smtp.messages == []  # nothing leaves before the worker sends it
    assert outbox.deliver(message.pk) == OutboxMessage.Status.SENT
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_temporary_failure_is_retried_with_back_off(settings):
    settings.KRING_DEMO_MAILBOX = False
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = False
    message = _store()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert outbox.deliver(message.pk) == OutboxMessage.Status.QUEUED
        message.refresh_from_db()
        assert message.attempts == 1
        assert "ConnectionRefusedError" in message.last_error
        assert message.next_attempt_at == timezone.now() + dt.timedelta(minutes=1)
        assert outbox.deliver(message.pk) is None  # not due yet
        traveller.shift(dt.timedelta(minutes=1))
        assert outbox.deliver(message.pk) == OutboxMessage.Status.QUEUED
        message.refresh_from_db()
        assert message.next_attempt_at == timezone.now() + dt.timedelta(minutes=4)


@pytest.mark.django_db
def test_attempts_run_out(settings):
    settings.KRING_DEMO_MAILBOX = False
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = False
    settings.KRING_OUTBOX_MAX_ATTEMPTS = 2
    message = _store()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        outbox.deliver(message.pk)
        traveller.shift(dt.timedelta(hours=1))
        assert outbox.deliver(message.pk) == OutboxMessage.Status.FAILED


@pytest.mark.django_db
def test_a_permanent_refusal_is_marked_failed_and_shown_to_staff(smtp, world, client):
    smtp.refuse_with = "550 5.1.1 No such user"
    message = _store(to="bestaatniet@voorbeeld.test")
    assert outbox.deliver(message.pk) == OutboxMessage.Status.FAILED
    message.refresh_from_db()
    assert "550" in message.last_error
    client.force_login(world.administrator)
    page = client.get(reverse("outbox_list"), {"status": "failed"})
    assert message.subject in page.text
    start = client.get(reverse("start"))
    assert "1" in start.text
    # Staff may send it again once the address is fixed.
    smtp.refuse_with = None
    response = client.post(reverse("outbox_retry", args=[message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.QUEUED
    assert outbox.deliver(message.pk) == OutboxMessage.Status.SENT
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_the_demo_mailbox_keeps_the_message_for_administrators(world, client):
    message = _store(subject="Uitnodiging")
    assert outbox.deliver(message.pk) == OutboxMessage.Status.SENT
    message.refresh_from_db()
    assert message.delivered_to_mailbox
    client.force_login(world.administrator)
    response = client.get(reverse("outbox_message", args=[message.pk]))
    assert "Uitnodiging" in response.text and "Hallo" in response.text


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_one_message_twice(smtp):
    ids = [_store(subject=f"Bericht {i}").pk for i in range(12)]
    barrier = threading.Barrier(2)
    errors = []

    def work():
        from django.db import connection

        barrier.wait()
        try:
            for message_id in ids:
                outbox.deliver(message_id)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    subjects = sorted(str(m["Subject"]) for m in smtp.messages)
    assert subjects == sorted(f"Bericht {i}" for i in range(12))
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_message_abandoned_mid_send_is_sent_again(smtp):
    message = _store()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.SENDING, claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert outbox.sweep() == 1
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_password_reset_mail_goes_out_through_the_outbox(world, client, smtp):
    response = client.post(reverse("account_reset_password"), {"email": world.manager.email})
    assert response.status_code == 302
    unknown = client.post(reverse("account_reset_password"), {"email": "niemand@kring.test"})
    assert unknown.status_code == 302
    assert outbox.sweep() >= 1
    assert any(world.manager.email in str(m["To"]) for m in smtp.messages)


@pytest.mark.django_db
def test_administrators_do_not_read_personal_links_outside_the_demo(world, client, settings):
    from django.urls import reverse

    from kring.messaging.models import OutboxMessage

    message = OutboxMessage.objects.create(
        purpose="circle.link",
        from_address="kring@test",
        to_addresses=["a@test"],
        subject="Uw pagina",
        body_text="Open https://kring.test/p/GEHEIMTOKENGEHEIMTOKENGEHEIMTOKEN12345/ nu",
        status=OutboxMessage.Status.FAILED,
    )
    client.force_login(world.administrator)
    url = reverse("outbox_message", args=[message.pk])
    settings.KRING_DEMO_MAILBOX = False
    assert "GEHEIMTOKEN" not in client.get(url).text
    settings.KRING_DEMO_MAILBOX = True  # the demo mailbox shows links, to follow them
    assert "GEHEIMTOKEN" in client.get(url).text


@pytest.mark.django_db
def test_a_rows_update_is_the_orms_with_its_sql_written_once():
    """The worker's per-message UPDATE (outbox._update) writes what the ORM's would, values
    made ready by their fields (a time with its zone, a choice, a flag), checks what it is
    told to check, and writes each shape's SQL once."""
    message = _store()
    other = _store()
    # A time in another zone than the database's: stored as the same moment, so that the
    # database compares it with others as the ORM's would.
    amsterdam = dt.timezone(dt.timedelta(hours=1))
    at = (timezone.now() - dt.timedelta(minutes=3)).astimezone(amsterdam)
    changes = {"status": OutboxMessage.Status.SENT, "sent_at": at, "claimed_by": ""}
    assert outbox._update(message.pk, changes) == 1
    message.refresh_from_db()
    assert (message.status, message.sent_at, message.claimed_by) == ("sent", at, "")
    after = at + dt.timedelta(seconds=1)
    assert OutboxMessage.objects.filter(
        pk=message.pk, sent_at__lt=after, sent_at__gt=at - dt.timedelta(seconds=1)
    ).exists()
    assert not OutboxMessage.objects.filter(pk=message.pk, sent_at__gt=at).exists()
    other.refresh_from_db()
    assert other.status == OutboxMessage.Status.QUEUED  # only the row named
    # A check that does not hold changes nothing (a claim another worker holds now).
    OutboxMessage.objects.filter(pk=other.pk).update(status="sending", claimed_by="worker-a")
    assert outbox._update(other.pk, {"handed_over_at": at}, claimed_by="worker-b") == 0
    assert outbox._update(other.pk, {"handed_over_at": at}, status="queued") == 0
    other.refresh_from_db()
    assert other.handed_over_at is None
    assert outbox._update(other.pk, {"handed_over_at": at}, claimed_by="worker-a") == 1
    assert OutboxMessage.objects.get(pk=other.pk).handed_over_at == at
    assert outbox._update(message.pk, {"delivered_to_mailbox": True}) == 1
    assert OutboxMessage.objects.filter(pk=message.pk, delivered_to_mailbox=True).exists()
    shapes = dict(outbox._UPDATES)
    outbox._update(message.pk, {"last_error": "-"}, claimed_by="")
    outbox._update(other.pk, {"handed_over_at": at}, claimed_by="worker-a")
    assert len(outbox._UPDATES) == len(shapes) + 1  # a new shape once, a known one reused
    # What the ORM would write differently is refused, not written as a plain value.
    from django.db.models import F

    with pytest.raises(ValueError):
        outbox._update(message.pk, {"last_error": "-"}, claimed_at=None)  # the ORM's IS NULL
    with pytest.raises(ValueError):
        outbox._update(message.pk, {})
    with pytest.raises(TypeError):
        outbox._update(message.pk, {"attempts": F("attempts") + 1})
    with pytest.raises(TypeError):
        outbox._update(message.pk, {"last_error": "-"}, case=message)
