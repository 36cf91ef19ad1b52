"""A new conference from an old one: what is copied (and what not), who may start it, when,
and that a second submit does not silently make a second case."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kring.audit.models import ErasureRequest
from kring.cases.models import Assignment, BottomLine, Case, CaseEvent, ConferenceQuestion, Status
from kring.circle.models import Participant, Willingness
from kring.followup.models import ConsentChange, FollowUp
from kring.privacy import retention
from tests.factories import case_in_status


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def old_case(world, status=Status.FOLLOW_UP):
    """A case after its conference, with questions and a circle of five: two who take part
    (one suggested by the other), one who said no, one who never answered and one who asked
    to be erased."""
    case = case_in_status(
        status,
        coordinator=world.coordinator,
        region=world.west,
        place="Bewoners van de Lindenlaan",
        description="Overlast op het plein.",
        requester_name="Truus de Boer",
        requester_email="truus@voorbeeld.test",
        requester_phone="06-22334455",
        coordinator_language="tr",
        coordinator_gender="female",
        address="Lindenlaan 4",
        municipality_name="Westzaan",
    )
    ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?", position=0)
    ConferenceQuestion.objects.create(case=case, text="Hoe houden we contact?", position=1)
    BottomLine.objects.create(case=case, text="Geen geweld.", set_by="Wijkagent", mandate="Wet")
    anna = Participant.objects.create(
        case=case,
        name="Anna Bos",
        email="anna@voorbeeld.test",
        phone="06-1",
        category="resident",
        willingness=Willingness.YES,
        informed_at=case.requested_at,
        diet="vegetarian",
        childcare=True,
        written_view="Ik wil rust.",
        research_consent=True,
    )
    ConsentChange.objects.create(participant=anna, given=True, via=ConsentChange.Via.OWN_PAGE)
    Participant.objects.create(
        case=case,
        name="Bram Vos",
        postal_address="Lindenlaan 6\n1011 AB Amsterdam",
        category="neighbour",
        willingness=Willingness.YES,
        suggested_by=anna,
        interpreter="tr",
        research_consent=False,
    )
    Participant.objects.create(
        case=case, name="Cor Nee", category="resident", willingness=Willingness.NO
    )
    Participant.objects.create(
        case=case, name="Dien Later", category="police", willingness=Willingness.NOT_YET
    )
    erased = Participant.objects.create(
        case=case, name="Eva Weg", category="resident", willingness=Willingness.YES
    )
    ErasureRequest.objects.create(
        case=case,
        kind=ErasureRequest.Kind.PARTICIPANT,
        person_id=erased.pk,
        reason="Wil gewist worden.",
        requested_by=world.manager,
    )
    return case


def start(client, case, **extra):
    data = {"version": Case.objects.get(pk=case.pk).version, **extra}
    return client.post(reverse("case_follow_on", args=[case.reference]), data)


@pytest.mark.django_db
def test_the_new_case_takes_over_the_request_the_questions_and_the_circle(world, client):
    case = old_case(world)
    client.force_login(world.manager)
    response = start(client, case)
    new = Case.objects.get(previous=case)
    assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
    assert new.status == Status.INTAKE
    assert new.region == case.region and new.variant == case.variant
    for name in (
        "place",
        "postcode",
        "address",
        "municipality_name",
        "requester_name",
        "requester_email",
        "requester_phone",
        "requester_relation",
        "coordinator_language",
        "coordinator_gender",
    ):
        assert getattr(new, name) == getattr(case, name), name
    first, _blank, rest = new.description.partition("\n\n")
    assert case.reference in first and rest == "Overlast op het plein."
    assert list(new.questions.values_list("text", "position")) == [
        ("Hoe kan de overlast stoppen?", 0),
        ("Hoe houden we contact?", 1),
    ]
    # The intake starts anew: no bottom lines, funding, notes or coordinator.
    assert not new.bottom_lines.exists() and not new.fundings.exists()
    assert not new.assignments.exists() and new.intake_notes == ""

    people = {p.name: p for p in new.participants.all()}
    assert set(people) == {"Anna Bos", "Bram Vos", "Dien Later"}  # no "no", nobody erased
    anna, bram = people["Anna Bos"], people["Bram Vos"]
    assert (anna.email, anna.phone, anna.diet, anna.childcare) == (
        "anna@voorbeeld.test",
        "06-1",
        "vegetarian",
        True,
    )
    assert bram.postal_address.startswith("Lindenlaan 6") and bram.interpreter == "tr"
    assert bram.suggested_by == anna  # the copy, not the old row
    for person in people.values():
        assert person.willingness == Willingness.UNKNOWN
        assert person.research_consent is None
        assert person.informed_at is None and person.written_view == ""
    assert not ConsentChange.objects.filter(participant__case=new).exists()
    # The old case is as it was.
    assert case.participants.count() == 5
    assert case.participants.get(name="Anna Bos").research_consent is True

    [there] = CaseEvent.objects.filter(case=case, action="case.follow_on")
    assert there.data == {"follow_on": new.reference} and there.actor == world.manager
    events = list(new.events.order_by("at", "pk"))
    assert [(e.action, e.to_status) for e in events] == [
        ("case.follow_on", Status.REQUESTED),
        ("status.changed", Status.INTAKE),
    ]
    assert events[0].data["previous"] == case.reference and events[0].data["people_copied"] == 3


@pytest.mark.django_db
def test_the_page_shows_what_is_and_is_not_taken_over(world, client):
    case = old_case(world, status=Status.CLOSED)
    client.force_login(world.manager)
    page = client.get(reverse("case_follow_on", args=[case.reference]))
    assert page.status_code == 200
    text = page.text
    assert "Hoe kan de overlast stoppen?" in text and "3 people are taken over" in text
    assert "Cor Nee" in text and "a no is final" in text
    assert "Eva Weg" in text and "erased" in text
    assert "Start the new conference" in text
    assert not Case.objects.filter(previous=case).exists()  # a GET changes nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["other_manager", "coordinator", "other_coordinator", "researcher", "administrator"]
)
def test_only_the_manager_of_the_region_reaches_it(world, client, who):
    case = old_case(world)
    client.force_login(getattr(world, who))
    url = reverse("case_follow_on", args=[case.reference])
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": case.version}).status_code == 404
    assert not Case.objects.filter(previous=case).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "status", [Status.AFTERCARE, Status.PREPARATION, Status.STOPPED, Status.WITHDRAWN]
)
def test_not_from_a_case_before_the_follow_up(world, client, status):
    case = old_case(world, status=status)
    client.force_login(world.manager)
    response = start(client, case)
    assert response.status_code == 400
    assert "in follow-up or a closed case" in response.text
    assert Case.objects.count() == 2  # world.case and this one
    assert (
        "Start the new conference"
        not in client.get(reverse("case_follow_on", args=[case.reference])).text
    )


@pytest.mark.django_db
def test_not_from_an_anonymised_case(world, client):
    case = old_case(world, status=Status.CLOSED)
    assert retention.anonymise_case(case)
    client.force_login(world.manager)
    response = start(client, case)
    assert response.status_code == 400 and "anonymised" in response.text
    assert not Case.objects.filter(previous=case).exists()


@pytest.mark.django_db
def test_a_second_submit_does_not_make_a_second_case_silently(world, client):
    case = old_case(world)
    client.force_login(world.manager)
    url = reverse("case_follow_on", args=[case.reference])
    seen = case.version
    assert client.post(url, {"version": seen}).status_code == 302
    first = Case.objects.get(previous=case)
    # The same form again (a double click, the back button): refused, with the new case named.
    again = client.post(url, {"version": seen})
    assert again.status_code == 409
    assert first.reference in again.text and "Tick the box" in again.text
    # Ticking the box on the stale form is still refused: the case changed since.
    stale = client.post(url, {"version": seen, "another": "on"})
    assert stale.status_code == 409
    assert Case.objects.filter(previous=case).count() == 1
    # On the page as it is now, with the box ticked, a second one starts.
    page = client.get(url)
    assert first.reference in page.text and 'name="another"' in page.text
    assert start(client, case, another="on").status_code == 302
    assert Case.objects.filter(previous=case).count() == 2
    assert CaseEvent.objects.filter(case=case, action="case.follow_on").count() == 2


@pytest.mark.django_db
def test_an_unreadable_form_changes_nothing(world, client):
    case = old_case(world)
    client.force_login(world.manager)
    url = reverse("case_follow_on", args=[case.reference])
    assert client.post(url, {"version": "x"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert not Case.objects.filter(previous=case).exists()


@pytest.mark.django_db
def test_an_erased_requester_is_not_taken_over(world, client):
    case = old_case(world)
    ErasureRequest.objects.create(
        case=case,
        kind=ErasureRequest.Kind.REQUESTER,
        person_id=case.pk,
        reason="Verzoek",
        requested_by=world.manager,
    )
    client.force_login(world.manager)
    assert start(client, case).status_code == 302
    new = Case.objects.get(previous=case)
    assert "Truus" not in new.requester_name and new.requester_email == ""
    assert new.requester_phone == "" and new.address == ""
    assert "Overlast op het plein" not in new.description


@pytest.mark.django_db
def test_the_case_pages_link_both_ways(world, client):
    case = old_case(world)
    client.force_login(world.manager)
    detail = client.get(reverse("case_detail", args=[case.reference])).text
    assert reverse("case_follow_on", args=[case.reference]) in detail
    assert reverse("case_follow_up", args=[case.reference]) not in detail  # no moments yet
    FollowUp.objects.create(case=case, months=3, due_on=case.requested_at.date())
    detail = client.get(reverse("case_detail", args=[case.reference])).text
    assert reverse("case_follow_up", args=[case.reference]) in detail

    start(client, case)
    new = Case.objects.get(previous=case)
    detail = client.get(reverse("case_detail", args=[case.reference])).text
    assert "Followed by" in detail and f'href="{new.get_absolute_url()}"' in detail
    detail = client.get(new.get_absolute_url()).text
    assert "Follows on from" in detail and f'href="{case.get_absolute_url()}"' in detail
    assert reverse("case_follow_on", args=[new.reference]) not in detail  # in intake

    # A coordinator of the new case reads the old reference, without a link they cannot use.
    Assignment.objects.create(
        case=new, coordinator=world.other_coordinator, state=Assignment.State.ACCEPTED
    )
    client.force_login(world.other_coordinator)
    detail = client.get(new.get_absolute_url()).text
    assert case.reference in detail and f'href="{case.get_absolute_url()}"' not in detail
    assert reverse("case_follow_on", args=[new.reference]) not in detail


@pytest.mark.django_db
def test_the_case_page_query_count_does_not_grow_with_follow_ons(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = old_case(world, status=Status.CLOSED)
    client.force_login(world.manager)
    start(client, case)
    url = reverse("case_detail", args=[case.reference])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        start(client, case, another="on")
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    assert len(one) == len(four)


@pytest.mark.django_db
def test_the_page_query_count_does_not_grow_with_the_circle(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = old_case(world)
    client.force_login(world.manager)
    url = reverse("case_follow_on", args=[case.reference])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    anna = case.participants.get(name="Anna Bos")
    for n in range(12):
        Participant.objects.create(
            case=case,
            name=f"Buur {n}",
            category="neighbour",
            suggested_by=anna,
            willingness=Willingness.NO if n % 3 == 0 else Willingness.YES,
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert "Buur 11" in response.text
    # The access log writes one row per person shown, in one insert: the count stays.
    assert len(small) == len(large)
