"""A copy of the plan for everyone (phase 5): emails with the PDF at a real SMTP server,
letters to print, who does not have it yet, the case moving on only when nobody is missing,
new versions, and the plan on the participant's own page with its PDF and endorsement."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from kring.audit.models import AccessLog
from kring.cases.models import Case, Status
from kring.circle import links
from kring.circle.models import Participant
from kring.messaging import outbox
from kring.messaging.models import OutboxMessage
from kring.plans import distribution, services
from kring.plans.models import Delivery, Endorsement
from tests.factories import CONTINGENCY, PEOPLE, Made, case_in_status, make_plan

# A circle of five: two with email (Dutch and English), one without, one who declined and
# never asks for the plan, and one who declined and asks for it later.
FIVE = {key: person for key, person in PEOPLE.items() if key != "wijk"}


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def made(world) -> Made:
    return make_plan(world.coordinator, world.case, circle=FIVE)


def page_url(made: Made) -> str:
    return reverse("plan_distribution", args=[made.case.reference])


def missing_names(made: Made) -> list[str]:
    return [p.name for p in distribution.missing(made.plan)]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def move_on(client, made: Made):
    case = Case.objects.get(pk=made.case.pk)
    return client.post(
        reverse("case_change_status", args=[case.reference]),
        {"target": Status.PLAN_DISTRIBUTED, "version": case.version},
    )


def the_pdf(message) -> tuple[str, bytes]:
    (attachment,) = [
        part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"
    ]
    return attachment.get_filename(), attachment.get_content()


# --- Distribution -----------------------------------------------------------------------


@pytest.mark.django_db
def test_everyone_gets_a_copy_and_only_then_the_case_moves_on(world, client, made, smtp):
    people = made.people
    reference = made.case.reference
    client.force_login(world.coordinator)
    page = client.get(page_url(made))
    assert page.status_code == 200
    assert [c.participant.name for c in page.context["missing"]] == [
        "Anna de Boer",
        "Bram Smit",
        "Carla Dekker",
    ]
    assert [p.name for p in page.context["declined"]] == ["Dirk Bos", "Eva Mol"]
    assert AccessLog.objects.filter(object_type="plan_distribution", action="view").exists()

    # Send: two emails, one letter to print; those who declined get nothing.
    sent = client.post(page_url(made), follow=True)
    assert "2 copies sent by email, 1 letter to print." in sent.content.decode()
    copies = OutboxMessage.objects.filter(purpose="plan.copy")
    assert sorted(m.to_addresses[0] for m in copies) == [
        "anna@voorbeeld.test",
        "bram@voorbeeld.test",
    ]
    assert not Delivery.objects.filter(participant__in=[people["dirk"], people["eva"]]).exists()
    assert Delivery.objects.get(participant=people["carla"]).channel == "letter"
    # Nothing counts until the emails are sent and the letter printed.
    assert missing_names(made) == ["Anna de Boer", "Bram Smit", "Carla Dekker"]
    refused = move_on(client, made)
    assert refused.status_code == 409
    assert "Not everyone has the plan yet" in refused.content.decode()
    assert Case.objects.get(pk=made.case.pk).status == Status.HELD
    page = client.get(page_url(made)).content.decode()
    assert "email waiting to be sent" in page and "letter to print" in page
    # A fresh email waits for the worker: nothing to send again yet.
    assert reverse("plan_resend", args=[reference, people["anna"].pk]) not in page

    # The worker delivers the emails to the SMTP server: the PDF attached, a link to their page.
    assert outbox.sweep() == 2
    assert sorted(m["To"] for m in smtp.messages) == ["anna@voorbeeld.test", "bram@voorbeeld.test"]
    by_address = {m["To"]: m for m in smtp.messages}
    for message in smtp.messages:
        filename, pdf = the_pdf(message)
        assert filename == f"plan-{reference}-v1.pdf"
        text = squeezed(pdf_text(pdf))
        assert squeezed(CONTINGENCY) in text
        assert all(squeezed(a["what"]) in text for a in made.agreements)
        body = message.get_body(("plain",)).get_content()
        assert "/p/" in body
        assert "version 1" in body.lower() or "versie 1" in body.lower()
        html = message.get_body(("html",)).get_content()
        assert 'href="http' in html and "/p/" in html
    bram = by_address["bram@voorbeeld.test"]
    assert "Dear Bram Smit," in bram.get_body(("plain",)).get_content()
    assert "Monday 30 November 2026" in pdf_text(the_pdf(bram)[1])
    anna = by_address["anna@voorbeeld.test"]
    assert "Beste Anna de Boer," in anna.get_body(("plain",)).get_content()
    assert "maandag 30 november 2026" in pdf_text(the_pdf(anna)[1])
    assert missing_names(made) == ["Carla Dekker"]
    page = client.get(page_url(made)).content.decode()
    assert "email sent on" in page
    assert reverse("plan_letter", args=[reference, people["carla"].pk]) in page

    # The letter for Carla, printed: made, but she does not have it until it is posted
    # (issue 14: making a letter and posting it are two acts).
    posted = reverse("plan_letter_posted", args=[reference, people["carla"].pk])
    assert client.post(posted).status_code == 409  # not made yet
    letter = client.get(reverse("plan_letter", args=[reference, people["carla"].pk]))
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    text = pdf_text(letter.content)
    assert "Carla Dekker" in text and "Molenstraat 3" in text and "/p/" in text
    assert Delivery.objects.get(participant=people["carla"]).printed_at is not None
    assert Delivery.objects.get(participant=people["carla"]).delivered_at is None
    assert AccessLog.objects.filter(action="download", object_type="plan_letter").exists()
    assert missing_names(made) == ["Carla Dekker"]
    page = client.get(page_url(made)).content.decode()
    assert "not recorded as posted yet" in page and posted in page
    assert move_on(client, made).status_code == 409
    # Recording that it was posted: now she has it, with a history entry.
    assert client.post(posted).status_code == 302
    assert Delivery.objects.get(participant=people["carla"]).delivered_at is not None
    assert made.case.events.filter(action="plan.letter_posted").count() == 1
    assert client.post(posted).status_code == 302  # twice records it once
    assert made.case.events.filter(action="plan.letter_posted").count() == 1
    assert missing_names(made) == []
    page = client.get(page_url(made)).content.decode()
    assert "Everyone has the plan (version 1)." in page
    assert reverse("case_change_status", args=[reference]) in page

    # Eva declined, but asks for the plan: she is missing until her copy is sent.
    added = client.post(reverse("plan_recipient_add", args=[reference, people["eva"].pk]))
    assert added.status_code == 302
    assert missing_names(made) == ["Eva Mol"]
    assert move_on(client, made).status_code == 409
    assert "1 copy sent by email, 0 letters to print." in (
        client.post(page_url(made), follow=True).content.decode()
    )
    assert outbox.sweep() == 1
    assert smtp.messages[-1]["To"] == "eva@voorbeeld.test"
    assert missing_names(made) == []
    # Dirk never asked: nothing was ever sent to him.
    assert "dirk@voorbeeld.test" not in [m["To"] for m in smtp.messages]

    # A second press sends nothing new.
    again = client.post(page_url(made), follow=True)
    assert "nothing new sent" in again.content.decode()
    assert OutboxMessage.objects.filter(purpose="plan.copy").count() == 3

    # Now the case can move on.
    assert move_on(client, made).status_code == 302
    assert Case.objects.get(pk=made.case.pk).status == Status.PLAN_DISTRIBUTED

    # A change after distribution makes version 2: everyone is missing again.
    plan = made.plan
    plan.refresh_from_db()
    services.save_plan_text(
        plan,
        answers={},
        monitors=list(plan.monitors.all()),
        monitor_note="Anna belt iedereen elke twee weken.",
        contingency=plan.contingency,
        user=world.coordinator,
        version=None,
    )
    second = services.finalise(plan, user=world.coordinator, version=None)
    assert second.number == 2
    assert missing_names(made) == ["Anna de Boer", "Bram Smit", "Carla Dekker", "Eva Mol"]
    assert "3 copies sent by email, 1 letter to print." in (
        client.post(page_url(made), follow=True).content.decode()
    )
    before = len(smtp.messages)
    assert outbox.sweep() == 3
    for newest in smtp.messages[before:]:
        assert the_pdf(newest)[0] == f"plan-{reference}-v2.pdf"
        assert "Anna belt iedereen elke twee weken." in pdf_text(the_pdf(newest)[1])
    assert missing_names(made) == ["Carla Dekker"]
    versions = client.get(page_url(made)).context["versions"]
    assert [(v.number, v.copies) for v in versions] == [(2, 4), (1, 4)]


@pytest.mark.django_db
def test_a_failed_email_is_sent_again(world, client, made, smtp):
    client.force_login(world.coordinator)
    smtp.refuse_with = "550 No such user here"
    client.post(page_url(made))
    outbox.sweep()
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"failed"}
    page = client.get(page_url(made)).content.decode()
    assert "email could not be sent" in page
    bram = made.people["bram"]
    resend = reverse("plan_resend", args=[made.case.reference, bram.pk])
    assert resend in page
    # The address is corrected; the coordinator sends again.
    smtp.refuse_with = None
    Participant.objects.filter(pk=bram.pk).update(email="bram.smit@voorbeeld.test")
    assert client.post(resend).status_code == 302
    outbox.sweep()
    assert [m["To"] for m in smtp.messages] == ["bram.smit@voorbeeld.test"]
    assert "Bram Smit" not in missing_names(made) and "Anna de Boer" in missing_names(made)
    # A copy still waiting is replaced, not sent twice.
    anna = made.people["anna"]
    client.post(reverse("plan_resend", args=[made.case.reference, anna.pk]))
    client.post(reverse("plan_resend", args=[made.case.reference, anna.pk]))
    outbox.sweep()
    assert [m["To"] for m in smtp.messages].count("anna@voorbeeld.test") == 1
    assert missing_names(made) == ["Carla Dekker"]


@pytest.mark.django_db
def test_refusals(world, client, made):
    reference = made.case.reference
    client.force_login(world.coordinator)
    people = made.people
    # Someone with email gets no letter: its fresh link would revoke the one in their email.
    assert (
        client.get(reverse("plan_letter", args=[reference, people["anna"].pk])).status_code == 404
    )
    # Someone who declined and did not ask gets no letter and no email.
    Participant.objects.filter(pk=people["dirk"].pk).update(email="")
    refused = client.get(reverse("plan_letter", args=[reference, people["dirk"].pk]))
    assert refused.status_code == 409
    assert "does not receive the plan" in refused.content.decode()
    assert (
        client.post(reverse("plan_resend", args=[reference, people["eva"].pk])).status_code == 409
    )
    # People of another case are not found here.
    elsewhere = case_in_status(Status.HELD, coordinator=world.coordinator, region=world.west)
    stranger = Participant.objects.create(case=elsewhere, name="X", category="resident")
    for name in ("plan_letter",):
        assert client.get(reverse(name, args=[reference, stranger.pk])).status_code == 404
    for name in ("plan_resend", "plan_recipient_add"):
        assert client.post(reverse(name, args=[reference, stranger.pk])).status_code == 404
    # A case whose plan is not finalised: the page says so, sending is refused.
    empty = client.get(reverse("plan_distribution", args=[elsewhere.reference]))
    assert empty.status_code == 200 and "not finalised yet" in empty.content.decode()
    posted = client.post(reverse("plan_distribution", args=[elsewhere.reference]))
    assert posted.status_code == 409 and "Finalise the plan first." in posted.content.decode()
    # Staff of other cases get a 404.
    for outsider in (world.other_coordinator, world.other_manager):
        client.force_login(outsider)
        assert client.get(page_url(made)).status_code == 404
        assert client.post(page_url(made)).status_code == 404
    assert not Delivery.objects.exists()


# --- The own page -------------------------------------------------------------------------


def own_page(client, participant: Participant) -> tuple[str, str]:
    token = links.issue(participant)
    return reverse("portal", args=[token]), reverse("portal_plan_pdf", args=[token])


def nl(text: str) -> str:
    """An own page speaks its participant's language: Dutch here."""
    from django.utils import translation

    with translation.override("nl"):
        return translation.gettext(text)


