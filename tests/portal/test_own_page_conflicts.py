"""Lost updates on the own page (issue 17, point 1): every form carries what it was shown with
(the participant's version; for the date poll, each answer as shown). A change by the
coordinator in between makes the participant's send a clear conflict (409) that keeps the
coordinator's change; nothing is silently overwritten. Also the drill: concurrent edits, one
wins and the other gets a conflict, over rounds."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kring.circle import links, services
from kring.circle.models import Participant
from kring.meetings import services as meeting_services
from kring.meetings.models import DateAnswer
from tests.meetings.test_meetings import option

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CONFLICT = "Your details were changed after you opened this page"


def shown_version(html: str, action: str) -> str:
    form = html[html.index(f'name="action" value="{action}"') :]
    match = re.search(r'name="version" value="(\d+)"', form)
    assert match, action
    return match.group(1)


@pytest.fixture
def jan(world):
    return Participant.objects.create(
        case=world.case,
        name="Jan de Vries",
        category="resident",
        email="jan@voorbeeld.test",
        language="en",
    )


@pytest.mark.django_db
def test_the_coordinators_needs_survive_a_form_the_participant_had_open(world, client, jan):
    url = reverse("portal", args=[links.issue(jan)])
    page = client.get(url, **EN).text
    version = shown_version(page, "needs")
    # The coordinator saves what Jan needs, after a phone call.
    services.save_needs(
        jan, {"accessibility": "rolstoel"}, user=world.coordinator, version=jan.version
    )
    # Jan sends the form he had open.
    needs = {"action": "needs", "version": version, "diet": "vegan", "accessibility": ""}
    response = client.post(url, needs, **EN)
    assert response.status_code == 409
    assert CONFLICT in response.text
    jan.refresh_from_db()
    assert jan.accessibility == "rolstoel" and jan.diet == ""
    # Sent again from the page as it is now, it is saved.
    again = {**needs, "version": shown_version(response.text, "needs")}
    assert client.post(url, again, **EN).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("view", {"written_view": "Ik wil dat het stopt."}),
        ("willingness", {"willingness": "no"}),
        ("needs", {"diet": "halal"}),
    ],
)
def test_every_own_page_form_refuses_a_stale_or_missing_version(world, client, jan, action, data):
    url = reverse("portal", args=[links.issue(jan)])
    version = shown_version(client.get(url, **EN).text, action)
    services.save_written_view(jan, "Van de coördinator", user=world.coordinator, version=1)
    for sent in ({**data, "version": version}, data):
        response = client.post(url, {"action": action, **sent}, **EN)
        assert response.status_code == 409, sent
    jan.refresh_from_db()
    assert jan.written_view == "Van de coördinator" and jan.willingness != "no"


@pytest.mark.django_db
def test_a_date_answer_entered_by_the_coordinator_is_not_overwritten_unseen(world, client, jan):
    first, second = option(world, 20), option(world, 27)
    url = reverse("portal", args=[links.issue(jan)])
    page = client.get(url, **EN).text
    assert f'name="shown-{first.pk}" value=""' in page
    meeting_services.answer(first, jan, "no", entered_by=world.coordinator)  # a phone call
    sent = {
        "action": "dates",
        f"option-{first.pk}": "yes",
        f"option-{second.pk}": "yes",
        f"shown-{first.pk}": "",
        f"shown-{second.pk}": "",
    }
    response = client.post(url, sent, **EN)
    assert response.status_code == 409 and CONFLICT in response.text
    assert dict(DateAnswer.objects.values_list("option_id", "answer")) == {first.pk: "no"}
    page = client.get(url, **EN).text
    assert f'name="shown-{first.pk}" value="no"' in page
    assert client.post(url, {**sent, f"shown-{first.pk}": "no"}, **EN).status_code == 302
    assert DateAnswer.objects.get(option=first).answer == "yes"


@pytest.mark.drills
@pytest.mark.django_db
def test_drill_concurrent_own_page_and_staff_edits_one_wins_the_other_conflicts(world, client, jan):
    """Rounds of the same race: the page is open, the coordinator saves, the participant
    sends. Every round: the coordinator's save stays, the participant gets a 409."""
    url = reverse("portal", args=[links.issue(jan)])
    rounds = conflicts = lost = 0
    for number in range(25):
        page = client.get(url, **EN).text
        action = ("needs", "view")[number % 2]
        version = shown_version(page, action)
        jan.refresh_from_db()
        services.save_needs(
            jan, {"accessibility": f"ronde {number}"}, user=world.coordinator, version=jan.version
        )
        data = {"diet": "vegan"} if action == "needs" else {"written_view": f"ronde {number}"}
        response = client.post(url, {"action": action, "version": version, **data}, **EN)
        rounds += 1
        conflicts += response.status_code == 409
        jan.refresh_from_db()
        lost += jan.accessibility != f"ronde {number}"
    print(f"\nown-page race: {rounds} rounds, {conflicts} conflicts, {lost} lost")
    assert (conflicts, lost) == (rounds, 0)
