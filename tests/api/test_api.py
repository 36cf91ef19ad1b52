"""The public API over HTTP: each scope's happy path and refusals, problem documents, the
idempotency key (also under two submissions at once), the dataset's pages against the CSV
export, and the financier's figures."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kring.accounts.models import Organisation
from kring.api.models import ApiClient, ApiSubmission, hash_secret
from kring.audit.models import AccessLog
from kring.cases.models import Case, CaseEvent, Funding, Status
from kring.messaging.models import OutboxMessage
from kring.research import exports
from kring.research.dataset import CASES, RESPONDENTS
from tests.api.support import make_client, request_body
from tests.factories import case_in_status

pytestmark = pytest.mark.django_db

API = "/api/v1"


def post(client, path, body, headers=None):
    return client.post(f"{API}{path}", body, content_type="application/json", headers=headers or {})


def get(client, path, headers=None, **params):
    return client.get(f"{API}{path}", params, headers=headers or {})


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


# --- The framework ----------------------------------------------------------------------


def test_the_openapi_document_is_public_at_a_fixed_address(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["version"] == "1.0.0"
    assert response["API-Version"] == "1.0.0"


def test_the_documentation_page_uses_kring_s_own_static_files(client):
    from django.contrib.staticfiles import finders

    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui-init.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert finders.find("ninja/swagger-ui-bundle.js") is not None
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp


def test_an_unknown_path_and_a_wrong_method_are_problem_documents(client):
    missing = assert_problem(client.get(f"{API}/bestaat-niet"), 404)
    assert missing["instance"] == f"{API}/bestaat-niet"
    wrong = client.delete(f"{API}/regios")
    assert_problem(wrong, 405)
    assert wrong["API-Version"] == "1.0.0"


def test_the_problem_title_is_translated(client):
    english = client.get(f"{API}/postcodes/12", headers={"Accept-Language": "en"})
    dutch = client.get(f"{API}/postcodes/12", headers={"Accept-Language": "nl"})
    assert assert_problem(english, 400)["title"] == "The request is not valid"
    assert assert_problem(dutch, 400)["title"] == "Het verzoek is niet geldig"


# --- Public -----------------------------------------------------------------------------


def test_regions_municipalities_and_postcodes_need_no_client(world, client):
    regions = get(client, "/regios").json()
    assert [r["code"] for r in regions] == ["west", "zuid"]
    assert set(regions[0]) == {"code", "naam", "telefoon", "email"}
    municipalities = get(client, "/gemeenten").json()
    assert {"naam": "Amsterdam", "regio": "west"} in municipalities
    found = get(client, "/postcodes/1053ab").json()
    assert found["postcode"] == "1053 AB" and found["regio"]["code"] == "west"
    nowhere = get(client, "/postcodes/9999ZZ").json()
    assert nowhere == {"postcode": "9999 ZZ", "regio": None}
    body = assert_problem(get(client, "/postcodes/10AB"), 400)
    assert body["invalidParams"][0]["name"] == "postcode"


# --- Authentication ---------------------------------------------------------------------


def test_a_call_without_a_valid_secret_is_refused(world, client):
    assert_problem(get(client, "/datasets"), 401)
    wrong = {"Authorization": "Bearer kring_not-a-real-secret"}
    response = get(client, "/datasets", headers=wrong)
    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_or_expired_client_is_refused(world, client):
    caller = make_client(world.administrator, "research")
    assert get(client, "/datasets", headers=caller.headers).status_code == 200
    ApiClient.objects.filter(pk=caller.client.pk).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert_problem(get(client, "/datasets", headers=caller.headers), 401)
    ApiClient.objects.filter(pk=caller.client.pk).update(
        expires_on=timezone.localdate(), revoked_at=timezone.now()
    )
    assert_problem(get(client, "/datasets", headers=caller.headers), 401)


def test_the_secret_is_stored_only_as_a_hash(world):
    caller = make_client(world.administrator, "research")
    stored = ApiClient.objects.get(pk=caller.client.pk)
    assert caller.secret not in str(list(ApiClient.objects.values_list()))
    assert stored.secret_hash == hash_secret(caller.secret)


def test_a_client_without_the_scope_gets_403(world, client):
    caller = make_client(world.administrator, "submit")
    body = assert_problem(get(client, "/datasets", headers=caller.headers), 403)
    assert "onderzoek" in body["detail"]


def test_the_rate_limit_counts_per_client(world, client, settings):
    settings.KRING_API_LIMIT_PER_MINUTE = 2
    one = make_client(world.administrator, "research")
    other = make_client(world.administrator, "research", organisation=None)
    for _ in range(2):
        assert get(client, "/datasets", headers=one.headers).status_code == 200
    limited = get(client, "/datasets", headers=one.headers)
    assert_problem(limited, 429)
    assert limited["Retry-After"] == "60"
    assert get(client, "/datasets", headers=other.headers).status_code == 200


def test_last_use_is_recorded(world, client):
    caller = make_client(world.administrator, "research")
    assert caller.client.last_used_at is None
    get(client, "/datasets", headers=caller.headers)
    caller.client.refresh_from_db()
    assert caller.client.last_used_at is not None


# --- aanvragen:indienen -----------------------------------------------------------------


def test_a_submission_is_routed_confirmed_and_followable(world, client):
    caller = make_client(world.administrator, "submit")
    response = post(client, "/aanvragen", request_body(), caller.headers)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert set(answer) == {"referentie", "fase", "faseNaam", "ingediendOp", "faseSinds"}
    assert answer["fase"] == "requested" and answer["ingediendOp"].endswith("Z")
    case = Case.objects.get(reference=answer["referentie"])
    assert case.region == world.west and case.postcode == "1053 AB"
    assert case.channel == "online" and case.consent_at is not None
    assert ApiSubmission.objects.get(case=case).client == caller.client
    actions = set(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == {"case.requested", "case.submitted_by_api"}
    confirmations = [
        m for m in OutboxMessage.objects.all() if "sanne@voorbeeld.test" in str(m.to_addresses)
    ]
    assert len(confirmations) == 1
    logged = AccessLog.objects.filter(case_reference=case.reference).get()
    assert logged.role == f"api:{caller.client.pk}" and logged.person_type == "requester"


def test_bad_input_is_a_problem_and_changes_nothing(world, client):
    caller = make_client(world.administrator, "submit")
    before = (Case.objects.count(), OutboxMessage.objects.count())
    bad_postcode = post(client, "/aanvragen", request_body(postcode="ABCD12"), caller.headers)
    names = [p["name"] for p in assert_problem(bad_postcode, 400)["invalidParams"]]
    assert names == ["postcode"]
    no_contact = post(
        client, "/aanvragen", request_body(requesterEmail="", requesterPhone=""), caller.headers
    )
    assert [p["name"] for p in assert_problem(no_contact, 400)["invalidParams"]] == [
        "requesterEmail"
    ]
    no_consent = post(client, "/aanvragen", request_body(consent=False), caller.headers)
    assert assert_problem(no_consent, 400)["invalidParams"][0]["name"] == "consent"
    wrong_type = post(client, "/aanvragen", request_body(variant="iets"), caller.headers)
    assert assert_problem(wrong_type, 400)["invalidParams"][0]["name"] == "variant"
    not_json = client.post(
        f"{API}/aanvragen", "{", content_type="application/json", headers=caller.headers
    )
    assert_problem(not_json, 400)
    assert (Case.objects.count(), OutboxMessage.objects.count()) == before


def test_a_retry_with_the_same_idempotency_key_returns_the_first_result(world, client):
    caller = make_client(world.administrator, "submit")
    headers = {**caller.headers, "Idempotency-Key": "aanvraag-42"}
    first = post(client, "/aanvragen", request_body(), headers)
    again = post(client, "/aanvragen", request_body(), headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Case.objects.filter(requester_name="Sanne de Boer").count() == 1
    other_body = post(client, "/aanvragen", request_body(description="Iets anders"), headers)
    assert_problem(other_body, 422)
    # Without a key every submission is a new one; another client's key is its own.
    post(client, "/aanvragen", request_body(), caller.headers)
    assert Case.objects.filter(requester_name="Sanne de Boer").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_with_one_key_make_one_case(world):
    caller = make_client(world.administrator, "submit")
    headers = {**caller.headers, "Idempotency-Key": "tegelijk-1"}
    barrier = threading.Barrier(2)
    answers: list = []
    errors: list = []

    def submit() -> None:
        try:
            barrier.wait()
            answers.append(post(Client(), "/aanvragen", request_body(), headers))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["referentie"] == answers[1].json()["referentie"]
    assert Case.objects.filter(requester_name="Sanne de Boer").count() == 1
    assert ApiSubmission.objects.count() == 1


# --- aanvragen:volgen -------------------------------------------------------------------


def test_a_follow_client_sees_the_phase_of_its_own_submissions_only(world, client):
    organisation = Organisation.objects.create(name="Buurtteam Oost")
    submitter = make_client(world.administrator, "submit", organisation=organisation)
    follower = make_client(world.administrator, "follow", organisation=organisation)
    reference = post(client, "/aanvragen", request_body(), submitter.headers).json()["referentie"]
    # The submitting client is the follower's sibling: tie the submission to the follower.
    ApiSubmission.objects.filter(case__reference=reference).update(client=follower.client)
    case = Case.objects.get(reference=reference)
    Case.objects.filter(pk=case.pk).update(status=Status.INTAKE)
    seen = get(client, f"/aanvragen/{reference}", follower.headers)
    assert seen.status_code == 200
    assert seen.json()["fase"] == "intake"
    assert "description" not in seen.json() and "requesterName" not in seen.json()
    # Someone else's case, an existing case not submitted through the API, nothing: all 404.
    other = make_client(world.administrator, "follow")
    assert_problem(get(client, f"/aanvragen/{reference}", other.headers), 404)
    assert_problem(get(client, f"/aanvragen/{world.case.reference}", follower.headers), 404)
    assert_problem(get(client, "/aanvragen/EK-0000-000", follower.headers), 404)
    assert AccessLog.objects.filter(case_reference=reference, role=f"api:{follower.client.pk}")


# --- onderzoek --------------------------------------------------------------------------


def _cases(world, count):
    for number in range(count):
        case_in_status(
            [Status.REQUESTED, Status.INTAKE, Status.PREPARATION][number % 3],
            region=world.west if number % 2 else world.zuid,
        )


def _all_pages(client, caller, code, size, **params):
    rows, cursor, pages = [], "", 0
    while True:
        query = {"aantal": size, **params, **({"cursor": cursor} if cursor else {})}
        page = get(client, f"/datasets/{code}/rijen", caller.headers, **query)
        assert page.status_code == 200, page.content
        body = page.json()
        rows += body["rijen"]
        pages += 1
        if body["volgende"] is None:
            return body["kolommen"], rows, pages
        cursor = body["volgende"]


def test_the_dataset_pages_are_the_csv_export_row_for_row(world, client):
    _cases(world, 7)
    caller = make_client(world.administrator, "research")
    columns, rows, pages = _all_pages(client, caller, "zaken", 3)
    assert pages == 3 and len(rows) == Case.objects.count() == 8
    assert columns == [column.name for column in CASES.columns]
    exported = b"".join(exports.csv_pieces(CASES.columns, CASES.rows(Case.objects.all())))
    lines = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert lines[0] == columns
    assert [[exports.csv_cell(cell) for cell in row] for row in rows] == lines[1:]
    # The period filters both alike.
    today = timezone.localdate().isoformat()
    _c, rows_today, _p = _all_pages(client, caller, "zaken", 5, van=today, tot=today)
    assert len(rows_today) == 8
    assert AccessLog.objects.filter(object_type="dataset", role=f"api:{caller.client.pk}").exists()


def test_the_respondents_dataset_pages_match_too(world, client):
    caller = make_client(world.administrator, "research")
    _columns, rows, _pages = _all_pages(client, caller, "antwoorden", 1)
    assert rows == [list(row) for row in RESPONDENTS.rows(Case.objects.all())]


def test_a_region_bound_research_client_sees_its_region_only(world, client):
    _cases(world, 4)
    caller = make_client(world.administrator, "research", region=world.zuid)
    _columns, rows, _pages = _all_pages(client, caller, "zaken", 10)
    assert {row[2] for row in rows} == {"Zuid"}
    assert len(rows) == Case.objects.filter(region=world.zuid).count()


def _page_queries(client, caller, size):
    get(client, "/datasets/zaken/rijen", caller.headers, aantal=size)  # study IDs made once
    with CaptureQueriesContext(connection) as queries:
        response = get(client, "/datasets/zaken/rijen", caller.headers, aantal=size)
    assert len(response.json()["rijen"]) == size
    return len(queries)


def test_a_dataset_page_takes_the_same_queries_at_any_size(world, client):
    caller = make_client(world.administrator, "research")
    _cases(world, 3)
    small = _page_queries(client, caller, 4)
    _cases(world, 36)
    large = _page_queries(client, caller, 40)
    assert small == large


def test_the_data_dictionary_and_bad_cursors(world, client):
    caller = make_client(world.administrator, "research")
    listed = get(client, "/datasets", caller.headers).json()
    assert [d["code"] for d in listed] == ["zaken", "antwoorden"]
    columns = get(client, "/datasets/zaken/kolommen", caller.headers).json()
    assert [c["naam"] for c in columns] == [c.name for c in CASES.columns]
    assert_problem(get(client, "/datasets/namen/kolommen", caller.headers), 404)
    assert_problem(get(client, "/datasets/zaken/rijen", caller.headers, cursor="abc"), 400)
    other = get(client, "/datasets/antwoorden/rijen", caller.headers, aantal=1)
    assert other.status_code == 200
    _cases(world, 3)
    cursor = get(client, "/datasets/zaken/rijen", caller.headers, aantal=1).json()["volgende"]
    assert cursor and b"zaken" not in base64.urlsafe_b64decode(cursor)
    assert_problem(get(client, "/datasets/antwoorden/rijen", caller.headers, cursor=cursor), 400)
    backwards = get(
        client, "/datasets/zaken/rijen", caller.headers, van="2026-05-01", tot="2026-01-01"
    )
    assert_problem(backwards, 400)
    assert_problem(get(client, "/datasets/zaken/rijen", caller.headers, aantal=0), 400)


# --- financier --------------------------------------------------------------------------


def test_a_financier_sees_its_own_figures_with_small_numbers_suppressed(world, client):
    ours = Organisation.objects.create(name="Gemeente Amsterdam", kind="gemeente")
    theirs = Organisation.objects.create(name="Gemeente Eindhoven", kind="gemeente")
    Funding.objects.create(case=world.case, organisation=ours, decision="approved", amount=1500)
    other_case = case_in_status(Status.PREPARATION, region=world.zuid)
    Funding.objects.create(case=other_case, organisation=theirs, decision="approved", amount=900)
    caller = make_client(world.administrator, "financier", organisation=ours)
    response = get(client, "/rapportages", caller.headers)
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["financier"] == "Gemeente Amsterdam"
    first = report["trechter"][0]
    assert (first["code"], first["aantal"], first["aandeel"]) == ("requested", 1, 100)
    assert report["toegekendBedrag"] in ("1500.00", 1500, "1500")
    assert report["toegekendeFinancieringen"] == 1
    # No follow-up answers: fewer than five, so none of the execution figures is given.
    assert report["uitvoering"]["onderdrukt"] is True
    assert report["uitvoering"]["respondenten"] is None
    assert AccessLog.objects.filter(object_type="financier_report", role=f"api:{caller.client.pk}")
    wrong = get(client, "/rapportages", caller.headers, van="2026-05-01", tot="2026-01-01")
    assert_problem(wrong, 400)


# --- The administrators' page -----------------------------------------------------------


def test_an_administrator_registers_a_client_and_sees_its_secret_once(world, client):
    organisation = Organisation.objects.create(name="Universiteit Utrecht", kind="other")
    client.force_login(world.administrator)
    url = reverse("api_clients")
    response = client.post(
        url,
        {
            "name": "Onderzoek UU",
            "organisation": organisation.pk,
            "scopes": ["onderzoek"],
            "region": "",
            "expires_on": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("kring_") and secret in response.content.decode()
    stored = ApiClient.objects.get(name="Onderzoek UU")
    assert stored.scopes == ["onderzoek"] and stored.secret_hash == hash_secret(secret)
    listing = client.get(url)
    assert secret not in listing.content.decode() and "Onderzoek UU" in listing.content.decode()
    anonymous = Client()
    assert get(anonymous, "/datasets", {"Authorization": f"Bearer {secret}"}).status_code == 200
    client.post(reverse("api_client_revoke", args=[stored.pk]))
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert get(anonymous, "/datasets", {"Authorization": f"Bearer {secret}"}).status_code == 401


def test_a_client_form_with_mistakes_registers_nothing(world, client):
    client.force_login(world.administrator)
    response = client.post(
        reverse("api_clients"),
        {"name": "", "scopes": ["bestaat-niet"], "expires_on": "2000-01-01"},
    )
    assert response.status_code == 400
    assert ApiClient.objects.count() == 0
