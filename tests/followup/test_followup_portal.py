"""The follow-up on the participant's own page: giving and withdrawing research consent, the
questions while a moment is open for them, answering and changing the answers, bad input,
saying "I don't want to answer", and the page's queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kring.circle import links
from kring.circle.models import Participant
from kring.followup import services
from kring.followup.models import (
    AgreementOutcome,
    ConsentChange,
    ContactAttempt,
    FollowUp,
    Respondent,
)
from kring.plans.models import Agreement
from tests.factories import (
    DUE,
    Made,
    noon,
    ready_for_follow_up,
    respondents_of,
)

PHONE = "020-123 45 67"


@pytest.fixture(autouse=True)
def _research_phone(settings):
    settings.KRING_RESEARCH_PHONE = PHONE


@pytest.fixture
def made(world) -> Made:
    """The case of test_followup_services, everyone reading English (the own page speaks its
    participant's language), the moment not open yet."""
    made = ready_for_follow_up(world)
    Participant.objects.filter(case=made.case).update(language="en")
    for person in made.people.values():
        person.language = "en"
    return made


def own_page(person: Participant) -> str:
    return reverse("portal", args=[links.issue(person)])


def opened(made: Made) -> dict[str, Respondent]:
    services.open_due(DUE)
    return respondents_of(made)


def agreements(made: Made) -> list[Agreement]:
    return services.agreements_of(made.case)


def answers(made: Made, respondent: Respondent, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": "follow_up",
        "version": Respondent.objects.get(pk=respondent.pk).version,
        "better": "4",
        "satisfaction": "8",
        "recommend": "yes",
        "new_conference": "no",
        "remark": "De lantaarn brandt weer.",
    }
    for number, agreement in enumerate(agreements(made)):
        data[f"agreement-{agreement.pk}"] = ("done", "partly", "not", "not_relevant")[number % 4]
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def checked(html: str, name: str) -> list[str]:
    """The values of the radio buttons named ``name`` that are checked."""
    return [
        value
        for tag in re.findall(r"<input[^>]*>", html)
        if f'name="{name}"' in tag and " checked" in tag
        for value in re.findall(r'value="([^"]*)"', tag)
    ]


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return str(response.text)


def has_questions(html: str) -> bool:
    return 'name="action" value="follow_up"' in html


# --- Consent -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_consent_is_given_and_withdrawn_on_the_own_page(client, made):
    dirk = made.people["dirk"]  # never asked
    url = own_page(dirk)
    html = page(client, url)
    assert "About three months after the conference" in html and "voluntary" in html
    assert "You have not said yet whether you want to take part in the research." in html
    assert 'name="action" value="research_consent"' in html

    assert client.post(url, {"action": "research_consent", "value": "yes"}).status_code == 302
    dirk.refresh_from_db()
    assert dirk.research_consent is True
    html = page(client, url)
    assert "You agreed to be asked for the research." in html
    assert "Withdraw my consent" in html and 'value="yes"' not in html.split('id="research"')[1]

    # Giving it twice logs it once; nonsense changes nothing.
    assert client.post(url, {"action": "research_consent", "value": "yes"}).status_code == 302
    refused = client.post(url, {"action": "research_consent", "value": "perhaps"})
    assert refused.status_code == 400
    assert client.post(url, {"action": "research_consent"}).status_code == 400
    dirk.refresh_from_db()
    assert dirk.research_consent is True

    response = client.post(url, {"action": "research_consent", "value": "no"}, follow=True)
    assert "You will not be asked, nor reminded." in response.text
    assert "You said no to the research: you will not be asked." in response.text
    dirk.refresh_from_db()
    assert dirk.research_consent is False
    assert list(
        ConsentChange.objects.filter(participant=dirk).values_list("given", "via", "recorded_by")
    ) == [(True, "own_page", None), (False, "own_page", None)]


@pytest.mark.django_db
def test_who_said_no_to_taking_part_is_not_asked_about_research(client, made):
    html = page(client, own_page(made.people["frank"]))
    assert 'id="research"' not in html and not has_questions(html)


# --- The questions -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_questions_show_only_while_a_moment_is_open_for_them(client, made):
    bram_url = own_page(made.people["bram"])
    html = page(client, bram_url)
    assert not has_questions(html) and "How did the plan go?" not in html
    # Posting answers without an open moment is refused.
    assert client.post(bram_url, {"action": "follow_up"}).status_code == 409

    respondents = opened(made)
    # The invitation carried a fresh link; the one opened before keeps working (issue 13:
    # people reopen an older email) and now shows the questions.
    assert client.get(bram_url).status_code == 200
    html = page(client, bram_url)
    assert has_questions(html) and "How did the plan go?" in html
    # Their own plan's agreements, in its words, each with the four answers.
    for agreement in agreements(made):
        assert agreement.what in html
        assert f'name="agreement-{agreement.pk}" value="not_relevant"' in html
    assert 'name="satisfaction" value="10"' in html
    assert f'name="version" value="{respondents["bram"].version}"' in html
    # The code, and answering by phone.
    code = respondents["bram"].code
    assert code in html
    assert f"You can also answer by phone: call {PHONE} and give your code {code}." in html
    # The page's headings stay in order: one h1, and no h3 before an h2.
    assert html.count("<h1") == 1

    # Without consent, or with a "no" to the research, nothing is asked.
    for key in ("dirk", "eva"):
        html = page(client, own_page(made.people[key]))
        assert not has_questions(html), key
        assert "give your code" not in html
    # Closed: gone.
    follow_up = FollowUp.objects.get(case=made.case)
    FollowUp.objects.filter(pk=follow_up.pk).update(state=FollowUp.State.CLOSED)
    assert not has_questions(page(client, bram_url))


@pytest.mark.django_db
def test_answers_are_saved_shown_and_may_be_changed(client, made):
    respondent = opened(made)["bram"]
    url = own_page(made.people["bram"])
    response = client.post(url, answers(made, respondent), follow=True)
    assert response.status_code == 200
    assert "Thank you for your answers." in response.text
    respondent.refresh_from_db()
    assert respondent.answered and respondent.answered_via == Respondent.Via.OWN_PAGE
    assert respondent.entered_by is None
    assert (respondent.better, respondent.satisfaction, respondent.recommend) == (4, 8, True)
    assert (respondent.new_conference, respondent.remark) == ("no", "De lantaarn brandt weer.")
    outcomes = dict(
        AgreementOutcome.objects.filter(respondent=respondent).values_list("agreement", "outcome")
    )
    assert outcomes == {
        a.pk: ("done", "partly", "not", "not_relevant")[n % 4]
        for n, a in enumerate(agreements(made))
    }
    assert made.case.events.filter(action="follow_up.answered").exists()

    # The page thanks them, sums their answers up and offers the form filled in.
    html = page(client, url)
    assert "These are your answers:" in html and "Save my changed answers" in html
    assert "much better" not in html.split("These are your answers:")[1].split("</dl>")[0]
    assert "partly" in html and "De lantaarn brandt weer." in html
    first = agreements(made)[0]
    assert checked(html, f"agreement-{first.pk}") == ["done"]
    assert checked(html, "satisfaction") == ["8"] and checked(html, "recommend") == ["yes"]
    assert "I don't want to answer" not in html  # too late: they answered

    # They change their mind: the new answers replace the old.
    changed = answers(made, respondent, better="5", **{f"agreement-{first.pk}": "not"})
    assert client.post(url, changed).status_code == 302
    respondent.refresh_from_db()
    assert respondent.better == 5
    assert AgreementOutcome.objects.get(respondent=respondent, agreement=first).outcome == "not"
    assert AgreementOutcome.objects.filter(respondent=respondent).count() == len(agreements(made))

    # Sent again from a page opened before the change: refused, what was typed kept.
    stale = answers(made, respondent, version=1, remark="Oude pagina")
    refused = client.post(url, stale)
    assert refused.status_code == 409
    assert "Oude pagina" in refused.text
    assert f'name="version" value="{respondent.version}"' in refused.text
    respondent.refresh_from_db()
    assert respondent.remark == "De lantaarn brandt weer." and respondent.better == 5


@pytest.mark.django_db
def test_bad_answers_change_nothing_and_keep_what_was_typed(client, made):
    respondent = opened(made)["bram"]
    url = own_page(made.people["bram"])
    first = agreements(made)[0]
    for bad in (
        answers(made, respondent, better=None, remark="Mijn woorden"),
        answers(made, respondent, satisfaction="11", remark="Mijn woorden"),
        answers(made, respondent, **{f"agreement-{first.pk}": "maybe"}, remark="Mijn woorden"),
        answers(made, respondent, **{f"agreement-{first.pk}": None}, remark="Mijn woorden"),
        answers(made, respondent, version="", remark="Mijn woorden"),
        answers(made, respondent, version="abc", remark="Mijn woorden"),
    ):
        response = client.post(url, bad)
        assert response.status_code == 400, bad
        assert "Mijn woorden" in response.text
    response = client.post(url, answers(made, respondent, better=None))
    assert 'id="follow_up_better_error"' in response.text
    assert "Not every question is answered" in response.text
    respondent.refresh_from_db()
    assert not respondent.answered and respondent.version == 1
    assert not AgreementOutcome.objects.exists()


@pytest.mark.django_db
def test_i_dont_want_to_answer_stops_everything(client, made, settings):
    respondents = opened(made)
    url = own_page(made.people["bram"])
    assert "I don't want to answer" in page(client, url)
    response = client.post(url, {"action": "follow_up_decline"}, follow=True)
    assert "You will receive nothing more about this." in response.text
    respondent = Respondent.objects.get(pk=respondents["bram"].pk)
    assert respondent.declined and not respondent.answered
    html = page(client, url)
    assert not has_questions(html)
    assert "You said you do not want to answer the questions about the plan." in html
    # Answering, or declining once more, is refused; and no reminder goes to them.
    assert client.post(url, answers(made, respondent)).status_code == 409
    assert client.post(url, {"action": "follow_up_decline"}).status_code == 409
    with time_machine.travel(noon(DUE) + dt.timedelta(days=40), tick=False):
        assert services.send_reminders() == 1  # Anna only
    assert not ContactAttempt.objects.filter(respondent=respondent, kind="reminder").exists()
    assert Respondent.objects.get(pk=respondent.pk).reminders == 0


@pytest.mark.django_db
def test_withdrawn_consent_hides_the_questions_and_stops_reminders(client, made):
    respondent = opened(made)["bram"]
    url = own_page(made.people["bram"])
    assert has_questions(page(client, url))
    assert client.post(url, {"action": "research_consent", "value": "no"}).status_code == 302
    html = page(client, url)
    assert not has_questions(html) and respondent.code not in html
    assert services.open_respondent(Participant.objects.get(pk=made.people["bram"].pk)) is None
    assert client.post(url, answers(made, respondent)).status_code == 409
    with time_machine.travel(noon(DUE) + dt.timedelta(days=40), tick=False):
        services.send_reminders()
    assert Respondent.objects.get(pk=respondent.pk).reminders == 0
    # Given again while the moment is open: the questions are back.
    assert client.post(url, {"action": "research_consent", "value": "yes"}).status_code == 302
    assert has_questions(page(client, url))


# --- Queries -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_own_page_with_questions_takes_the_same_queries_at_two_sizes(client, made):
    respondents = opened(made)
    url = own_page(made.people["bram"])
    answered_url = own_page(made.people["anna"])
    client.post(answered_url, answers(made, respondents["anna"]))
    client.get(url)

    def count() -> list[int]:
        sizes = []
        for address in (url, answered_url):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(address)
                assert response.status_code == 200 and has_questions(response.text)
            sizes.append(len(queries))
        return sizes

    small = count()
    follow_up = FollowUp.objects.get(case=made.case)
    plan = made.plan
    for i in range(25):
        person = Participant.objects.create(
            case=made.case,
            name=f"Buur {i:02d}",
            email=f"buur{i}@voorbeeld.test",
            category="neighbour",
            willingness="yes",
            research_consent=True,
            language="en",
        )
        Respondent.objects.create(follow_up=follow_up, participant=person, code=f"BUUR{i:04d}")
        Agreement.objects.create(plan=plan, what=f"Extra afspraak {i}", order=100 + i)
    large = count()
    print(f"\nQueries (own page to answer, answered): small {small}, large {large}")
    assert large == small
    assert "Extra afspraak 24" in page(client, url)
