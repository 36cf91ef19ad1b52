"""Double submits (issue 17, point 6): each form that creates something carries a one-time
token; a second post with it — at once or later — shows the first post's result and creates,
sends and records nothing again."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from kring.cases.models import Case
from kring.circle import links
from kring.circle.models import Participant
from kring.messaging.models import OutboxMessage
from tests.cases.test_requests import VALID, new_cases

TOKEN = re.compile(r'name="form_once" value="([^"]+)"')


def token_in(html: str) -> str:
    match = TOKEN.search(html)
    assert match
    return match.group(1)


@pytest.mark.django_db
def test_a_request_sent_three_times_makes_one_case_and_one_confirmation(world, client):
    token = token_in(client.get(reverse("request_form")).text)
    data = {**VALID, "form_once": token}
    answers = [client.post(reverse("request_form"), data) for _ in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 302]
    case = new_cases(world).get()
    # The second and third post show the first one's result: its reference.
    assert case.reference in client.get(reverse("request_received")).text
    assert OutboxMessage.objects.filter(case=case, purpose="request.received").count() == 1
    # A new rendering of the form is a new request.
    again = {**VALID, "form_once": token_in(client.get(reverse("request_form")).text)}
    client.post(reverse("request_form"), again)
    assert new_cases(world).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_request_at_the_same_moment_make_one_case(world):
    token = token_in(Client().get(reverse("request_form")).text)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post() -> None:
        try:
            barrier.wait()
            answer = Client().post(reverse("request_form"), {**VALID, "form_once": token})
            statuses.append(answer.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert Case.objects.exclude(pk=world.case.pk).count() == 1


@pytest.mark.django_db
def test_an_invalid_post_does_not_use_up_its_token(world, client):
    token = token_in(client.get(reverse("request_form")).text)
    bad = client.post(reverse("request_form"), {**VALID, "postcode": "x", "form_once": token})
    assert bad.status_code == 400
    good = client.post(reverse("request_form"), {**VALID, "form_once": token})
    assert good.status_code == 302 and new_cases(world).count() == 1


@pytest.mark.django_db
def test_a_staff_request_recorded_twice_is_one_case(world, client):
    client.force_login(world.manager)
    url = reverse("case_create")
    token = token_in(client.get(url).text)
    data = {
        **VALID,
        "channel": "phone",
        "requester_language": "nl",
        "send_confirmation": "",
        "form_once": token,
    }
    first = client.post(url, data)
    assert first.status_code == 302, first.text[:3000]
    second = client.post(url, data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert new_cases(world).count() == 1


@pytest.mark.django_db
def test_a_suggestion_on_the_own_page_sent_twice_adds_one_person(world, client):
    jan = Participant.objects.create(case=world.case, name="Jan de Vries", category="resident")
    url = reverse("portal", args=[links.issue(jan)])
    page = client.get(url).text
    form = page[page.index('value="suggest"') - 600 :]
    data = {
        "action": "suggest",
        "name": "Oma Vries",
        "category": "family",
        "phone": "06 99887766",
        "form_once": token_in(form),
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    assert Participant.objects.filter(name="Oma Vries").count() == 1
