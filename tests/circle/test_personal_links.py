"""The properties every kind of personal link keeps (hashed 256-bit token, earlier links keep
working, expiry, revocation, GET changes nothing, one page for every bad link, no referrer). A new
purpose without an entry in LINK_PAGES fails the first test, so it gets all the others."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from kring.circle import links
from kring.circle.models import Participant, PersonalLink

# Each purpose of a personal link, and the page it opens.
LINK_PAGES = {PersonalLink.Purpose.PORTAL: "portal"}


def test_every_purpose_is_covered():
    assert set(LINK_PAGES) == set(PersonalLink.Purpose.values)


def _page(text):
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)


@pytest.fixture
def jan(world):
    return Participant.objects.create(case=world.case, name="Jan", category="resident")


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", sorted(LINK_PAGES))
def test_a_link_is_random_hashed_and_a_new_one_leaves_the_old_working(purpose, jan, client):
    # Issue 13: a new message used to revoke the link in the previous one; now each message
    # carries its own link and the earlier links keep working until they expire.
    first, second = links.issue(jan, purpose), links.issue(jan, purpose)
    assert len(first) >= 43 and first != second  # 32 random bytes, url-safe
    assert not PersonalLink.objects.filter(token_hash__in=[first, second]).exists()
    assert PersonalLink.objects.filter(participant=jan, revoked_at__isnull=True).count() == 2
    name = LINK_PAGES[purpose]
    assert client.get(reverse(name, args=[first])).status_code == 200  # the old one works
    assert client.get(reverse(name, args=[second])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", sorted(LINK_PAGES))
def test_bad_links_share_one_page_and_no_referrer(purpose, jan, client, settings):
    name = LINK_PAGES[purpose]
    settings.KRING_LINK_DAYS = 10
    expired = links.issue(jan, purpose)
    other = Participant.objects.create(case=jan.case, name="Piet", category="resident")
    revoked = links.issue(other, purpose)
    links.revoke(other)
    with time_machine.travel(timezone.now() + dt.timedelta(days=11)):
        responses = [
            client.get(reverse(name, args=[token]))
            for token in (expired, revoked, "x" * 43, "kort")
        ]
    assert {r.status_code for r in responses} == {404}
    assert len({_page(r.text) for r in responses}) == 1
    assert all(r["Referrer-Policy"] == "no-referrer" for r in responses)
    good = client.get(reverse(name, args=[links.issue(other, purpose)]))
    assert good["Referrer-Policy"] == "no-referrer" and "no-store" in good["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("purpose", sorted(LINK_PAGES))
def test_opening_changes_nothing_and_closing_the_case_revokes(purpose, jan, client, world):
    from kring.cases.lifecycle import change_status

    token = links.issue(jan, purpose)
    before = list(Participant.objects.values().filter(pk=jan.pk))
    client.get(reverse(LINK_PAGES[purpose], args=[token]))
    assert list(Participant.objects.values().filter(pk=jan.pk)) == before
    assert PersonalLink.objects.get(participant=jan).last_used_at is None
    change_status(world.case, "withdrawn", user=world.manager, reason="Ingetrokken")
    assert client.get(reverse(LINK_PAGES[purpose], args=[token])).status_code == 404
