"""The API's permission matrix: every operation of the OpenAPI document × every kind of
client (one per scope, one without any scope) and anonymous. A new operation without an
expectation here fails `test_every_operation_has_an_expectation`."""

from __future__ import annotations

import pytest

from kring.api.api import api
from kring.api.models import ApiSubmission
from kring.cases.models import Case
from tests.api.support import KINDS, make_client, request_body

OK, CREATED, UNAUTHENTICATED, FORBIDDEN = 200, 201, 401, 403


def only(kind: str, success: int = OK) -> dict[str, int]:
    """Anonymous: 401; the client with the scope: ``success``; every other client: 403."""
    return {
        k: UNAUTHENTICATED if k == "anonymous" else success if k == kind else FORBIDDEN
        for k in KINDS
    }


PUBLIC = dict.fromkeys(KINDS, OK)

EXPECTATIONS = {
    ("get", "/api/v1/regios"): PUBLIC,
    ("get", "/api/v1/gemeenten"): PUBLIC,
    ("get", "/api/v1/postcodes/{postcode}"): PUBLIC,
    ("post", "/api/v1/aanvragen"): only("submit", CREATED),
    ("get", "/api/v1/aanvragen/{referentie}"): only("follow"),
    ("get", "/api/v1/datasets"): only("research"),
    ("get", "/api/v1/datasets/{code}/kolommen"): only("research"),
    ("get", "/api/v1/datasets/{code}/rijen"): only("research"),
    ("get", "/api/v1/rapportages"): only("financier"),
}


def operations() -> list[tuple[str, str]]:
    document = api.get_openapi_schema()
    return sorted(
        (method, path) for path, methods in document["paths"].items() for method in methods
    )


def test_every_operation_has_an_expectation():
    assert operations() == sorted(EXPECTATIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("operation", sorted(EXPECTATIONS))
def test_api_permission_matrix(operation, kind, world, client):
    method, path = operation
    caller = make_client(world.administrator, kind)
    # The follow client's own submission, so that "follow" may see it.
    follower = make_client(world.administrator, "follow")
    ApiSubmission.objects.create(client=follower.client, case=world.case, body_hash="x")
    if kind == "follow":
        caller = follower
    url = (
        path.replace("{postcode}", "1053AB")
        .replace("{referentie}", world.case.reference)
        .replace("{code}", "zaken")
    )
    before = Case.objects.count()
    if method == "post":
        response = client.post(
            url, request_body(), content_type="application/json", headers=caller.headers
        )
    else:
        response = client.get(url, headers=caller.headers)
    expected = EXPECTATIONS[operation][kind]
    assert response.status_code == expected, (kind, url, response.content[:300])
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert Case.objects.count() == before
        # A refusal shows nothing of the case (``instance`` repeats the path the caller sent).
        shown = {k: v for k, v in response.json().items() if k != "instance"}
        assert world.case.reference not in str(shown) and world.case.place not in str(shown)