@pytest.mark.django_db
def test_the_plan_on_the_own_page_and_its_pdf(world, client, made):
    anna_page, anna_pdf = own_page(client, made.people["anna"])
    page = client.get(anna_page)
    assert page.status_code == 200
    html = page.content.decode()
    assert anna_pdf in html
    assert made.agreements[0]["what"] in html and CONTINGENCY in html
    assert "<caption" in html and 'scope="col"' in html
    pdf = client.get(anna_pdf)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Referrer-Policy"] == "no-referrer" and "no-store" in pdf["Cache-Control"]
    # In her language: Dutch.
    assert "maandag 30 november 2026" in pdf_text(pdf.content)
    assert AccessLog.objects.filter(
        action="download", object_type="plan", role="participant"
    ).exists()
    refused = client.post(anna_pdf)
    assert refused.status_code == 405 and refused["Referrer-Policy"] == "no-referrer"
    # A bad link gets the one invalid page, privately.
    bad = client.get(reverse("portal_plan_pdf", args=["not-a-valid-token"]))
    assert bad.status_code == 404 and bad["Referrer-Policy"] == "no-referrer"
    # Dirk declined and did not ask: no plan on his page, no PDF.
    dirk_page, dirk_pdf = own_page(client, made.people["dirk"])
    assert anna_pdf not in client.get(dirk_page).content.decode()
    assert "The plan" not in client.get(dirk_page).content.decode()
    assert client.get(dirk_pdf).status_code == 404
    # A second version: the page shows it, and lists the first with its date.
    Delivery.objects.create(
        version=made.version, participant=made.people["carla"], channel="letter"
    )
    plan = made.plan
    services.save_plan_text(
        plan,
        answers={},
        monitors=[],
        monitor_note="Carla houdt het overzicht.",
        contingency=plan.contingency,
        user=world.coordinator,
        version=None,
    )
    services.finalise(plan, user=world.coordinator, version=None)
    html = client.get(anna_page).content.decode()
    assert "Carla houdt het overzicht." in html and nl("Earlier versions") in html
    assert "Carla houdt het overzicht." in pdf_text(client.get(anna_pdf).content)


