"""Wording staff and participants read (issue 14, point 7): one label per field, one word for
one thing, one date style, no text twice, no promise that was not made."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from kring.cases.models import Assignment, CaseAction, Status
from kring.circle.models import Participant
from kring.followup.forms import RECOMMEND_CHOICES
from kring.meetings.letters import letter_context
from kring.meetings.models import Meeting
from kring.plans.models import Agreement, Evaluation, PlanVersion
from kring.plans.services import snapshot
from tests.factories import case_in_status
from tests.site.test_permission_matrix import held_with_plan

TEMPLATES = Path(__file__).resolve().parents[2] / "kring" / "templates"


def _labels(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ]


@pytest.mark.django_db
def test_each_reason_on_the_case_page_has_its_own_label(world, client):
    case = case_in_status(Status.REQUESTED, region=world.west)
    client.force_login(world.manager)
    page = client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="nl").text
    reasons = [label for label in _labels(page) if label.startswith("Reden")]
    assert len(reasons) >= 2, reasons
    assert len(set(reasons)) == len(reasons), reasons
    assert "Reden" not in reasons
    assert "Reden voor ‘Aanvraag afwijzen’" in reasons


def test_a_coordinator_or_respondent_saying_no_is_always_geweigerd():
    with translation.override("nl"):
        assert str(Assignment.State.DECLINED.label) == "geweigerd"
        assert "geweigerd" in str(CaseAction.ASSIGNMENT_DECLINED.label)
        badge = render_to_string("followup/respondent_status.html", {"row": {"status": "declined"}})
        assert "geweigerd" in badge
        for text in (str(Assignment.State.DECLINED.label), badge):
            assert "afgewezen" not in text


def test_dont_know_is_written_like_yes_and_no():
    with translation.override("nl"):
        labels = [str(label) for _value, label in RECOMMEND_CHOICES]
    assert labels == ["ja", "nee", "weet ik niet"]


@pytest.mark.django_db
def test_the_aftercare_page_writes_dates_in_words(world, client):
    plan, _agreement, _people = held_with_plan(world.case)
    Agreement.objects.create(
        plan=plan,
        what="Samen koffie",
        when="period",
        on=dt.date(2026, 11, 2),
        until=dt.date(2026, 12, 14),
    )
    Evaluation.objects.create(plan=plan, on=dt.date(2027, 1, 11), description="Terugblik", order=1)
    PlanVersion.objects.create(plan=plan, number=2, content=snapshot(plan))
    client.force_login(world.coordinator)
    page = client.get(reverse("aftercare", args=[world.case.reference]), HTTP_ACCEPT_LANGUAGE="nl")
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", " ", page.text)
    assert re.findall(r"\d{4}-\d{2}-\d{2}", text) == []
    for day in ("2 november 2026", "14 december 2026", "11 januari 2027"):
        assert day in text


def test_dates_are_written_one_way_in_every_template():
    """A day is 'j F Y' (23 oktober 2026), never an abbreviated month: Django writes 'M' as
    'Okt' and 'b' as 'okt', two styles on one screen."""
    formats = {
        (path.relative_to(TEMPLATES).as_posix(), fmt)
        for path in TEMPLATES.rglob("*.*")
        if path.suffix in {".html", ".txt"}
        for fmt in re.findall(r"""\|date:["']([^"']*)["']""", path.read_text(encoding="utf-8"))
    }
    assert formats
    abbreviated = sorted((where, fmt) for where, fmt in formats if re.search(r"(?<!\\)[MbN]", fmt))
    assert abbreviated == []


@pytest.mark.django_db
def test_the_sign_in_page_offers_a_new_password_once(client):
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="nl").text
    assert page.count("Wachtwoord vergeten?") == 1


@pytest.mark.django_db
def test_the_first_email_asks_whether_someone_takes_part(world):
    with translation.override("nl"):
        subject = render_to_string("emails/personal_link_subject.txt", {"case": world.case})
    assert subject.strip() == "Eigen Kracht-conferentie Bewoners van de Molenstraat: doet u mee?"
    assert "uitgenodigd" not in subject


@pytest.mark.django_db
@pytest.mark.parametrize("catering", ["", "Soep en broodjes"])
def test_food_is_promised_only_when_it_is_arranged(world, catering):
    start = timezone.now() + dt.timedelta(days=10)
    meeting = Meeting.objects.create(
        case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3), catering=catering
    )
    participant = Participant.objects.create(
        case=world.case, name="Anna de Boer", category="resident", postal_address="Molenstraat 1"
    )
    context = {
        "meeting": meeting,
        "case": world.case,
        "participant": participant,
        "questions": [],
        "url": "https://kring.test/p/x/",
    }
    with translation.override("nl"):
        texts = [
            render_to_string("emails/meeting_invitation_body.txt", context),
            render_to_string("emails/meeting_invitation_body.html", context),
            render_to_string(
                "letters/invitation.html",
                letter_context(meeting, participant, kind="invitation", portal_url="https://x/"),
            ),
        ]
    for text in texts:
        assert ("Voor eten en drinken wordt gezorgd." in text) == bool(catering)
