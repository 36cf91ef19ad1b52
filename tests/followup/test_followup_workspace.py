"""The researcher's follow-up workspace: the lists (due, overdue, answered, coming), finding a
respondent by the code they give on the phone, a moment's page with its calls, the
questionnaire entered after a call, a further moment and closing — and never a name, email
address, phone number, street or agreement text on any of these pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.audit.models import AccessLog
from kring.cases.models import Case, Status
from kring.circle.models import Participant
from kring.followup import services
from kring.followup.models import AgreementOutcome, ContactAttempt, FollowUp, Respondent
from kring.followup.study import study_id
from kring.plans.models import Agreement, Plan
from tests.factories import case_in_status

AGREEMENT_TEXT = "Ayse Kaya belt de woningcorporatie over de lantaarnpalen."
RECURRING_TEXT = "Elke maandag loopt Bram Smit een ronde"
PEOPLE = (
    # name, email, phone, address, consent, willingness
    ("Ayse Kaya", "ayse.kaya@voorbeeld.test", "06-11112222", "Molenstraat 12\n1053 AB Amsterdam"),
    ("Bram Smit", "", "06-33334444", "Lindenlaan 7\n1054 CD Amsterdam"),
    (
        "Carla Dekker",
        "carla.dekker@voorbeeld.test",
        "020-5556666",
        "Kerkplein 3\n1055 EF Amsterdam",
    ),
)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def street(world) -> FollowUp:
    """The brochure's street after its plan: in follow-up, two agreements, three participants
    who gave research consent (one without email), one who did not and one who said no; its
    three-month moment opened by the worker today."""
    case = world.case
    Case.objects.filter(pk=case.pk).update(status=Status.FOLLOW_UP)
    plan = Plan.objects.create(case=case, outcome=Plan.Outcome.ACCEPTED)
    Agreement.objects.create(
        plan=plan,
        what=AGREEMENT_TEXT,
        order=1,
        when=Agreement.When.DATE,
        on=timezone.localdate() - dt.timedelta(days=60),
    )
    Agreement.objects.create(
        plan=plan, what="Buurtwacht", order=2, when="recurring", recurrence=RECURRING_TEXT
    )
    for name, email, phone, address in PEOPLE:
        Participant.objects.create(
            case=case,
            name=name,
            email=email,
            phone=phone,
            postal_address=address,
            category="resident",
            willingness="yes",
            research_consent=True,
        )
    Participant.objects.create(
        case=case, name="Dirk Bos", email="dirk@voorbeeld.test", category="police"
    )
    Participant.objects.create(
        case=case,
        name="Eva de Wit",
        email="eva@voorbeeld.test",
        category="neighbour",
        willingness="no",
        research_consent=True,
    )
    follow_up = FollowUp.objects.create(case=case, months=3, due_on=timezone.localdate())
    assert services.open_due(timezone.localdate(), worker="test") == 1
    follow_up.refresh_from_db()
    assert follow_up.respondents.count() == 3
    return follow_up


def secrets_of(case: Case) -> set[str]:
    found = {case.requester_name, case.requester_email, case.requester_phone, case.address}
    for person in Participant.objects.filter(case=case):
        found |= {person.name, person.email, person.phone, *person.postal_address.splitlines()}
    found |= {AGREEMENT_TEXT, RECURRING_TEXT, "Buurtwacht"}
    return {s for s in found if s and len(s) > 3}


def moment(
    case: Case,
    *,
    state: str = FollowUp.State.OPEN,
    due_on: dt.date | None = None,
    months: int = 3,
    respondents: tuple[str, ...] = ("waiting",),
) -> FollowUp:
    """A follow-up made directly, with respondents answered, declined or waiting."""
    now = timezone.now()
    follow_up = FollowUp.objects.create(
        case=case,
        months=months,
        due_on=due_on or timezone.localdate(),
        state=state,
        opened_at=now if state != FollowUp.State.PLANNED else None,
        closed_at=now if state == FollowUp.State.CLOSED else None,
    )
    for kind in respondents:
        respondent = Respondent.objects.create(
            follow_up=follow_up,
            category="resident",
            invited_at=now,
            answered_at=now if kind == "answered" else None,
            declined_at=now if kind == "declined" else None,
        )
        ContactAttempt.objects.create(
            respondent=respondent, kind="invitation", channel="email", outcome="sent"
        )
    return follow_up


def follow_up_case(world: Any) -> Case:
    return case_in_status(Status.FOLLOW_UP, region=world.west)


def listed(client, show: str) -> set[int]:
    response = client.get(reverse("follow_ups"), {"show": show})
    assert response.status_code == 200
    return {row.follow_up.pk for row in response.context["rows"]}


def answers(follow_up: FollowUp, **changes: str) -> dict[str, str]:
    data = {f"agreement-{a.pk}": "done" for a in services.agreements_of(follow_up.case)} | {
        "better": "4",
        "satisfaction": "8",
        "recommend": "yes",
        "new_conference": "no",
        "remark": "Het is rustiger op het plein.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != "-"}


# --- The lists --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_lists_sort_follow_ups_into_due_overdue_answered_and_coming(world, client, street):
    today = timezone.localdate()
    late = moment(follow_up_case(world), due_on=today - dt.timedelta(days=28))
    not_yet_late = moment(follow_up_case(world), due_on=today - dt.timedelta(days=27))
    done = moment(
        follow_up_case(world),
        due_on=today - dt.timedelta(days=40),
        respondents=("answered", "declined"),
    )
    closed = moment(
        follow_up_case(world), state=FollowUp.State.CLOSED, respondents=("answered", "waiting")
    )
    coming = moment(
        follow_up_case(world),
        state=FollowUp.State.PLANNED,
        due_on=today + dt.timedelta(days=10),
        respondents=(),
    )
    far = moment(
        follow_up_case(world),
        state=FollowUp.State.PLANNED,
        due_on=today + dt.timedelta(days=60),
        respondents=(),
    )
    cancelled = moment(follow_up_case(world), state=FollowUp.State.CANCELLED)
    client.force_login(world.researcher)

    assert listed(client, "due") == {street.pk, not_yet_late.pk}
    assert listed(client, "overdue") == {late.pk}
    assert listed(client, "answered") == {done.pk, closed.pk}
    assert listed(client, "planned") == {coming.pk}
    everywhere = set().union(
        *(listed(client, s) for s in ("due", "overdue", "answered", "planned"))
    )
    assert far.pk not in everywhere and cancelled.pk not in everywhere
    # The default is "due"; an unknown section falls back to it.
    assert {r.follow_up.pk for r in client.get(reverse("follow_ups")).context["rows"]} == {
        street.pk,
        not_yet_late.pk,
    }
    assert listed(client, "nonsense") == {street.pk, not_yet_late.pk}
    # Ready to close comes before the closed ones.
    answered = client.get(reverse("follow_ups"), {"show": "answered"}).context["rows"]
    assert [r.follow_up.pk for r in answered] == [done.pk, closed.pk]

    response = client.get(reverse("follow_ups"), {"show": "due"})
    assert {name: count for name, _label, count in response.context["tabs"]} == {
        "due": 2,
        "overdue": 1,
        "answered": 2,
        "planned": 1,
    }
    row = next(r for r in response.context["rows"] if r.follow_up.pk == street.pk)
    assert row.study_id == study_id(street.case)
    assert row.follow_up.respondent_count == 3
    assert row.follow_up.answered_count == 0
    # Two invitations by email; the one without email waits for a letter.
    assert row.follow_up.attempt_count == 2
    assert row.percent == 0
    assert row.study_id in response.text
    # The overall response: 2 answered of the 3 + 1 + 1 + 2 + 2 respondents of the moments
    # that were not cancelled.
    overall = response.context["overall"]
    assert (overall.answered, overall.respondents, overall.declined) == (2, 9, 1)
    assert "Response rate 22%" in response.text
    assert reverse("follow_up_find") in response.text


@pytest.mark.django_db
def test_the_start_page_links_to_the_due_and_overdue_follow_ups(world, client, street):
    moment(follow_up_case(world), due_on=timezone.localdate() - dt.timedelta(days=30))
    moment(follow_up_case(world), due_on=timezone.localdate() - dt.timedelta(days=31))
    client.force_login(world.researcher)
    response = client.get(reverse("start"))
    assert response.context["follow_ups_due"] == 1
    assert response.context["follow_ups_overdue"] == 2
    assert f'href="{reverse("follow_ups")}?show=overdue"' in response.text
    assert "2 follow-ups are overdue" in response.text
    assert "1 follow-up is waiting for answers" in response.text


@pytest.mark.django_db
def test_the_list_paginates(world, client, settings):
    settings.KRING_CASE_PAGE_SIZE = 5
    for _ in range(7):
        moment(follow_up_case(world))
    client.force_login(world.researcher)
    first = client.get(reverse("follow_ups"))
    assert first.text.count('scope="row"') == 5
    assert "show=due&amp;page=2" in first.text
    second = client.get(reverse("follow_ups"), {"show": "due", "page": 2})
    assert second.text.count('scope="row"') == 2


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_lists_take_as_many_queries_for_3_follow_ups_as_for_12(world, client):
    client.force_login(world.researcher)
    url = reverse("follow_ups")
    client.get(url, {"show": "planned"})  # the session's first request does more
    counts: dict[int, dict[str, int]] = {}
    for size in (3, 12):
        while FollowUp.objects.count() < size:
            moment(follow_up_case(world), respondents=("waiting", "answered", "declined"))
        counts[size] = {"first": _queries(client, url)}  # study IDs made for new cases
        counts[size]["again"] = _queries(client, url)
        for show in ("overdue", "answered", "planned"):
            counts[size][show] = _queries(client, url, {"show": show})
        assert len(client.get(url).context["rows"]) == size
    assert counts[3] == counts[12]


@pytest.mark.django_db
def test_a_moments_page_takes_as_many_queries_for_2_respondents_as_for_8(world, client):
    client.force_login(world.researcher)
    counts = []
    for size in (2, 8):
        follow_up = moment(follow_up_case(world), respondents=("waiting", "answered") * (size // 2))
        for respondent in follow_up.respondents.all():
            ContactAttempt.objects.create(
                respondent=respondent,
                kind="call",
                channel="phone",
                outcome="not_reached",
                by=world.researcher,
            )
        url = reverse("follow_up", args=[follow_up.pk])
        _queries(client, url)  # the study ID is made
        counts.append(_queries(client, url))
    assert counts[0] == counts[1]


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["manager", "other_manager", "coordinator", "other_coordinator", "administrator"]
)
def test_nobody_but_a_researcher_reaches_any_of_it(world, client, street, persona):
    respondent = street.respondents.first()
    assert respondent is not None
    client.force_login(getattr(world, persona))
    gets = [
        reverse("follow_ups"),
        reverse("follow_up_find") + f"?code={respondent.code}",
        reverse("follow_up", args=[street.pk]),
        reverse("follow_up_answer", args=[street.pk, respondent.pk]),
    ]
    posts = {
        reverse("follow_up_add", args=[street.pk]): {"months": "6"},
        reverse("follow_up_close", args=[street.pk]): {"version": str(street.version)},
        reverse("follow_up_call", args=[street.pk, respondent.pk]): {"outcome": "reached"},
        reverse("follow_up_answer", args=[street.pk, respondent.pk]): {
            **answers(street),
            "version": str(respondent.version),
        },
    }
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    street.refresh_from_db()
    respondent.refresh_from_db()
    assert street.state == FollowUp.State.OPEN
    assert FollowUp.objects.filter(case=street.case).count() == 1
    assert not respondent.answered
    assert not ContactAttempt.objects.filter(kind="call").exists()


@pytest.mark.django_db
def test_someone_signed_out_is_sent_to_sign_in(world, client, street):
    response = client.get(reverse("follow_up", args=[street.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_an_unknown_follow_up_or_respondent_is_a_404(world, client, street):
    other = moment(follow_up_case(world))
    stranger = other.respondents.get()
    client.force_login(world.researcher)
    assert client.get(reverse("follow_up", args=[999999])).status_code == 404
    # A respondent of another moment is not reached through this one.
    url = reverse("follow_up_answer", args=[street.pk, stranger.pk])
    assert client.get(url).status_code == 404
    url = reverse("follow_up_call", args=[street.pk, stranger.pk])
    assert client.post(url, {"outcome": "reached"}).status_code == 404


# --- Finding a respondent by code ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_code_given_on_the_phone_leads_to_the_questionnaire(world, client, street):
    respondent = street.respondents.order_by("pk").last()
    assert respondent is not None
    client.force_login(world.researcher)
    spoken = f" {respondent.code[:4].lower()} {respondent.code[4:].lower()} "
    response = client.get(reverse("follow_up_find"), {"code": spoken})
    assert response.status_code == 302
    assert response["Location"] == reverse("follow_up_answer", args=[street.pk, respondent.pk])
    dashed = f"{respondent.code[:4]}-{respondent.code[4:]}"
    assert client.get(reverse("follow_up_find"), {"code": dashed}).status_code == 302


@pytest.mark.django_db
def test_an_unknown_code_is_refused_with_a_message(world, client, street):
    client.force_login(world.researcher)
    response = client.get(reverse("follow_up_find"), {"code": "ZZZZ 9999"})
    assert response.status_code == 404
    assert "No respondent has this code" in response.text
    assert 'value="ZZZZ 9999"' in response.text  # the form keeps what was typed
    blank = client.get(reverse("follow_up_find"), {"code": "  "})
    assert blank.status_code == 200
    assert "Type the code the respondent gives you." in blank.text
    assert client.get(reverse("follow_up_find")).status_code == 200


# --- A moment's page ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_moments_page_shows_respondents_by_code_and_logs_the_view(world, client, street):
    client.force_login(world.researcher)
    response = client.get(reverse("follow_up", args=[street.pk]))
    assert response.status_code == 200
    for respondent in street.respondents.all():
        assert respondent.code in response.text
        assert reverse("follow_up_call", args=[street.pk, respondent.pk]) in response.text
        assert reverse("follow_up_answer", args=[street.pk, respondent.pk]) in response.text
    assert study_id(street.case) in response.text
    assert "Agreement 1 (on " in response.text and "Agreement 2 (recurring)" in response.text
    assert response.text.count("waiting</span>") == 6  # table and card for each of the three
    # Outcomes of a call: never "sent", which is what an email is.
    assert 'value="sent"' not in response.text and 'value="reached"' in response.text
    logged = AccessLog.objects.filter(object_type="follow_up", object_id=str(street.pk))
    people = set(street.respondents.values_list("participant_id", flat=True))
    assert {int(e.person_id) for e in logged} == people
    assert {e.user_id for e in logged} == {world.researcher.pk}


@pytest.mark.django_db
def test_a_call_is_recorded(world, client, street):
    respondent = street.respondents.get(participant__email="")
    client.force_login(world.researcher)
    url = reverse("follow_up_call", args=[street.pk, respondent.pk])
    response = client.post(url, {"outcome": "message_left"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#respondent-{respondent.pk}")
    attempt = ContactAttempt.objects.get(respondent=respondent)
    assert (attempt.kind, attempt.channel, attempt.outcome, attempt.by) == (
        "call",
        "phone",
        "message_left",
        world.researcher,
    )
    page = client.get(reverse("follow_up", args=[street.pk])).text
    assert "left a message" in page


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"outcome": "sent"}, {"outcome": "nonsense"}])
def test_a_call_without_a_proper_outcome_is_refused(world, client, street, data):
    respondent = street.respondents.first()
    assert respondent is not None
    client.force_login(world.researcher)
    before = ContactAttempt.objects.count()
    response = client.post(reverse("follow_up_call", args=[street.pk, respondent.pk]), data)
    assert response.status_code == 400
    assert "Choose how the call went." in response.text
    assert ContactAttempt.objects.count() == before


@pytest.mark.django_db
def test_a_further_moment_is_added(world, client, street):
    client.force_login(world.researcher)
    url = reverse("follow_up_add", args=[street.pk])
    response = client.post(url, {"months": "12"})
    assert response.status_code == 302
    added = FollowUp.objects.get(case=street.case, months=12)
    assert added.state == FollowUp.State.PLANNED
    assert added.due_on == services.add_months(services.base_date(street.case), 12)
    for data, status in (({"months": "3"}, 400), ({"months": "40"}, 400), ({}, 400)):
        response = client.post(url, data)
        assert response.status_code == status, data
        assert 'class="utrecht-alert utrecht-alert--error"' in response.text
    assert "There is already a follow-up at 3 months." in client.post(url, {"months": "3"}).text
    assert FollowUp.objects.filter(case=street.case).count() == 2
    Case.objects.filter(pk=street.case_id).update(status=Status.CLOSED)
    closed = client.post(url, {"months": "24"})
    assert closed.status_code == 409
    assert "This case is closed: no follow-up can be added." in closed.text
    assert not FollowUp.objects.filter(months=24).exists()


@pytest.mark.django_db
def test_closing_the_last_moment_closes_the_case(world, client, street):
    client.force_login(world.researcher)
    url = reverse("follow_up_close", args=[street.pk])
    assert client.post(url, {}).status_code == 400
    stale = client.post(url, {"version": str(street.version - 1)})
    assert stale.status_code == 409
    assert "Someone else changed this follow-up" in stale.text
    assert f'value="{street.version}"' in stale.text  # offered again on the current version
    street.refresh_from_db()
    assert street.state == FollowUp.State.OPEN
    response = client.post(url, {"version": str(street.version)})
    assert response.status_code == 302
    street.refresh_from_db()
    assert street.state == FollowUp.State.CLOSED
    assert Case.objects.get(pk=street.case_id).status == Status.CLOSED
    # A closed moment takes no more calls or answers.
    respondent = street.respondents.first()
    assert respondent is not None
    call = reverse("follow_up_call", args=[street.pk, respondent.pk])
    refused = client.post(call, {"outcome": "reached"})
    assert refused.status_code == 409
    assert "This follow-up is not open: no call can be recorded." in refused.text
    again = client.post(url, {"version": str(street.version)})
    assert again.status_code == 409 and "Someone else changed this follow-up" in again.text
    answer = reverse("follow_up_answer", args=[street.pk, respondent.pk])
    page = client.get(answer)
    assert page.status_code == 200 and "Save the answers" not in page.text
    data = {**answers(street), "version": str(respondent.version)}
    assert client.post(answer, data).status_code == 409
    respondent.refresh_from_db()
    assert not respondent.answered


@pytest.mark.django_db
def test_closing_one_of_two_moments_keeps_the_case_in_follow_up(world, client, street):
    services.add_moment(street.case, 6, user=world.researcher)
    client.force_login(world.researcher)
    url = reverse("follow_up_close", args=[street.pk])
    assert client.post(url, {"version": str(street.version)}).status_code == 302
    assert Case.objects.get(pk=street.case_id).status == Status.FOLLOW_UP


# --- The questionnaire --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_answers_given_on_the_phone_are_saved(world, client, street):
    respondent = street.respondents.order_by("pk").first()
    assert respondent is not None
    client.force_login(world.researcher)
    url = reverse("follow_up_answer", args=[street.pk, respondent.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert "<legend" in form.text and "Agreement 1 (on " in form.text
    assert f'name="version" value="{respondent.version}"' in form.text
    first, second = services.agreements_of(street.case)
    data = answers(street, **{f"agreement-{second.pk}": "partly", "recommend": "unsure"})
    response = client.post(url, {**data, "version": str(respondent.version)})
    assert response.status_code == 302
    respondent.refresh_from_db()
    assert respondent.answered_via == Respondent.Via.RESEARCHER
    assert respondent.entered_by == world.researcher
    assert (respondent.better, respondent.satisfaction) == (4, 8)
    assert respondent.recommend is None and respondent.new_conference == "no"
    assert respondent.remark == "Het is rustiger op het plein."
    assert dict(respondent.outcomes.values_list("agreement_id", "outcome")) == {
        first.pk: "done",
        second.pk: "partly",
    }
    # Opened again: the saved answers, to correct them.
    again = client.get(url)
    assert again.context["form"].initial["recommend"] == "unsure"
    # …but not the remark: the respondent's own words are not read back to research.
    assert "Het is rustiger op het plein." not in again.text
    # The moment now shows one answered.
    page = client.get(reverse("follow_up", args=[street.pk]))
    assert page.context["answered_count"] == 1
    assert page.context["agreements"][1].outcomes[1][1] == 1  # one "partly"
    # The remark is the respondent's own words: only on the questionnaire.
    assert "Het is rustiger op het plein." not in page.text
    assert AccessLog.objects.filter(object_type="respondent", object_id=str(respondent.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["agreement", "better", "satisfaction"])
def test_the_required_answers_are_required(world, client, street, missing):
    respondent = street.respondents.first()
    assert respondent is not None
    client.force_login(world.researcher)
    agreement = services.agreements_of(street.case)[0]
    field = f"agreement-{agreement.pk}" if missing == "agreement" else missing
    data = {**answers(street, **{field: "-"}), "version": str(respondent.version)}
    response = client.post(reverse("follow_up_answer", args=[street.pk, respondent.pk]), data)
    assert response.status_code == 400
    assert "Choose an answer." in response.text
    assert "Het is rustiger op het plein." in response.text  # what was typed stays
    respondent.refresh_from_db()
    assert not respondent.answered and respondent.version == 1
    assert not AgreementOutcome.objects.exists()


@pytest.mark.django_db
def test_answers_out_of_range_or_without_a_version_are_refused(world, client, street):
    respondent = street.respondents.first()
    assert respondent is not None
    client.force_login(world.researcher)
    url = reverse("follow_up_answer", args=[street.pk, respondent.pk])
    assert (
        client.post(url, {**answers(street), "version": "1", "satisfaction": "11"}).status_code
        == 400
    )
    assert client.post(url, {**answers(street), "version": "1", "better": "0"}).status_code == 400
    assert client.post(url, answers(street)).status_code == 400
    respondent.refresh_from_db()
    assert not respondent.answered


@pytest.mark.django_db
def test_answers_on_a_stale_copy_are_refused_and_kept(world, client, street):
    respondent = street.respondents.first()
    assert respondent is not None
    client.force_login(world.researcher)
    url = reverse("follow_up_answer", args=[street.pk, respondent.pk])
    seen = respondent.version
    first = answers(street, remark="Eerste versie.")
    assert client.post(url, {**first, "version": str(seen)}).status_code == 302
    second = answers(street, remark="Tweede versie.", better="2")
    response = client.post(url, {**second, "version": str(seen)})
    assert response.status_code == 409
    assert "Someone else saved these answers" in response.text
    assert "Tweede versie." in response.text
    respondent.refresh_from_db()
    assert respondent.remark == "Eerste versie." and respondent.better == 4
    assert f'name="version" value="{respondent.version}"' in response.text


# --- Privacy ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_name_email_phone_street_or_agreement_text_on_any_of_these_pages(world, client, street):
    secrets = secrets_of(street.case)
    assert len(secrets) >= 12
    respondent = street.respondents.order_by("pk").first()
    assert respondent is not None
    services.record_call(respondent, "reached", user=world.researcher)
    client.force_login(world.researcher)
    answer_url = reverse("follow_up_answer", args=[street.pk, respondent.pk])
    bodies = [client.get(reverse("start"))]
    bodies += [
        client.get(reverse("follow_ups"), {"show": show})
        for show in ("due", "overdue", "answered", "planned")
    ]
    bodies += [
        client.get(reverse("follow_up_find"), {"code": "nothing"}),
        client.get(reverse("follow_up_find"), {"code": respondent.code}, follow=True),
        client.get(reverse("follow_up", args=[street.pk])),
        client.get(answer_url),
        client.post(answer_url, {"version": "1"}),
        client.post(reverse("follow_up_call", args=[street.pk, respondent.pk]), {}),
        client.post(reverse("follow_up_add", args=[street.pk]), {"months": "3"}),
        client.post(reverse("follow_up_close", args=[street.pk]), {"version": "0"}),
        client.post(
            answer_url, {**answers(street), "version": str(respondent.version)}, follow=True
        ),
    ]
    for response in bodies:
        assert response.status_code in (200, 400, 404, 409)
        body = response.content.decode()
        assert [s for s in secrets if s in body] == [], response.request["PATH_INFO"]