@pytest.mark.django_db
def test_endorsing_on_the_own_page(world, client, made):
    people = made.people
    # Carla missed the plan's presentation and is named in an agreement: she may endorse.
    carla_page, _pdf = own_page(client, people["carla"])
    html = client.get(carla_page).content.decode()
    assert nl("I agree with this plan") in html
    assert client.post(carla_page, {"action": "endorse"}).status_code == 302
    endorsement = Endorsement.objects.get(participant=people["carla"])
    assert endorsement.via == "own_page" and endorsement.recorded_by is None
    html = client.get(carla_page).content.decode()
    assert (
        nl("I agree with this plan") not in html
        and nl("You agreed with the plan on %(date)s.").split("%")[0] in html
    )
    # Twice is refused.
    assert client.post(carla_page, {"action": "endorse"}).status_code == 409
    # Bram was there when the plan was presented: the meeting is where he endorses.
    bram_page, _pdf = own_page(client, people["bram"])
    assert nl("I agree with this plan") not in client.get(bram_page).content.decode()
    assert client.post(bram_page, {"action": "endorse"}).status_code == 409
    # Someone absent who is named in no agreement cannot either.
    frank = Participant.objects.create(
        case=made.case, name="Frank Kok", category="resident", willingness="yes"
    )
    frank_page, _pdf = own_page(client, frank)
    assert nl("I agree with this plan") not in client.get(frank_page).content.decode()
    assert client.post(frank_page, {"action": "endorse"}).status_code == 409
    assert Endorsement.objects.filter(via="own_page").count() == 1


