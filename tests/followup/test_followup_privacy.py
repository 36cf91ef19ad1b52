"""The follow-up under the data-protection rules: anonymising a case keeps the answers in
their research shape and drops what names people; a participant's export lists their research
consent and answers; erasing them removes their consent and its log, and stops all asking,
while their answers stay for research without their remark or a link to them."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from kring.audit.models import ErasureRequest
from kring.cases.models import Case, CaseAction, CaseEvent, Status
from kring.circle.models import Participant, Willingness
from kring.followup import services
from kring.followup.models import (
    AgreementOutcome,
    ConsentChange,
    ContactAttempt,
    FollowUp,
    Respondent,
)
from kring.followup.study import study_id
from kring.plans.models import Agreement, Plan
from kring.privacy import retention
from tests.factories import UserFactory, case_in_status

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
REMARK = "Sanne Bakker zegt dat Kees weer drinkt."


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def followed_up(world, status=Status.FOLLOW_UP, state=FollowUp.State.OPEN):
    """A case with a plan of two agreements and a follow-up moment: Sanne answered (with a
    remark naming people), Kees was invited and has not answered yet."""
    case = case_in_status(status, coordinator=world.coordinator, region=world.west)
    sanne = Participant.objects.create(
        case=case,
        name="Sanne Bakker",
        email="sanne@voorbeeld.test",
        category="resident",
        willingness=Willingness.YES,
    )
    kees = Participant.objects.create(
        case=case,
        name="Kees Drinkwater",
        postal_address="Kastanjelaan 9\n1011 AB Amsterdam",
        category="neighbour",
        willingness=Willingness.YES,
    )
    for person in (sanne, kees):
        services.set_consent(person, True, via=ConsentChange.Via.OWN_PAGE)
    plan = Plan.objects.create(case=case, outcome=Plan.Outcome.ACCEPTED)
    first = Agreement.objects.create(plan=plan, what="Sanne veegt de stoep.", order=1)
    second = Agreement.objects.create(plan=plan, what="Kees belt de buren.", order=2)
    follow_up = FollowUp.objects.create(
        case=case, months=3, due_on=timezone.localdate(), state=state, opened_at=timezone.now()
    )
    answered = Respondent.objects.create(
        follow_up=follow_up,
        participant=sanne,
        category=sanne.category,
        code="ABCDEFGH",
        invited_at=timezone.now(),
        answered_at=timezone.now(),
        answered_via=Respondent.Via.OWN_PAGE,
        better=4,
        satisfaction=8,
        recommend=True,
        new_conference=Respondent.Needed.NO,
        remark=REMARK,
    )
    AgreementOutcome.objects.create(
        respondent=answered, agreement=first, outcome=AgreementOutcome.Outcome.DONE
    )
    AgreementOutcome.objects.create(
        respondent=answered, agreement=second, outcome=AgreementOutcome.Outcome.PARTLY
    )
    ContactAttempt.objects.create(
        respondent=answered,
        kind=ContactAttempt.Kind.INVITATION,
        channel=ContactAttempt.Channel.EMAIL,
        outcome=ContactAttempt.Outcome.SENT,
    )
    waiting = Respondent.objects.create(
        follow_up=follow_up,
        participant=kees,
        category=kees.category,
        code="JKMNPQRS",
        invited_at=timezone.now(),
    )
    ContactAttempt.objects.create(
        respondent=waiting,
        kind=ContactAttempt.Kind.INVITATION,
        channel=ContactAttempt.Channel.LETTER,
        outcome=ContactAttempt.Outcome.SENT,
        by=world.manager,
    )
    case.log(CaseAction.FOLLOW_UP_OPENED, user=None, data={"months": 3, "respondents": 2})
    case.log(CaseAction.FOLLOW_UP_ANSWERED, user=None, data={"months": 3, "code": "ABCDEFGH"})
    return case, sanne, kees


def answers(case: Case) -> list[tuple[object, ...]]:
    """The research shape of the follow-up: codes, categories, answers, outcomes, contacts."""
    return [
        (
            r.code,
            r.category,
            r.invited_at,
            r.answered_at,
            r.answered_via,
            r.better,
            r.satisfaction,
            r.recommend,
            r.new_conference,
            sorted(r.outcomes.values_list("agreement_id", "outcome")),
            list(r.attempts.values_list("kind", "channel", "outcome", "at")),
        )
        for r in Respondent.objects.filter(follow_up__case=case).order_by("code")
    ]


def all_text() -> str:
    return repr(
        {
            model._meta.label: list(model._base_manager.values())
            for model in apps.get_models()
            if model._meta.app_label not in ("audit",)  # the access log keeps its own period
        }
    )


# --- Retention ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymising_keeps_the_answers_and_drops_the_remark_and_the_link(world):
    with time_machine.travel(START, tick=False):
        case, _sanne, _kees = followed_up(world, status=Status.CLOSED, state=FollowUp.State.CLOSED)
        pseudonym = study_id(case)
        shape = answers(case)
        consents = list(ConsentChange.objects.filter(participant__case=case).values())
    assert "Sanne Bakker" in all_text() and "drinkt" in all_text()

    with time_machine.travel(START + 731 * DAY, tick=False):
        assert retention.run_daily()["cases"] == 1

    text = all_text()
    for secret in ("Sanne", "Kees", "drinkt", "sanne@voorbeeld.test", "Kastanjelaan"):
        assert secret not in text, secret
    assert answers(case) == shape  # codes, categories, answers, outcomes, contacts
    respondents = Respondent.objects.filter(follow_up__case=case)
    assert not respondents.exclude(remark="").exists()
    assert not respondents.filter(participant__isnull=False).exists()
    assert study_id(case) == pseudonym
    # The consent log stays with the anonymised participants: it proves the answers were
    # given with consent, and names nobody now.
    assert list(ConsentChange.objects.filter(participant__case=case).values()) == consents
    assert set(case.participants.values_list("research_consent", flat=True)) == {True}
    # The neutral figures of the history stay; a respondent's code goes.
    assert case.events.get(action="follow_up.opened").data == {"months": 3, "respondents": 2}
    assert case.events.get(action="follow_up.answered").data == {"months": 3}


@pytest.mark.django_db
def test_the_follow_on_links_survive_anonymisation(world, client):
    with time_machine.travel(START, tick=False):
        case, _sanne, _kees = followed_up(world)
        client.force_login(world.manager)
        client.post(reverse("case_follow_on", args=[case.reference]), {"version": case.version})
        new = Case.objects.get(previous=case)
        Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)
    with time_machine.travel(START + 731 * DAY, tick=False):
        retention.run_daily()
    assert Case.objects.get(pk=new.pk).previous_id == case.pk
    [event] = CaseEvent.objects.filter(case=case, action="case.follow_on")
    assert event.data == {"follow_on": new.reference}


# --- The rights of the person -------------------------------------------------------------


def export(client, case, person, fmt="json"):
    return client.get(
        reverse("person_export", args=[case.reference, "participant", person.pk, fmt])
    )


@pytest.mark.django_db
def test_the_export_lists_research_consent_its_log_and_the_answers(world, client):
    case, sanne, _kees = followed_up(world)
    client.force_login(world.manager)
    data = json.loads(export(client, case, sanne).content)
    research = data["research"]
    assert research["consent"] is True
    assert [(c["given"], c["via"]) for c in research["consent_log"]] == [(True, "own_page")]
    [moment] = research["follow_ups"]
    assert moment["months"] == 3 and moment["code"] == "ABCDEFGH"
    assert moment["answered_via"] == "own_page"
    given = moment["answers"]
    assert (given["better"], given["satisfaction"], given["recommend"]) == (4, 8, True)
    assert given["new_conference"] == "no" and given["remark"] == REMARK
    assert given["agreements"] == [
        {"agreement": "Sanne veegt de stoep.", "outcome": "done"},
        {"agreement": "Kees belt de buren.", "outcome": "partly"},
    ]
    assert [(c["kind"], c["channel"]) for c in moment["contacts"]] == [("invitation", "email")]
    pdf = export(client, case, sanne, "pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "ABCDEFGH" in text and "Research" in text


@pytest.mark.django_db
def test_the_export_of_someone_not_asked_says_so(world, client):
    case, _sanne, _kees = followed_up(world)
    other = Participant.objects.create(case=case, name="Piet Nooit", category="police")
    client.force_login(world.manager)
    research = json.loads(export(client, case, other).content)["research"]
    assert research == {"consent": None, "consent_log": [], "follow_ups": []}


def erase(client, world, case, person):
    client.force_login(world.manager)
    export(client, case, person)
    url = reverse("person_rights", args=[case.reference, "participant", person.pk])
    client.post(url, {"reason": "Verzoek van betrokkene (art. 17)"})
    colleague = UserFactory(is_regional_manager=True)
    colleague.managed_regions.set([world.west])
    client.force_login(colleague)
    erasure = ErasureRequest.objects.get(person_id=person.pk)
    response = client.post(reverse("erasure_confirm", args=[case.reference, erasure.pk]))
    assert response.status_code == 302
    assert ErasureRequest.objects.get(pk=erasure.pk).confirmed_at is not None


@pytest.mark.django_db
def test_erasure_removes_consent_and_remark_and_keeps_the_answers(world, client):
    case, sanne, kees = followed_up(world)
    shape = answers(case)
    erase(client, world, case, sanne)
    sanne.refresh_from_db()
    assert sanne.research_consent is None
    assert not ConsentChange.objects.filter(participant=sanne).exists()
    respondent = Respondent.objects.get(code="ABCDEFGH")
    assert respondent.participant is None and respondent.remark == ""
    assert answers(case) == shape  # the answers stay for research, by code and category
    # Kees is untouched.
    assert Respondent.objects.get(code="JKMNPQRS").participant == kees
    assert ConsentChange.objects.filter(participant=kees).count() == 1
    # Nothing left to export about her follow-up.
    client.force_login(world.manager)
    research = json.loads(export(client, case, sanne).content)["research"]
    assert research == {"consent": None, "consent_log": [], "follow_ups": []}


@pytest.mark.django_db
def test_erasure_stops_all_asking(world, client):
    case, _sanne, kees = followed_up(world)
    # Kees has email now and is due a reminder.
    Participant.objects.filter(pk=kees.pk).update(email="kees@voorbeeld.test")
    Respondent.objects.filter(code="JKMNPQRS").update(invited_at=timezone.now() - 30 * DAY)
    assert services.remindable().filter(code="JKMNPQRS").exists()
    erase(client, world, case, kees)
    waiting = Respondent.objects.get(code="JKMNPQRS")
    assert waiting.participant is None and waiting.declined_at is not None
    assert not waiting.answered
    assert not services.remindable().filter(code="JKMNPQRS").exists()
    assert services.send_reminders() == 0
    assert not services.approachable(case).filter(pk=kees.pk).exists()


@pytest.mark.django_db
def test_who_may_be_asked_for_research_is_one_rule(world):
    """The filter and the property say the same for every consent and every answer about
    taking part (issue 15, point 6: one rule, one place)."""
    from kring.circle.models import research_approachable

    people = [
        Participant.objects.create(
            case=world.case,
            name=f"{consent}-{willingness}",
            category="resident",
            research_consent=consent,
            willingness=willingness,
        )
        for consent in (True, False, None)
        for willingness in Willingness.values
    ]
    by_filter = set(
        Participant.objects.filter(research_approachable(), case=world.case).values_list(
            "pk", flat=True
        )
    )
    by_property = {person.pk for person in people if person.may_be_asked_for_research}
    assert by_filter == by_property
    assert by_property == {
        p.pk for p in people if p.research_consent is True and p.willingness != Willingness.NO
    }
    assert by_property  # some may be asked, not all
    assert len(by_property) < len(people)
