"""The plan editor (issue 5, items 2, 3 and 9): the circle's answers, agreements, requests and
evaluation moments added, edited, reordered and removed, with and without HTMX; the precision
check while typing and on the page; finalising; and no lost updates between two editors."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.audit.models import AccessLog
from kring.cases.models import Case, ConferenceQuestion, Status
from kring.circle.models import Participant
from kring.meetings.models import Meeting
from kring.plans.models import (
    Agreement,
    Answer,
    Delivery,
    Evaluation,
    OrganisationRequest,
    Plan,
    PlanVersion,
)
from tests.factories import case_in_status

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def held(world):
    """World's case after its conference: a question, a meeting yesterday, status HELD."""
    case = world.case
    question = ConferenceQuestion.objects.create(case=case, text="Hoe kan de overlast stoppen?")
    start = timezone.now() - dt.timedelta(days=1)
    Meeting.objects.create(case=case, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    Case.objects.filter(pk=case.pk).update(status=Status.HELD)
    case.refresh_from_db()

    def person(name, willingness="yes"):
        return Participant.objects.create(
            case=case, name=name, category="resident", willingness=willingness
        )

    return SimpleNamespace(
        case=case,
        question=question,
        ayse=person("Ayse Kaya"),
        bram=person("Bram Smit"),
        dirk=person("Dirk Bos", "no"),
        url=reverse("plan", args=[case.reference]),
    )


def add_url(held, kind):
    return reverse("plan_item_add", args=[held.case.reference, kind])


def item_url(held, item, name="plan_item"):
    kind = {Agreement: "agreement", OrganisationRequest: "request", Evaluation: "evaluation"}
    return reverse(name, args=[held.case.reference, kind[type(item)], item.pk])


def good_agreement(held, **changes):
    data = {
        "what": "Bram brengt de kinderen naar school",
        "who": [held.bram.pk],
        "who_organisation": "",
        "where": "Basisschool De Molen",
        "when": "recurring",
        "on": "",
        "until": "",
        "recurrence": "elke maandag- en woensdagochtend",
    }
    data.update(changes)
    return data


def make_agreement(held, what="Ayse kookt op vrijdag", who=(), **fields):
    plan, _created = Plan.objects.get_or_create(case=held.case)
    order = plan.agreements.count() + 1
    agreement = Agreement.objects.create(plan=plan, what=what, order=order, **fields)
    agreement.who.set(who)
    return agreement


def text(response):
    return response.content.decode()


def order_of(plan):
    return list(plan.agreements.order_by("order", "pk").values_list("what", flat=True))


# --- The page --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_looking_shows_the_plan_and_creates_nothing(world, client, held):
    client.force_login(world.coordinator)
    response = client.get(held.url)
    assert response.status_code == 200
    page = text(response)
    assert "Hoe kan de overlast stoppen?" in page
    assert "the content of the plan is theirs" in page
    assert "No agreements yet." in page
    # The plan-level findings of an empty plan.
    assert "Add at least one evaluation moment" in page
    assert "Write down what you will do if something does not work." in page
    assert "Say who watches over the plan." in page
    # Who declined is not offered as someone who does something.
    assert "Ayse Kaya" in page and "Dirk Bos" not in page
    assert reverse("conference", args=[held.case.reference]) in page
    assert reverse("plan_distribution", args=[held.case.reference]) in page
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_the_page_shows_agreements_in_order_with_their_findings(world, client, held):
    make_agreement(
        held,
        what="Bram maait het gras",
        who=[held.bram],
        where="De tuin",
        when="date",
        on=dt.date(2027, 3, 12),
    )
    make_agreement(held, what="We proberen zo snel mogelijk de trap te maken")
    make_agreement(
        held,
        what="Ayse en Bram doen de boodschappen",
        who=[held.ayse, held.bram],
        where="Albert Heijn",
        when="period",
        on=dt.date(2027, 3, 1),
        until=dt.date(2027, 4, 30),
    )
    make_agreement(
        held,
        what="Ayse belt haar moeder",
        who=[held.ayse],
        where="thuis",
        when="recurring",
        recurrence="every Monday evening",
    )
    plan = Plan.objects.get()
    plan.monitors.set([held.ayse])
    client.force_login(world.manager)
    page = text(client.get(held.url))
    positions = [
        page.index(what)
        for what in (
            "Bram maait het gras",
            "We proberen zo snel mogelijk",
            "Ayse en Bram doen de boodschappen",
            "Ayse belt haar moeder",
        )
    ]
    assert positions == sorted(positions)
    assert "on 12 March 2027" in page
    assert "from 1 March 2027 to 30 April 2027" in page
    assert "every Monday evening" in page
    # The second agreement: what is missing (blocking) and what is vague (warnings).
    second = page[page.index("We proberen zo snel") : page.index("Ayse en Bram doen")]
    assert "Missing:" in second and "Say who does it" in second and "Say when" in second
    assert "Warning:" in second and "“proberen” is vague" in second
    assert "“zo snel mogelijk” is vague" in second
    assert "1 agreement lacks what, who or when" in page
    assert "Say who watches over the plan." not in page
    # The view is logged with everyone named: who does something and who watches over it.
    logged = set(
        AccessLog.objects.filter(object_type="plan", action="view").values_list(
            "person_id", flat=True
        )
    )
    assert logged == {str(held.ayse.pk), str(held.bram.pk)}


@pytest.mark.django_db
def test_another_coordinator_gets_a_404(world, client, held):
    case_in_status(Status.HELD, coordinator=world.other_coordinator, region=world.west)
    agreement = make_agreement(held)
    client.force_login(world.other_coordinator)
    assert client.get(held.url).status_code == 404
    assert client.post(add_url(held, "agreement"), good_agreement(held)).status_code == 404
    assert client.get(item_url(held, agreement)).status_code == 404
    assert client.post(reverse("plan_check", args=[held.case.reference]), {}).status_code == 404
    assert Agreement.objects.count() == 1


@pytest.mark.django_db
def test_unknown_kinds_and_items_are_404(world, client, held):
    client.force_login(world.coordinator)
    reference = held.case.reference
    assert client.post(reverse("plan_item_add", args=[reference, "wish"]), {}).status_code == 404
    assert client.get(reverse("plan_item", args=[reference, "agreement", 999])).status_code == 404
    huge = reverse("plan_item", args=[reference, "agreement", 10**30])
    assert client.get(huge).status_code == 404
    other = case_in_status(Status.HELD, coordinator=world.coordinator, region=world.west)
    foreign = Agreement.objects.create(plan=Plan.objects.create(case=other), what="x")
    assert (
        client.get(reverse("plan_item", args=[reference, "agreement", foreign.pk])).status_code
        == 404
    )


# --- Adding, editing, moving, removing ---------------------------------------------------------


@pytest.mark.django_db
def test_adding_an_agreement_without_javascript_redirects(world, client, held):
    client.force_login(world.coordinator)
    response = client.post(add_url(held, "agreement"), good_agreement(held))
    agreement = Agreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{held.url}#agreement-{agreement.pk}"
    assert agreement.what == "Bram brengt de kinderen naar school"
    assert list(agreement.who.all()) == [held.bram]
    assert agreement.when == "recurring" and agreement.recurrence.startswith("elke maandag")
    page = text(client.get(response["Location"]))
    assert "The agreement is added." in page
    assert "elke maandag- en woensdagochtend" in page


@pytest.mark.django_db
def test_adding_an_agreement_with_htmx_returns_the_section(world, client, held):
    client.force_login(world.coordinator)
    response = client.post(add_url(held, "agreement"), good_agreement(held), **HTMX)
    assert response.status_code == 200
    fragment = text(response)
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<section class="kring-fold__body" id="agreements"')
    assert "Bram brengt de kinderen naar school" in fragment
    # The precision check and the versions come along out of band, with a notice.
    assert 'id="findings" aria-labelledby="findings-title" data-hx-swap-oob="true"' in fragment
    assert 'id="finalise" aria-labelledby="finalise-title" data-hx-swap-oob="true"' in fragment
    assert (
        '<div id="editor-status" data-hx-swap-oob="innerHTML">The agreement is added.</div>'
        in fragment
    )
    assert Agreement.objects.count() == 1


@pytest.mark.django_db
def test_requests_and_evaluations_are_added_too(world, client, held):
    client.force_login(world.coordinator)
    response = client.post(
        add_url(held, "request"),
        {
            "organisation": "Woningcorporatie Ymere",
            "request": "Repareert de verlichting in het portiek",
            "reply": "yes",
            "reply_note": "binnen twee weken",
        },
    )
    assert response.status_code == 302
    response = client.post(
        add_url(held, "evaluation"),
        {"on": "2027-05-01", "description": "Iedereen komt weer bij elkaar"},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'id="evaluations"' in text(response)
    page = text(client.get(held.url))
    assert "Woningcorporatie Ymere" in page and "agreed: binnen twee weken" in page
    assert "1 May 2027" in page
    assert "Add at least one evaluation moment" not in page


@pytest.mark.django_db
def test_editing_an_agreement(world, client, held):
    agreement = make_agreement(held, who=[held.ayse])
    client.force_login(world.coordinator)
    url = item_url(held, agreement)
    page = text(client.get(url))
    assert "<html" in page and "Ayse kookt op vrijdag" in page
    assert f'name="version" value="{agreement.version}"' in page
    assert AccessLog.objects.filter(
        object_type="plan", action="view", person_id=str(held.ayse.pk)
    ).exists()
    inline = text(client.get(url, **HTMX))
    assert "<html" not in inline
    assert inline.lstrip().startswith(f'<li id="agreement-{agreement.pk}"')
    assert re.search(rf'<textarea [^>]*autofocus[^>]*id="agreement-{agreement.pk}_what"', inline)
    data = good_agreement(held, what="Ayse kookt op vrijdag en zaterdag", version=1)
    data.update(when="date", on="2027-03-12", recurrence="")
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#agreement-{agreement.pk}")
    agreement.refresh_from_db()
    assert agreement.what == "Ayse kookt op vrijdag en zaterdag"
    assert agreement.on == dt.date(2027, 3, 12) and agreement.version == 2
    assert list(agreement.who.all()) == [held.bram]
    # With HTMX: the section comes back.
    data.update(what="Ayse kookt elke vrijdag", version=2)
    response = client.post(url, data, **HTMX)
    assert response.status_code == 200 and 'id="agreements"' in text(response)
    assert "Ayse kookt elke vrijdag" in text(response)


@pytest.mark.django_db
def test_moving_changes_the_order(world, client, held):
    first, second, third = (make_agreement(held, what=w) for w in ("een", "twee", "drie"))
    plan = Plan.objects.get()
    client.force_login(world.coordinator)
    response = client.post(item_url(held, third, "plan_item_move"), {"direction": "up"})
    assert response.status_code == 302 and response["Location"].endswith(f"#agreement-{third.pk}")
    assert order_of(plan) == ["een", "drie", "twee"]
    response = client.post(item_url(held, first, "plan_item_move"), {"direction": "down"}, **HTMX)
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.index("drie") < fragment.index("een") < fragment.index("twee")
    # The moved agreement keeps the focus on the button that moved it.
    start = fragment.index(f'<li id="agreement-{first.pk}"')
    row = fragment[start : fragment.index('<li id="agreement-', start + 1)]
    assert re.search(r'value="down"><button [^>]*autofocus>Move down', row)
    assert order_of(plan) == ["drie", "een", "twee"]
    # Moving the first up changes nothing; a bad direction is a 400.
    client.post(item_url(held, third, "plan_item_move"), {"direction": "up"})
    assert order_of(plan) == ["drie", "een", "twee"]
    response = client.post(item_url(held, third, "plan_item_move"), {"direction": "sideways"})
    assert response.status_code == 400
    assert order_of(plan) == ["drie", "een", "twee"]
    assert second.pk in plan.agreements.values_list("pk", flat=True)


@pytest.mark.django_db
def test_removing(world, client, held):
    keep, gone = make_agreement(held, what="blijft"), make_agreement(held, what="weg")
    client.force_login(world.coordinator)
    response = client.post(item_url(held, gone, "plan_item_remove"), {"version": 1})
    assert response.status_code == 302 and response["Location"].endswith("#agreements")
    assert list(Agreement.objects.values_list("pk", flat=True)) == [keep.pk]
    # A stale version (someone changed it meanwhile) is refused.
    Agreement.objects.filter(pk=keep.pk).update(version=5)
    response = client.post(item_url(held, keep, "plan_item_remove"), {"version": 1})
    assert response.status_code == 409
    assert "Someone else changed this in the meantime. Look at it again" in text(response)
    assert Agreement.objects.filter(pk=keep.pk).exists()
    response = client.post(item_url(held, keep, "plan_item_remove"), {"version": 5}, **HTMX)
    assert response.status_code == 200 and "No agreements yet." in text(response)
    assert not Agreement.objects.exists()


# --- Validation ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"when": "date", "on": "31-02-2027"}, "Enter a valid date."),
        ({"when": "date", "on": "2027-02-31"}, "Enter a valid date."),
        (
            {"when": "period", "on": "2027-04-01", "until": "2027-03-01"},
            "The end of the period lies before its start.",
        ),
        ({"who": ["999999"]}, "Choose people from this case&#x27;s circle."),
        ({"who": ["99999999999999999999999"]}, "Choose people from this case&#x27;s circle."),
        ({"who": ["Ayse"]}, "Choose people from this case&#x27;s circle."),
        ({"what": ""}, "This field is required."),
        ({"what": "x" * 1001}, "at most 1000 characters"),
        ({"where": "x" * 201}, "at most 200 characters"),
        ({"when": "someday"}, "Select a valid choice."),
    ],
)
def test_invalid_agreements_are_refused_with_the_input_kept(world, client, held, changes, message):
    client.force_login(world.coordinator)
    data = good_agreement(held, **changes)
    response = client.post(add_url(held, "agreement"), data)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Please correct" in page
    if data["what"] and len(data["what"]) <= 1000:
        assert data["what"] in page
    assert not Agreement.objects.exists()


