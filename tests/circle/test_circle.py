"""Phase 3, the circle: participants, contact log, informing, willingness, personal links and
the participant's own page."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.cases.lifecycle import change_status
from kring.cases.models import Status
from kring.circle import links
from kring.circle.models import ContactMoment, InformationNeed, Participant, PersonalLink
from kring.messaging.models import OutboxMessage
from tests.factories import case_in_status


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def person(world, name="Jan de Vries", **fields):
    defaults = {"category": "resident", "email": f"{name.split()[0].lower()}@voorbeeld.test"}
    return Participant.objects.create(case=world.case, name=name, **{**defaults, **fields})


def add_data(**changes):
    return {
        "name": "Petra Jansen",
        "category": "neighbour",
        "email": "petra@voorbeeld.test",
        "phone": "06 11223344",
        "postal_address": "",
        "language": "nl",
        "organisation": "",
        "suggested_by": "",
        "interpreter": "",
        "accessibility": "",
        "diet": "halal",
        "diet_note": "",
        **changes,
    }


@pytest.mark.django_db
def test_the_coordinator_builds_the_circle(world, client):
    client.force_login(world.coordinator)
    url = reverse("circle", args=[world.case.reference])
    assert client.get(url).status_code == 200
    first = person(world, "Ahmed Bakkali", phone="06-11223344", email="")
    response = client.post(url, add_data(suggested_by=first.pk))
    assert response.status_code == 302
    petra = Participant.objects.get(name="Petra Jansen")
    assert petra.suggested_by == first and petra.diet == "halal"
    assert world.case.events.filter(action="participant.added").exists()
    page = client.get(url).text
    # The same phone number, written differently: flagged as a possible duplicate.
    assert "possible duplicate of" in page
    assert "<svg" in page and 'role="img"' in page  # the circle picture, server-rendered
    assert "Petra Jansen" in page and "Ahmed Bakkali" in page


@pytest.mark.django_db
def test_bad_participant_input_keeps_what_was_typed(world, client):
    client.force_login(world.coordinator)
    url = reverse("circle", args=[world.case.reference])
    response = client.post(url, add_data(name="", phone="bel me", email="nee", category="xx"))
    assert response.status_code == 400
    for field in ("name", "phone", "email", "category"):
        assert f'id="id_{field}_error"' in response.text
    assert 'value="bel me"' in response.text
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_an_asked_coordinator_sees_no_one_in_the_circle(world, client):
    case = case_in_status(
        Status.COORDINATOR_ASSIGNED, coordinator=world.other_coordinator, region=world.west
    )
    Participant.objects.create(case=case, name="Geheim Persoon", category="family")
    client.force_login(world.other_coordinator)
    assert client.get(reverse("circle", args=[case.reference])).status_code == 404


@pytest.mark.django_db
def test_editing_a_participant_is_safe_when_two_people_edit(world, client):
    jan = person(world)
    client.force_login(world.coordinator)
    url = reverse("participant_detail", args=[world.case.reference, jan.pk])
    data = add_data(name="Jan de Vries", version=jan.version)
    assert client.post(url, {**data, "accessibility": "rolstoel"}).status_code == 302
    stale = client.post(url, {**data, "accessibility": "lift"})
    assert stale.status_code == 409
    assert "Someone else changed this person" in stale.text
    assert 'value="lift"' in stale.text
    assert Participant.objects.get(pk=jan.pk).accessibility == "rolstoel"


@pytest.mark.django_db
def test_the_contact_log_keeps_logistics(world, client):
    jan = person(world)
    client.force_login(world.coordinator)
    url = reverse("participant_contact", args=[world.case.reference, jan.pk])
    today = timezone.localdate().isoformat()
    assert (
        client.post(
            url, {"on": today, "channel": "phone", "outcome": "reached", "note": "na 18 uur"}
        ).status_code
        == 302
    )
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    assert (
        client.post(url, {"on": future, "channel": "visit", "outcome": "reached"}).status_code
        == 400
    )
    assert (
        client.post(url, {"on": today, "channel": "fax", "outcome": "reached"}).status_code == 400
    )
    (moment,) = ContactMoment.objects.all()
    assert moment.by == world.coordinator and moment.note == "na 18 uur"


@pytest.mark.django_db
def test_informing_and_a_final_no(world, client):
    jan = person(world)
    client.force_login(world.coordinator)
    informed = reverse("participant_informed", args=[world.case.reference, jan.pk])
    assert client.post(informed, {"version": jan.version}).status_code == 302
    jan.refresh_from_db()
    assert jan.informed_at is not None and jan.informed_by == world.coordinator
    willing = reverse("participant_willingness", args=[world.case.reference, jan.pk])
    assert client.post(willing, {"willingness": "no", "version": jan.version}).status_code == 302
    jan.refresh_from_db()
    response = client.post(willing, {"willingness": "yes", "version": jan.version})
    assert response.status_code == 409
    assert "A no is final" in response.text
    assert Participant.objects.get(pk=jan.pk).willingness == "no"
    page = client.get(reverse("participant_detail", args=[world.case.reference, jan.pk])).text
    assert "receives no reminders and no invitations" in page
    # Nothing is sent to them, not even a new link.
    link = reverse("participant_link", args=[world.case.reference, jan.pk])
    assert client.post(link).status_code == 409
    assert not OutboxMessage.objects.filter(purpose="circle.link").exists()


# --- Personal links ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_personal_link_is_sent_hashed_and_the_old_one_keeps_working(world, client):
    # Issue 13: sending a new link used to revoke the old one; now both keep working.
    jan = person(world)
    client.force_login(world.coordinator)
    url = reverse("participant_link", args=[world.case.reference, jan.pk])
    assert client.post(url).status_code == 302
    message = OutboxMessage.objects.get(purpose="circle.link")
    assert message.to_addresses == [jan.email]
    first = message.body_text.split("/p/")[1].split("/")[0]
    assert len(first) >= 43  # 256 bits in url-safe base64
    assert not PersonalLink.objects.filter(token_hash__contains=first).exists()
    assert PersonalLink.objects.get().token_hash != first
    assert client.post(url).status_code == 302
    second = OutboxMessage.objects.filter(purpose="circle.link").latest("pk").body_text
    second = second.split("/p/")[1].split("/")[0]
    client.logout()
    assert first != second
    assert client.get(reverse("portal", args=[first])).status_code == 200
    assert client.get(reverse("portal", args=[second])).status_code == 200


@pytest.mark.django_db
def test_every_bad_link_gets_the_same_page(world, client):
    jan = person(world)
    expired = links.issue(jan)
    PersonalLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    revoked_for = person(world, "Kees Bos")
    revoked = links.issue(revoked_for)
    links.revoke(revoked_for)
    pages = [
        client.get(reverse("portal", args=[token]))
        for token in (expired, revoked, "nonsense", "x" * 500)
    ]
    assert {page.status_code for page in pages} == {404}
    # The same page for each (apart from the per-request CSRF token).
    assert len({re.sub(r'"X-CSRFToken": "[^"]+"', "", page.text) for page in pages}) == 1
    assert pages[0]["Referrer-Policy"] == "no-referrer"


@pytest.mark.django_db
def test_opening_a_link_changes_nothing(world, client):
    jan = person(world)
    token = links.issue(jan)
    before = PersonalLink.objects.values().get()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("portal", args=[token]))
    assert response.status_code == 200
    writes = [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    # Only caches, the session and the (append-only) access log are written; no row about
    # anyone changes.
    allowed = ("kring_cache", "django_session", "audit_accesslog", "audit_chainhead")
    assert all(any(table in sql for table in allowed) for sql in writes), writes
    assert PersonalLink.objects.values().get() == before
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_closing_a_case_revokes_its_links(world, client):
    jan = person(world)
    token = links.issue(jan)
    change_status(world.case, Status.WITHDRAWN, user=world.manager, reason="Ingetrokken")
    assert client.get(reverse("portal", args=[token])).status_code == 404
    assert PersonalLink.objects.get().revoked_at is not None


@pytest.mark.django_db
def test_with_time_a_link_expires(world, client, settings):
    settings.KRING_LINK_DAYS = 30
    jan = person(world)
    token = links.issue(jan)
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert client.get(reverse("portal", args=[token])).status_code == 404


# --- The participant's own page ---------------------------------------------------------


@pytest.mark.django_db
def test_the_participant_answers_on_their_own_page(world, client):
    jan = person(world, language="en")
    token = links.issue(jan)
    url = reverse("portal", args=[token])
    page = client.get(url)
    assert "What is an Eigen Kracht-conferentie?" in page.text  # the information, in English
    # Each form carries the version of the details it was shown with.
    assert 'name="version" value="1"' in page.text
    willing = {"action": "willingness", "willingness": "yes", "version": jan.version}
    assert client.post(url, willing).status_code == 302
    jan.refresh_from_db()
    assert jan.willingness == "yes" and jan.willingness_by_self
    needs = {
        "version": jan.version,
        "action": "needs",
        "interpreter": "ar",
        "diet": "vegan",
        "accessibility": "lift",
        "childcare": "on",
    }
    assert client.post(url, needs).status_code == 302
    jan.refresh_from_db()
    assert (jan.interpreter, jan.diet, jan.childcare) == ("ar", "vegan", True)
    suggest = {
        "action": "suggest",
        "name": "Oma Vries",
        "category": "family",
        "phone": "06 99887766",
    }
    assert client.post(url, suggest).status_code == 302
    assert Participant.objects.get(name="Oma Vries").suggested_by == jan
    jan.refresh_from_db()
    view = {
        "action": "view",
        "written_view": "Ik kan niet komen, maar ik wil dat het stopt.",
        "version": jan.version,
    }
    assert client.post(url, view).status_code == 302
    assert "wil dat het stopt" in Participant.objects.get(pk=jan.pk).written_view
    assert PersonalLink.objects.get().last_used_at is not None


@pytest.mark.django_db
def test_a_participant_may_say_no_and_change_it_back(world, client):
    jan = person(world, language="en")
    url = reverse("portal", args=[links.issue(jan)])
    response = client.post(
        url, {"action": "willingness", "willingness": "no", "version": 1}, follow=True
    )
    assert "you will receive nothing more from us" in response.text
    assert "Who else should be there?" not in response.text  # only the answer remains
    yes = {"action": "willingness", "willingness": "yes", "version": 2}
    assert client.post(url, yes).status_code == 302
    assert Participant.objects.get(pk=jan.pk).willingness == "yes"


@pytest.mark.django_db
def test_bad_input_on_the_own_page_is_explained(world, client):
    jan = person(world)
    url = reverse("portal", args=[links.issue(jan)])
    assert client.post(url, {"action": "hack"}).status_code == 400
    response = client.post(
        url, {"action": "suggest", "name": "", "category": "family", "phone": "abc"}
    )
    assert response.status_code == 400
    assert 'id="suggest_name_error"' in response.text and 'value="abc"' in response.text
    assert Participant.objects.count() == 1
    assert client.post(url, {"action": "language", "language": "fr"}).status_code == 400
    assert client.post(url, {"action": "language", "language": "en"}).status_code == 302
    assert Participant.objects.get(pk=jan.pk).language == "en"


# --- Information needs and the page's queries -------------------------------------------


@pytest.mark.django_db
def test_information_needs(world, client):
    expert = person(world, "Dr. Expert", category="expert")
    client.force_login(world.coordinator)
    url = reverse("information_need_add", args=[world.case.reference])
    data = {
        "question": "Wat mag de woningcorporatie doen?",
        "answered_by": expert.pk,
        "in_writing": "on",
    }
    assert client.post(url, data).status_code == 302
    need = InformationNeed.objects.get()
    assert need.answered_by == expert and need.in_writing
    assert client.post(url, {"question": ""}).status_code == 400
    remove = reverse("information_need_remove", args=[world.case.reference, need.pk])
    assert client.post(remove).status_code == 302
    assert not InformationNeed.objects.exists()


@pytest.mark.django_db
def test_the_circle_page_takes_the_same_queries_at_5_and_50(world, client):
    client.force_login(world.coordinator)
    client.get("/")
    url = reverse("circle", args=[world.case.reference])

    def grow(count):
        existing = list(Participant.objects.filter(case=world.case))
        for i in range(count):
            p = person(
                world,
                f"Persoon {len(existing) + i}",
                suggested_by=existing[0] if existing else None,
            )
            ContactMoment.objects.create(participant=p, channel="phone", outcome="reached")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    grow(5)
    small = count()
    grow(45)
    assert Participant.objects.count() == 50
    assert count() == small


@pytest.mark.django_db
def test_an_overlong_address_on_the_own_page_is_refused(world, client):
    jan = person(world)
    url = reverse("portal", args=[links.issue(jan)])
    long_address = "a" * 250 + "@x.nl"
    data = {"action": "suggest", "name": "Oma", "category": "family", "email": long_address}
    assert client.post(url, data).status_code == 400
    assert Participant.objects.count() == 1
