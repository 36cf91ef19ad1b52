"""Phases 1 and 2 over HTTP: the intake, bottom lines, funding, the decision, matching and the
coordinator's answer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.accounts.models import CoordinatorProfile, Organisation
from kring.cases.models import (
    Assignment,
    BottomLine,
    Case,
    CaseAction,
    ConferenceQuestion,
    ConflictOfInterest,
    Funding,
    Status,
)
from kring.messaging.models import OutboxMessage
from tests.factories import CoordinatorProfileFactory, case_in_status


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def intake_data(case, **changes):
    return {
        "intake_on": timezone.localdate().isoformat(),
        "intake_notes": "Gesprek met de aanvrager en de wijkagent.",
        "question_1": "Hoe kan de overlast op het plein stoppen?",
        "question_2": "",
        "question_3": "",
        "version": case.version,
        **changes,
    }


def funding_data(**changes):
    return {
        "financier": "Gemeente Amsterdam",
        "kind": "gemeente",
        "contact_person": "M. Jansen",
        "amount": "2500",
        "reference": "WMO-2026-118",
        "decision": "approved",
        "decided_on": "2026-11-18",
        **changes,
    }


@pytest.fixture
def request_case(world):
    return case_in_status(Status.REQUESTED, region=world.west, requester_organisation="")


@pytest.mark.django_db
def test_the_first_intake_save_starts_the_intake_and_keeps_the_questions(
    world, client, request_case
):
    client.force_login(world.manager)
    url = reverse("case_intake", args=[request_case.reference])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        intake_data(request_case, question_2="Wat hebben de kinderen nodig om veilig te spelen?"),
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=request_case.pk)
    assert case.status == Status.INTAKE
    assert case.intake_on == timezone.localdate()
    assert list(case.questions.values_list("text", flat=True)) == [
        "Hoe kan de overlast op het plein stoppen?",
        "Wat hebben de kinderen nodig om veilig te spelen?",
    ]
    actions = list(case.events.values_list("action", flat=True))
    assert "status.changed" in actions and "intake.saved" in actions


@pytest.mark.django_db
def test_a_closed_question_is_saved_with_a_warning(world, client, request_case):
    client.force_login(world.manager)
    url = reverse("case_intake", args=[request_case.reference])
    response = client.post(
        url,
        intake_data(request_case, question_1="Moeten de jongeren van het plein af?"),
        follow=True,
    )
    assert response.status_code == 200
    assert ConferenceQuestion.objects.get(case=request_case).text.startswith("Moeten")
    assert "yes/no question" in response.text  # shown next to the question, never blocking
    assert 'class="utrecht-alert utrecht-alert--warning"' in response.text


@pytest.mark.django_db
def test_the_question_check_answers_while_typing(world, client):
    client.force_login(world.manager)
    url = reverse("question_check")
    closed = client.post(
        url,
        {"question_2": "Is het pesten te stoppen?"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="question_2",
    )
    assert "yes/no question" in closed.text
    steering = client.post(
        url,
        {"question_1": "Hoe zorgen we dat de jongeren vertrekken?"},
        HTTP_HX_TRIGGER_NAME="question_1",
    )
    assert "points to a solution" in steering.text
    good = client.post(
        url, {"question_1": "Hoe kan de overlast stoppen?"}, HTTP_HX_TRIGGER_NAME="question_1"
    )
    assert "open question" in good.text and "⚠" not in good.text


@pytest.mark.django_db
def test_bad_intake_input_keeps_what_was_typed(world, client, request_case):
    client.force_login(world.manager)
    url = reverse("case_intake", args=[request_case.reference])
    data = intake_data(
        request_case, intake_on="2099-01-01", question_1="x" * 301, intake_notes="Mijn notities"
    )
    response = client.post(url, data)
    assert response.status_code == 400
    assert (
        'id="id_intake_on_error"' in response.text and 'id="id_question_1_error"' in response.text
    )
    assert "Mijn notities" in response.text
    assert Case.objects.get(pk=request_case.pk).status == Status.REQUESTED


@pytest.mark.django_db
def test_two_managers_editing_at_once_do_not_overwrite_each_other(world, client, request_case):
    client.force_login(world.manager)
    url = reverse("case_intake", args=[request_case.reference])
    first = intake_data(request_case, question_1="Hoe kan de overlast stoppen?")
    second = intake_data(request_case, question_1="Wat is er nodig voor rust in de straat?")
    assert client.post(url, first).status_code == 302
    response = client.post(url, second)  # based on the same, now stale, version
    assert response.status_code == 409
    assert "Someone else changed this case" in response.text
    assert "Wat is er nodig voor rust in de straat?" in response.text  # input kept
    assert ConferenceQuestion.objects.get(case=request_case).text == "Hoe kan de overlast stoppen?"


@pytest.mark.django_db
def test_bottom_lines_are_added_and_removed(world, client, request_case):
    client.force_login(world.manager)
    add = reverse("bottom_line_add", args=[request_case.reference])
    data = {
        "text": "De kinderen wonen niet bij vader.",
        "set_by": "J. de Boer, jeugdbescherming",
        "mandate": "ondertoezichtstelling",
        "version": request_case.version,
    }
    assert client.post(add, data).status_code == 302
    line = BottomLine.objects.get(case=request_case)
    assert client.post(add, {**data, "set_by": ""}).status_code == 400
    remove = reverse("bottom_line_remove", args=[request_case.reference, line.pk])
    assert client.post(remove, {"version": 1}).status_code == 409  # stale
    version = Case.objects.get(pk=request_case.pk).version
    assert client.post(remove, {"version": version}).status_code == 302
    assert not BottomLine.objects.exists()
    assert request_case.events.filter(action__startswith="bottom_line.").count() == 2


@pytest.mark.django_db
def test_funding_is_added_checked_and_changed(world, client, request_case):
    client.force_login(world.manager)
    add = reverse("funding_add", args=[request_case.reference])
    bad = client.post(add, funding_data(decided_on="", amount="-5"))
    assert bad.status_code == 400
    assert 'id="funding_decided_on_error"' in bad.text and 'id="funding_amount_error"' in bad.text
    assert not Funding.objects.exists()
    assert client.post(add, funding_data()).status_code == 302
    funding = Funding.objects.get()
    assert funding.organisation.kind == "gemeente" and str(funding.amount) == "2500.00"
    # The same financier on another case is the same organisation.
    other = case_in_status(Status.INTAKE, region=world.west)
    client.post(
        reverse("funding_add", args=[other.reference]),
        funding_data(financier="gemeente  amsterdam"),
    )
    assert Organisation.objects.filter(name__iexact="gemeente amsterdam").count() == 1
    edit = reverse("funding_edit", args=[request_case.reference, funding.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, funding_data(decision="refused", version=1)).status_code == 302
    stale = client.post(edit, funding_data(decision="pending", decided_on="", version=1))
    assert stale.status_code == 409
    assert Funding.objects.get(pk=funding.pk).decision == "refused"


@pytest.mark.django_db
def test_accepting_a_case_needs_a_question(world, client):
    case = case_in_status(Status.INTAKE, region=world.west)
    client.force_login(world.manager)
    url = reverse("case_change_status", args=[case.reference])
    response = client.post(url, {"target": "accepted", "version": case.version})
    assert response.status_code == 409
    assert "at least one conference question" in response.text
    ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?")
    assert client.post(url, {"target": "accepted", "version": case.version}).status_code == 302


@pytest.mark.django_db
def test_declining_a_request_tells_the_requester_why(world, client, request_case):
    client.force_login(world.manager)
    url = reverse("case_change_status", args=[request_case.reference])
    response = client.post(
        url,
        {
            "target": "declined",
            "version": request_case.version,
            "reason": "Er loopt al een rechtszaak.",
        },
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get(purpose="request.declined")
    assert message.to_addresses == [request_case.requester_email]
    assert "Er loopt al een rechtszaak." in message.body_text


@pytest.mark.django_db
def test_the_generic_step_form_cannot_skip_the_declaration(world, client):
    case = case_in_status(
        Status.COORDINATOR_ASSIGNED, coordinator=world.other_coordinator, region=world.west
    )
    client.force_login(world.other_coordinator)
    url = reverse("case_change_status", args=[case.reference])
    response = client.post(url, {"target": "preparation", "version": case.version})
    assert response.status_code == 409
    assert Case.objects.get(pk=case.pk).status == Status.COORDINATOR_ASSIGNED


# --- Matching and assignment ------------------------------------------------------------


@pytest.fixture
def accepted(world):
    case = case_in_status(
        Status.ACCEPTED,
        region=world.west,
        requester_organisation="Woonstichting De Linie",
        coordinator_language="tr",
        coordinator_gender="female",
    )
    financier = Organisation.objects.create(name="Gemeente Amsterdam", kind="gemeente")
    Funding.objects.create(case=case, organisation=financier)
    return case


def profile(
    name,
    *,
    regions=(),
    languages=("nl",),
    gender="",
    training="certified",
    availability="available",
    organisations=(),
    max_cases=3,
):
    made = CoordinatorProfileFactory(
        user__full_name=name,
        languages=list(languages),
        gender=gender,
        training=training,
        availability=availability,
        max_cases=max_cases,
    )
    made.regions.set(regions)
    made.organisations.set(organisations)
    return made


@pytest.mark.django_db
def test_matching_ranks_with_reasons_and_excludes_conflicts(world, client, accepted):
    CoordinatorProfile.objects.all().delete()
    best = profile("Ayse Yilmaz", regions=[world.west], languages=["nl", "tr"], gender="female")
    middle = profile("Kees Dekker", regions=[world.west], gender="male")
    far = profile("Lotte Zuid", regions=[world.zuid], training="in_training")
    full = profile(
        "Vol Bezet", regions=[world.west], languages=["nl", "tr"], gender="female", max_cases=1
    )
    case_in_status(Status.PREPARATION, coordinator=full.user, region=world.west)
    linked = profile(
        "Gerrit Gemeente",
        regions=[world.west],
        organisations=[Organisation.objects.get(name="Gemeente Amsterdam")],
    )
    housing = profile(
        "Wim Woon",
        regions=[world.west],
        organisations=[Organisation.objects.create(name="woonstichting de linie")],
    )
    declared = profile("Dirk Buur", regions=[world.west])
    ConflictOfInterest.objects.create(
        case=accepted, coordinator=declared.user, reason="Woont in de straat"
    )
    away = profile("Anna Afwezig", regions=[world.west], availability="unavailable")

    client.force_login(world.manager)
    response = client.get(reverse("case_match", args=[accepted.reference]))
    assert response.status_code == 200
    ranked = response.context["ranked"]
    names = [c.coordinator.full_name for c in ranked]
    assert names[0] == "Ayse Yilmaz"
    assert names.index("Kees Dekker") < names.index("Lotte Zuid")
    assert names.index("Vol Bezet") > names.index("Kees Dekker")  # full: far down
    reasons = dict(ranked[0].reasons)
    assert reasons["works in region West"] > 0 and reasons["speaks Turkish, as wished"] > 0
    excluded = {e.coordinator.full_name: "; ".join(e.reasons) for e in response.context["excluded"]}
    assert "financier" in excluded["Gerrit Gemeente"]
    assert "requester's organisation" in excluded["Wim Woon"]
    assert "Woont in de straat" in excluded["Dirk Buur"]
    assert "not available" in excluded["Anna Afwezig"]
    assert set(names).isdisjoint(excluded)
    assert best.user.full_name in response.text and "Woont in de straat" in response.text
    del middle, far, linked, housing, away


@pytest.mark.django_db
def test_the_match_page_takes_the_same_queries_at_two_sizes(world, client, accepted):
    client.force_login(world.manager)
    client.get("/")
    url = reverse("case_match", args=[accepted.reference])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for i in range(3):
        profile(f"Klein {i}", regions=[world.west])
    small = count()
    for i in range(15):
        profile(f"Groot {i}", regions=[world.west, world.zuid], languages=["nl", "en"])
    assert count() == small


@pytest.mark.django_db
def test_asking_declining_and_accepting_over_http(world, client, accepted):
    ayse = profile(
        "Ayse Yilmaz", regions=[world.west], languages=["nl", "tr"], gender="female"
    ).user
    client.force_login(world.manager)
    match = reverse("case_match", args=[accepted.reference])
    response = client.post(match, {"coordinator": ayse.pk, "version": accepted.version})
    assert response.status_code == 302
    assignment = Assignment.objects.get(case=accepted, coordinator=ayse)
    assert OutboxMessage.objects.filter(
        purpose="assignment.offered", to_addresses=[ayse.email]
    ).exists()

    # The coordinator sees a summary, not yet the requester.
    client.force_login(ayse)
    detail = client.get(accepted.get_absolute_url())
    assert detail.status_code == 200
    assert accepted.requester_name not in detail.text
    assert "Independence declaration" in detail.text

    accept = reverse("assignment_accept", args=[accepted.reference])
    missing = client.post(accept, {"no_stake": "on", "no_link": "on"})
    assert missing.status_code == 400
    assert Assignment.objects.get(pk=assignment.pk).state == Assignment.State.OFFERED
    assert (
        client.post(accept, {"no_stake": "on", "no_link": "on", "no_say": "on"}).status_code == 302
    )
    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.ACCEPTED
    assert "no say in the content of the plan" in assignment.declaration
    assert Case.objects.get(pk=accepted.pk).status == Status.PREPARATION
    assert accepted.requester_name in client.get(accepted.get_absolute_url()).text
    assert OutboxMessage.objects.filter(
        purpose="assignment.answered", to_addresses=[world.manager.email]
    ).exists()


@pytest.mark.django_db
def test_a_decline_returns_the_case_to_the_managers_inbox(world, client, accepted):
    joost = world.other_coordinator
    CoordinatorProfile.objects.filter(user=joost).update(availability="available")
    client.force_login(world.manager)
    client.post(
        reverse("case_match", args=[accepted.reference]),
        {"coordinator": joost.pk, "version": accepted.version},
    )
    client.force_login(joost)
    decline = reverse("assignment_decline", args=[accepted.reference])
    assert client.post(decline, {"reason": ""}).status_code == 400
    response = client.post(decline, {"reason": "Ik ken de familie", "conflict": "on"})
    assert response.status_code == 302
    assert Case.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    assert client.get(accepted.get_absolute_url()).status_code == 404  # no longer theirs
    client.force_login(world.manager)
    start = client.get(reverse("start"))
    assert accepted.reference in start.text
    excluded = client.get(reverse("case_match", args=[accepted.reference])).context["excluded"]
    assert any(e.coordinator == joost and "Ik ken de familie" in e.reasons[0] for e in excluded)


@pytest.mark.django_db
def test_a_manager_records_a_conflict(world, client, accepted):
    client.force_login(world.manager)
    url = reverse("case_conflict", args=[accepted.reference])
    assert client.post(url, {"coordinator": world.coordinator.pk, "reason": ""}).status_code == 400
    assert (
        client.post(url, {"coordinator": world.coordinator.pk, "reason": "Buurvrouw"}).status_code
        == 302
    )
    assert ConflictOfInterest.objects.get(case=accepted).reason == "Buurvrouw"
    response = client.post(
        reverse("case_match", args=[accepted.reference]),
        {"coordinator": world.coordinator.pk, "version": accepted.version},
    )
    assert response.status_code == 409
    assert "conflict of interest" in response.text
    assert not Assignment.objects.filter(case=accepted).exists()


@pytest.mark.django_db
def test_the_intake_page_takes_the_same_queries_at_two_sizes(world, client, request_case):
    client.force_login(world.manager)
    client.get("/")
    url = reverse("case_intake", args=[request_case.reference])

    def grow(count):
        for i in range(count):
            organisation = Organisation.objects.create(name=f"Financier {count}-{i}")
            Funding.objects.create(case=request_case, organisation=organisation, amount=100 + i)
            BottomLine.objects.create(
                case=request_case, text=f"Voorwaarde {i}", set_by="Jeugdbescherming", mandate="OTS"
            )
            request_case.log(CaseAction.INTAKE_SAVED, user=world.manager)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    grow(1)
    small = count()
    grow(12)
    assert count() == small


# --- Edge cases found in review ---------------------------------------------------------


def _ids(html):
    import re
    from collections import Counter

    return [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]


@pytest.mark.django_db
def test_pages_have_unique_ids_for_a_manager_who_also_coordinates(world, client, request_case):
    both = world.manager
    both.is_coordinator = True
    both.save()
    CoordinatorProfileFactory(user=both)
    case = case_in_status(Status.COORDINATOR_ASSIGNED, coordinator=both, region=world.west)
    client.force_login(both)
    assert _ids(client.get(case.get_absolute_url()).text) == []
    assert _ids(client.get(reverse("case_intake", args=[request_case.reference])).text) == []


@pytest.mark.django_db
def test_odd_version_values_are_a_clear_error_not_a_crash(world, client, request_case):
    line = BottomLine.objects.create(case=request_case, text="x", set_by="y", mandate="z")
    client.force_login(world.manager)
    url = reverse("bottom_line_remove", args=[request_case.reference, line.pk])
    for version in ("²", "9" * 5000, "", "-1"):
        assert client.post(url, {"version": version}).status_code == 400
    assert BottomLine.objects.filter(pk=line.pk).exists()


@pytest.mark.django_db
def test_the_intake_date_lies_between_the_request_and_today(world, client, request_case):
    client.force_login(world.manager)
    url = reverse("case_intake", args=[request_case.reference])
    response = client.post(url, intake_data(request_case, intake_on="2020-01-01"))
    assert response.status_code == 400
    assert "before the request" in response.text


@pytest.mark.django_db
def test_the_intake_is_closed_once_the_preparation_starts(world, client):
    client.force_login(world.manager)
    add = reverse("bottom_line_add", args=[world.case.reference])
    data = {"text": "x", "set_by": "y", "mandate": "z", "version": world.case.version}
    response = client.post(add, data)
    assert response.status_code == 409
    assert "finished" in response.text
    assert not BottomLine.objects.exists()


@pytest.mark.django_db
def test_an_accepted_case_keeps_a_question(world, client):
    case = case_in_status(Status.ACCEPTED, region=world.west)
    ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?")
    client.force_login(world.manager)
    url = reverse("case_intake", args=[case.reference])
    response = client.post(url, intake_data(case, question_1=""))
    assert response.status_code == 409
    assert case.questions.count() == 1
    # The form is offered again on the current version, with what was typed.
    assert f'name="version" value="{Case.objects.get(pk=case.pk).version}"' in response.text


@pytest.mark.django_db
def test_a_financiers_type_follows_the_last_choice(world, client, request_case):
    Organisation.objects.create(name="Stichting Buurtfonds", kind="anders")
    client.force_login(world.manager)
    add = reverse("funding_add", args=[request_case.reference])
    client.post(add, funding_data(financier="Stichting Buurtfonds", kind="gemeente"))
    assert Organisation.objects.get(name="Stichting Buurtfonds").kind == "gemeente"


@pytest.mark.django_db
def test_no_conflict_is_recorded_for_someone_on_the_case(world, client):
    client.force_login(world.manager)
    url = reverse("case_conflict", args=[world.case.reference])
    response = client.post(url, {"coordinator": world.coordinator.pk, "reason": "Buurvrouw"})
    assert response.status_code == 409
    assert not ConflictOfInterest.objects.exists()


@pytest.mark.django_db
def test_the_managers_of_the_receiving_region_are_told(world, client):
    case = case_in_status(Status.REQUESTED, region=world.west)
    client.force_login(world.manager)
    client.post(
        reverse("case_move", args=[case.reference]),
        {"region": world.zuid.pk, "version": case.version},
    )
    (message,) = OutboxMessage.objects.filter(purpose="request.arrived")
    assert message.to_addresses == [world.other_manager.email]
    assert "naar uw inbox verplaatst" in message.subject  # staff mail is in Dutch


@pytest.mark.django_db
def test_an_asked_coordinator_does_not_see_reasons_in_the_history(world, client, accepted):
    client.force_login(world.manager)
    client.post(
        reverse("case_conflict", args=[accepted.reference]),
        {"coordinator": world.other_coordinator.pk, "reason": "Kent de familie Jansen"},
    )
    client.post(reverse("funding_add", args=[accepted.reference]), funding_data())
    asked = profile("Ayse Yilmaz", regions=[world.west]).user
    client.post(
        reverse("case_match", args=[accepted.reference]),
        {"coordinator": asked.pk, "version": Case.objects.get(pk=accepted.pk).version},
    )
    client.force_login(asked)
    page = client.get(accepted.get_absolute_url()).text
    assert "Kent de familie Jansen" not in page
    assert "Gemeente Amsterdam" not in page
