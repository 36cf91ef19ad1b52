"""The regional manager's part of the follow-up: the case's moments with their counts (never
the answers), and the invitation letters for respondents without email — a PDF with a fresh
link to their own page, their code and the research line — printed and recorded."""

from __future__ import annotations

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from kring.audit.models import AccessLog
from kring.cases.models import Status
from kring.circle import links
from kring.circle.models import Participant
from kring.followup import services
from kring.followup.models import ContactAttempt, FollowUp, Respondent
from tests.factories import DUE, Made, case_in_status, ready_for_follow_up, respondents_of

PHONE = "020-123 45 67"


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    settings.KRING_RESEARCH_PHONE = PHONE


@pytest.fixture
def made(world) -> Made:
    made = ready_for_follow_up(world)
    services.open_due(DUE)
    return made


def page_url(made: Made) -> str:
    return reverse("case_follow_up", args=[made.case.reference])


def letter_url(made: Made, respondent: Respondent) -> str:
    return reverse("follow_up_letter", args=[made.case.reference, respondent.participant_id])


def pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.django_db
def test_the_manager_sees_the_moments_and_prints_the_letters(world, client, made):
    respondents = respondents_of(made)
    # Bram answered, with a remark the manager has no business reading.
    services.save_answers(
        respondents["bram"],
        services.Answers(
            outcomes={a.pk: "done" for a in services.agreements_of(made.case)},
            better=2,
            satisfaction=3,
            recommend=False,
            new_conference="yes",
            remark="Geheim: het gaat slecht met de buren.",
        ),
        via=Respondent.Via.OWN_PAGE,
    )
    client.force_login(world.manager)
    page = client.get(page_url(made))
    assert page.status_code == 200
    html = page.text
    (moment,) = page.context["moments"]
    assert (moment.months, moment.respondent_count, moment.answered_count) == (3, 3, 1)
    assert "28 February 2027" in html and "open" in html
    assert "Geheim" not in html and "het gaat slecht" not in html
    # Carla has no email: her letter waits. Anna and Bram were emailed.
    assert [r.participant.name for r in page.context["letters"]] == ["Carla Dekker"]
    carla = respondents["carla"]
    assert letter_url(made, carla) in html and "letter to print" in html
    assert AccessLog.objects.filter(
        object_type="case_follow_up", action="view", person_id=str(carla.participant_id)
    ).exists()

    letter = client.post(letter_url(made, carla))
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"
    assert "no-store" in letter["Cache-Control"]
    assert letter["Content-Disposition"] == ('attachment; filename="vervolg-3m-brief.pdf"')
    assert "Carla" not in letter["Content-Disposition"]
    text = pdf_text(letter.content)
    squeezed = re.sub(r"\s+", "", text)
    assert "Carla Dekker" in text and "Molenstraat 3" in text
    assert carla.code in squeezed and re.sub(r"\s+", "", PHONE) in squeezed
    # The link in the letter opens her own page, with the questions.
    (token,) = re.findall(r"/p/([A-Za-z0-9_-]{43})/", squeezed)
    link = links.resolve(token)
    assert link is not None and link.participant_id == carla.participant_id
    own = client.get(reverse("portal", args=[token]))
    assert own.status_code == 200 and 'name="action" value="follow_up"' in own.text
    # Printing is recorded: the invitation went by letter.
    attempt = ContactAttempt.objects.get(respondent=carla, kind="invitation")
    assert (attempt.channel, attempt.outcome, attempt.by) == ("letter", "sent", world.manager)
    assert Respondent.objects.get(pk=carla.pk).invited_at is not None
    assert made.case.events.filter(action="follow_up.letter").exists()
    assert AccessLog.objects.filter(
        object_type="follow_up_letter",
        action="download",
        person_id=str(carla.participant_id),
    ).exists()
    assert "letter printed on" in client.get(page_url(made)).text

    # A second print makes a new link; the first keeps working (issue 13: people keep the
    # first letter).
    again = client.post(letter_url(made, carla))
    assert again.status_code == 200
    (second,) = re.findall(r"/p/([A-Za-z0-9_-]{43})/", re.sub(r"\s+", "", pdf_text(again.content)))
    assert second != token
    assert links.resolve(token) is not None and links.resolve(second) is not None
    assert ContactAttempt.objects.filter(respondent=carla, channel="letter").count() == 2


@pytest.mark.django_db
def test_no_letter_for_who_has_email_answered_declined_or_belongs_elsewhere(world, client, made):
    respondents = respondents_of(made)
    client.force_login(world.manager)
    # Bram has email: a letter's fresh link would replace the one in his email.
    assert client.post(letter_url(made, respondents["bram"])).status_code == 404
    # Carla declined to answer: nothing more goes to her.
    services.decline(respondents["carla"])
    assert client.post(letter_url(made, respondents["carla"])).status_code == 404
    assert client.get(page_url(made)).context["letters"] == []
    # A respondent of another case is not reached through this one.
    other = ready_for_follow_up(world, case=case_in_status(Status.HELD, region=world.west))
    services.open_due(DUE)
    (stranger,) = [r for key, r in respondents_of(other).items() if key == "carla"]
    assert client.post(letter_url(made, stranger)).status_code == 404
    assert client.post(letter_url(other, stranger)).status_code == 200
    assert (
        not ContactAttempt.objects.filter(respondent__follow_up__case=made.case)
        .filter(channel="letter")
        .exists()
    )


@pytest.mark.django_db
def test_only_the_cases_manager_reaches_the_follow_up(world, client, made):
    carla = respondents_of(made)["carla"]
    for outsider in (
        world.other_manager,
        world.coordinator,
        world.other_coordinator,
        world.researcher,
        world.administrator,
    ):
        client.force_login(outsider)
        assert client.get(page_url(made)).status_code == 404
        assert client.post(letter_url(made, carla)).status_code == 404
    assert not ContactAttempt.objects.filter(channel="letter").exists()
    client.logout()
    assert client.get(page_url(made)).status_code == 302


@pytest.mark.django_db
def test_a_case_before_its_moment_shows_it_planned(world, client):
    made = ready_for_follow_up(world)
    client.force_login(world.manager)
    page = client.get(page_url(made))
    assert page.status_code == 200
    (moment,) = page.context["moments"]
    assert moment.state == FollowUp.State.PLANNED and page.context["letters"] == []
    assert "No letters to print." in page.text


@pytest.mark.django_db
def test_the_page_takes_the_same_queries_at_two_sizes(world, client, made):
    client.force_login(world.manager)
    client.get("/")
    follow_up = FollowUp.objects.get(case=made.case)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_url(made)).status_code == 200
        return len(queries)

    small = count()
    services.add_moment(made.case, 6, user=world.manager)
    for i in range(20):
        person = Participant.objects.create(
            case=made.case,
            name=f"Buur {i:02d}",
            category="neighbour",
            willingness="yes",
            research_consent=True,
            postal_address=f"Molenstraat {i}\n3512 AB Utrecht",
        )
        respondent = Respondent.objects.create(
            follow_up=follow_up, participant=person, code=f"BUUR{i:04d}"
        )
        if i % 2:
            services.record_letter(respondent, user=world.manager)
    large = count()
    print(f"\nQueries (case follow-up page): small {small}, large {large}")
    assert large == small
    assert len(client.get(page_url(made)).context["letters"]) == 21