@pytest.mark.django_db
def test_a_declined_participant_cannot_be_named(world, client, held):
    client.force_login(world.coordinator)
    response = client.post(add_url(held, "agreement"), good_agreement(held, who=[held.dirk.pk]))
    assert response.status_code == 400
    assert not Agreement.objects.exists()
    other = case_in_status(Status.HELD, coordinator=world.coordinator, region=world.west)
    stranger = Participant.objects.create(case=other, name="Vreemde", category="resident")
    response = client.post(add_url(held, "agreement"), good_agreement(held, who=[stranger.pk]))
    assert response.status_code == 400
    assert not Agreement.objects.exists()


@pytest.mark.django_db
def test_invalid_requests_evaluations_and_edits_change_nothing(world, client, held):
    client.force_login(world.coordinator)
    response = client.post(add_url(held, "request"), {"organisation": "", "request": "Hulp"})
    assert response.status_code == 400 and "This field is required." in text(response)
    assert "\nHulp</textarea>" in text(response)
    response = client.post(add_url(held, "evaluation"), {"on": "morgen", "description": "samen"})
    assert response.status_code == 400 and "Enter a valid date." in text(response)
    assert 'value="samen"' in text(response)
    assert not OrganisationRequest.objects.exists() and not Evaluation.objects.exists()
    agreement = make_agreement(held)
    data = good_agreement(held, when="period", on="2027-04-01", until="2027-03-01", version=1)
    response = client.post(item_url(held, agreement), data)
    assert response.status_code == 400
    assert "The end of the period lies before its start." in text(response)
    assert "Bram brengt de kinderen naar school" in text(response)
    response = client.post(item_url(held, agreement), good_agreement(held))  # no version
    assert response.status_code == 400
    agreement.refresh_from_db()
    assert agreement.what == "Ayse kookt op vrijdag" and agreement.version == 1
    # With HTMX the refusal comes back inline, in the row, with the input.
    response = client.post(item_url(held, agreement), data, **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#agreement-{agreement.pk}"
    assert "The end of the period lies before its start." in text(response)


@pytest.mark.django_db
def test_the_plan_text_is_saved_and_checked(world, client, held):
    client.force_login(world.coordinator)
    answer = f"answer_{held.question.pk}"
    response = client.post(
        held.url,
        {
            answer: "De buren spreken elke maand af",
            "monitors": [held.ayse.pk],
            "monitor_note": "belt iedereen elke maand",
            "contingency": "Dan bellen we de wijkagent",
            "version": 1,
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#plan-text")
    plan = Plan.objects.get()
    assert list(plan.monitors.all()) == [held.ayse]
    assert plan.contingency == "Dan bellen we de wijkagent" and plan.version == 2
    assert Answer.objects.get().text == "De buren spreken elke maand af"
    response = client.post(
        held.url,
        {answer: "x" * 3001, "monitors": [held.dirk.pk], "contingency": "anders", "version": 2},
    )
    assert response.status_code == 400
    assert "at most 3000 characters" in text(response)
    assert "Choose people from this case&#x27;s circle." in text(response)
    plan.refresh_from_db()
    assert plan.version == 2 and plan.contingency == "Dan bellen we de wijkagent"


# --- The check while typing -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_check_while_typing_warns_on_vague_words_and_missing_who(world, client, held):
    client.force_login(world.coordinator)
    url = reverse("plan_check", args=[held.case.reference])
    response = client.post(
        url, {"what": "We proberen zo snel mogelijk de trap te repareren", "when": ""}, **HTMX
    )
    assert response.status_code == 200
    fragment = text(response)
    assert "<html" not in fragment
    assert "“proberen” is vague" in fragment
    assert "“zo snel mogelijk” is vague" in fragment
    assert "Missing:" in fragment and "Say who does it" in fragment
    assert "Say when" in fragment
    response = client.post(
        url,
        {
            "what": "Bram repareert de trap",
            "who": [str(held.bram.pk)],
            "where": "Molenstraat 3",
            "when": "date",
            "on": "2027-03-12",
        },
        **HTMX,
    )
    assert "What, who, where and when are clear." in text(response)
    # Nonsense is read as not filled in: never an error.
    response = client.post(url, {"who": ["x", "99999999999999999999999"], "on": "gisteren"})
    assert response.status_code == 200 and "Say who does it" in text(response)
    assert not Plan.objects.exists()


# --- No lost updates ---------------------------------------------------------------------------


def editor(user):
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(user)
    return other


def hidden_version(page):
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found is not None
    return int(found.group(1))


@pytest.mark.django_db
def test_two_people_editing_one_agreement_lose_nothing(world, held):
    agreement = make_agreement(held, who=[held.ayse])
    url = item_url(held, agreement)
    coordinator, manager = editor(world.coordinator), editor(world.manager)
    seen_by_coordinator = hidden_version(text(coordinator.get(url)))
    seen_by_manager = hidden_version(text(manager.get(url)))
    assert seen_by_coordinator == seen_by_manager == 1

    first = good_agreement(held, what="Ayse kookt op vrijdag voor vier", version=1)
    assert coordinator.post(url, first).status_code == 302
    second = good_agreement(held, what="Ayse kookt op zaterdag", version=1)
    response = manager.post(url, second)
    assert response.status_code == 409
    page = text(response)
    assert "Someone else changed this in the meantime" in page
    # Their own text is in the form; the saved text is shown next to it.
    assert "\nAyse kookt op zaterdag</textarea>" in page
    assert "Saved in the meantime by someone else" in page
    assert "Ayse kookt op vrijdag voor vier" in page
    assert hidden_version(page) == 2
    agreement.refresh_from_db()
    assert agreement.what == "Ayse kookt op vrijdag voor vier" and agreement.version == 2
    # Having merged, they save on the version they now saw.
    merged = good_agreement(held, what="Ayse kookt op vrijdag en zaterdag voor vier", version=2)
    assert manager.post(url, merged).status_code == 302
    agreement.refresh_from_db()
    assert agreement.what == "Ayse kookt op vrijdag en zaterdag voor vier"


@pytest.mark.django_db
def test_a_conflict_with_htmx_stays_in_the_row(world, held):
    agreement = make_agreement(held)
    url = item_url(held, agreement)
    coordinator, manager = editor(world.coordinator), editor(world.manager)
    coordinator.post(url, good_agreement(held, what="Eerste versie", version=1))
    response = manager.post(url, good_agreement(held, what="Tweede versie", version=1), **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#agreement-{agreement.pk}"
    fragment = text(response)
    assert "Someone else changed this" in fragment
    assert "\nTweede versie</textarea>" in fragment and "Eerste versie" in fragment
    assert Agreement.objects.get().what == "Eerste versie"


@pytest.mark.django_db
def test_an_agreement_removed_meanwhile_keeps_the_editors_text(world, held):
    agreement = make_agreement(held)
    url = item_url(held, agreement)
    coordinator, manager = editor(world.coordinator), editor(world.manager)
    manager.get(url)
    # The coordinator removes it while the manager edits: the manager's save cannot land.
    Agreement.objects.filter(pk=agreement.pk).update(version=2)
    assert (
        coordinator.post(item_url(held, agreement, "plan_item_remove"), {"version": 2}).status_code
        == 302
    )
    response = manager.post(url, good_agreement(held, what="Nog steeds nodig", version=1))
    assert response.status_code == 404  # the item no longer exists
    assert not Agreement.objects.exists()


@pytest.mark.django_db
def test_removed_during_the_save_the_text_is_offered_to_add_again(world, client, held, monkeypatch):
    from kring.cases.lifecycle import CaseError
    from kring.plans import services

    agreement = make_agreement(held)

    def removed_meanwhile(item, data, **kwargs):
        Agreement.objects.filter(pk=item.pk).delete()
        raise CaseError(services.STALE_ITEM)

    monkeypatch.setattr(services, "update_item", removed_meanwhile)
    client.force_login(world.coordinator)
    data = good_agreement(held, what="Nog steeds nodig", version=1)
    response = client.post(item_url(held, agreement), data)
    assert response.status_code == 409
    page = text(response)
    assert "Someone else removed this in the meantime" in page
    add_form = page[page.index('id="new-agreement"') :]
    assert "\nNog steeds nodig</textarea>" in add_form
    assert not Agreement.objects.exists()


@pytest.mark.django_db
def test_two_people_editing_the_plan_text_lose_nothing(world, held):
    coordinator, manager = editor(world.coordinator), editor(world.manager)
    answer = f"answer_{held.question.pk}"
    assert hidden_version(text(coordinator.get(held.url))) == 1
    assert hidden_version(text(manager.get(held.url))) == 1
    response = coordinator.post(
        held.url, {answer: "Elke maand overleg", "contingency": "Wijkagent bellen", "version": 1}
    )
    assert response.status_code == 302
    response = manager.post(
        held.url,
        {answer: "Om de week overleg", "contingency": "Buurtbemiddeling", "version": 1},
    )
    assert response.status_code == 409
    page = text(response)
    assert "Someone else changed the plan in the meantime" in page
    assert "\nOm de week overleg</textarea>" in page and "\nBuurtbemiddeling</textarea>" in page
    assert "Saved in the meantime by someone else" in page
    assert "Elke maand overleg" in page and "Wijkagent bellen" in page
    plan = Plan.objects.get()
    assert plan.contingency == "Wijkagent bellen" and plan.version == 2
    assert Answer.objects.get().text == "Elke maand overleg"
    assert 'name="version" value="2"' in page


# --- Finalising --------------------------------------------------------------------------------


def hidden_finalise_version(held, page):
    """The plan version in the finalise form, as the user saw it."""
    return hidden_version(page[page.index(reverse("plan_finalise", args=[held.case.reference])) :])


def finalise(client, held, version):
    """Finalise, confirmed (the confirmation page itself is pinned below)."""
    return client.post(
        reverse("plan_finalise", args=[held.case.reference]),
        {"version": version, "confirmed": "yes"},
    )


@pytest.mark.django_db
def test_finalising_is_refused_while_an_agreement_lacks_when(world, client, held):
    agreement = make_agreement(held, who=[held.ayse], where="thuis")
    client.force_login(world.coordinator)
    page = text(client.get(held.url))
    assert "Finalise the plan" in page
    assert "Finalising is refused while an agreement lacks what, who or when" in page
    response = finalise(client, held, 1)
    assert response.status_code == 409
    page = text(response)
    assert "The plan cannot be finalised yet" in page
    assert f'href="#agreement-{agreement.pk}">Agreement 1</a>' in page
    assert "Say when: a date, a period, or how often." in page
    assert not PlanVersion.objects.exists()
    response = finalise(client, held, 7)
    assert response.status_code == 409
    assert "Someone else changed the plan in the meantime. Look at it again" in text(response)

    data = good_agreement(held, who=[held.ayse.pk], when="date", on="2027-03-12", version=1)
    assert client.post(item_url(held, agreement), data).status_code == 302
    response = finalise(client, held, Plan.objects.get().version)
    assert response.status_code == 302
    assert response["Location"] == reverse("plan_distribution", args=[held.case.reference])
    version = PlanVersion.objects.get()
    assert version.number == 1
    assert version.content["agreements"][0]["on"] == "2027-03-12"
    page = text(client.get(held.url))
    assert "Version 1 of the plan is finalised." in page
    assert reverse("plan_pdf", args=[held.case.reference, 1]) in page
    assert "Nothing changed since version 1." in page


@pytest.mark.django_db
def test_a_change_after_delivery_makes_version_two_and_keeps_one(world, client, held):
    agreement = make_agreement(
        held, who=[held.ayse], where="thuis", when="date", on=dt.date(2027, 3, 12)
    )
    client.force_login(world.coordinator)
    assert finalise(client, held, 1).status_code == 302
    first = PlanVersion.objects.get()
    Delivery.objects.create(
        version=first, participant=held.ayse, channel="letter", printed_at=timezone.now()
    )
    data = good_agreement(held, what="Ayse kookt op zaterdag", who=[held.ayse.pk], version=1)
    assert client.post(item_url(held, agreement), data).status_code == 302
    page = text(client.get(held.url))
    assert "Finalise version 2" in page
    assert "version 1 stays as it was" in page
    assert finalise(client, held, hidden_finalise_version(held, page)).status_code == 302
    assert list(PlanVersion.objects.order_by("number").values_list("number", flat=True)) == [1, 2]
    first.refresh_from_db()
    assert first.content["agreements"][0]["what"] == "Ayse kookt op vrijdag"
    assert PlanVersion.objects.get(number=2).content["agreements"][0]["what"] == (
        "Ayse kookt op zaterdag"
    )


@pytest.mark.django_db
def test_before_anyone_received_it_a_change_replaces_the_version(world, client, held):
    agreement = make_agreement(
        held, who=[held.ayse], where="thuis", when="date", on=dt.date(2027, 3, 12)
    )
    client.force_login(world.coordinator)
    assert finalise(client, held, 1).status_code == 302
    data = good_agreement(held, what="Ayse kookt op zaterdag", who=[held.ayse.pk], version=1)
    client.post(item_url(held, agreement), data)
    page = text(client.get(held.url))
    assert "Nobody has received version 1 yet, so finalising replaces it." in page
    assert "Finalise version 1" in page
    assert finalise(client, held, hidden_finalise_version(held, page)).status_code == 302
    assert PlanVersion.objects.get().content["agreements"][0]["what"] == "Ayse kookt op zaterdag"


@pytest.mark.django_db
def test_before_the_conference_the_plan_is_read_only(world, client):
    client.force_login(world.coordinator)
    url = reverse("plan", args=[world.case.reference])
    page = text(client.get(url))
    assert "The plan can be written from the day of the meeting until the handover." in page
    assert "Add an agreement" not in page and "Finalise the plan" not in page
    response = client.post(
        reverse("plan_item_add", args=[world.case.reference, "agreement"]),
        {"what": "Iets", "when": ""},
    )
    assert response.status_code == 409
    assert "The plan can be written from the day of the meeting" in text(response)
    response = client.post(url, {"contingency": "Bellen", "version": 1})
    assert response.status_code == 409
    assert "The plan can be written from the day of the meeting" in text(response)
    assert "Saved in the meantime" not in text(response)
    assert "\nBellen</textarea>" in text(response)
    # A refused change leaves no empty plan behind.
    assert not Plan.objects.exists()


# --- Queries ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_editor_takes_the_same_queries_at_5_and_50_agreements(world, client, held):
    client.force_login(world.coordinator)
    client.get("/")
    people = [held.ayse, held.bram] + [
        Participant.objects.create(case=held.case, name=f"P{i}", category="resident")
        for i in range(4)
    ]
    plan = Plan.objects.create(case=held.case, contingency="Bellen")
    plan.monitors.set(people[:2])
    Evaluation.objects.create(plan=plan, on=dt.date(2027, 5, 1))
    OrganisationRequest.objects.create(plan=plan, organisation="Ymere", request="Licht")

    def grow(count):
        for _ in range(count):
            n = plan.agreements.count()
            make_agreement(
                held,
                what=f"Afspraak {n}",
                who=[people[n % 6], people[(n + 1) % 6]],
                where="thuis",
                when="date",
                on=dt.date(2027, 3, 12),
            )

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(held.url).status_code == 200
        return len(queries)

    grow(5)
    small = measure()
    grow(45)
    assert Agreement.objects.count() == 50
    assert all(a.who.count() == 2 for a in Agreement.objects.all())
    large = measure()
    print(f"plan editor queries: {small} at 5 agreements, {large} at 50")
    assert large == small


@pytest.mark.django_db
def test_finalising_first_asks_for_confirmation_and_says_what_happens(world, client, held):
    make_agreement(held, who=[held.ayse], where="thuis", when="date", on=dt.date(2027, 3, 12))
    client.force_login(world.coordinator)
    url = reverse("plan_finalise", args=[held.case.reference])
    asked = client.post(url, {"version": 1})
    assert asked.status_code == 200
    page = text(asked)
    assert "Finalise the plan?" in page
    assert "makes from it the document everyone receives" in page
    assert "This cannot be undone." in page
    assert 'name="confirmed" value="yes"' in asked.text and 'name="version" value="1"' in asked.text
    assert not PlanVersion.objects.exists()
    assert client.post(url, {"version": 1, "confirmed": "yes"}).status_code == 302
    assert PlanVersion.objects.count() == 1