# --- Queries --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_distribution_page_and_the_own_page_take_the_same_queries_at_two_sizes(world, client):
    made = make_plan(world.coordinator, world.case, circle=FIVE)
    client.force_login(world.coordinator)
    client.get("/")
    distribution.distribute(made.plan, user=world.coordinator)
    portal, _portal_pdf = own_page(client, made.people["anna"])
    client.get(portal)

    def count() -> list[int]:
        sizes = []
        for url in (page_url(made), portal):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            sizes.append(len(queries))
        return sizes

    small = count()
    for i in range(30):
        Participant.objects.create(
            case=made.case,
            name=f"Buur {i:02d}",
            email=f"buur{i}@voorbeeld.test" if i % 2 else "",
            willingness="no" if i % 5 == 0 else "yes",
            category="neighbour",
        )
    distribution.distribute(made.plan, user=world.coordinator)
    outbox.sweep()
    large = count()
    print(f"\nQueries (distribution page, own page): 5 people {small}, 35 people {large}")
    assert large == small
    assert len(client.get(page_url(made)).context["missing"]) > 10


def test_a_sent_group_marks_only_its_plan_copies_each_with_its_own_time(made):
    """The worker's group of sent messages (outbox.message_sent): each copy of the plan waiting
    for one of them gets that message's time; a group of other mail is looked up, nothing
    written (kring.plans.signals)."""
    from django.core.mail import EmailMessage

    from kring.plans.signals import record_email_delivery

    def stored() -> OutboxMessage:
        return outbox.store(EmailMessage("S", "B", to=["x@voorbeeld.test"]), purpose="test")

    copies = [stored(), stored()]
    others = [stored(), stored()]
    for message, key in zip(copies, ("anna", "bram"), strict=True):
        Delivery.objects.create(
            version=made.version, participant=made.people[key], channel="email", message=message
        )
    early, late = (
        dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC),
    )
    with CaptureQueriesContext(connection) as queries:
        record_email_delivery(None, sent={others[0].pk: early, others[1].pk: late})
    assert len(queries) == 1 and queries[0]["sql"].lstrip().upper().startswith("SELECT")
    assert not Delivery.objects.filter(delivered_at__isnull=False).exists()
    sent = {copies[0].pk: early, others[0].pk: early, copies[1].pk: late}
    with CaptureQueriesContext(connection) as queries:
        record_email_delivery(None, sent=sent)
    assert len(queries) == 2
    times = dict(Delivery.objects.values_list("message_id", "delivered_at"))
    assert times == {copies[0].pk: early, copies[1].pk: late}
    # Delivered once: a later group naming the message again leaves its time.
    record_email_delivery(None, sent={copies[0].pk: late})
    assert Delivery.objects.get(message=copies[0]).delivered_at == early
