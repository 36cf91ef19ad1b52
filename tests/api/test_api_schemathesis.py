"""Schemathesis against every operation of the OpenAPI document, with a valid client for the
operation's scope: no 5xx, every response (status, content type, headers, body) as documented;
input that breaks the schema gets a 4xx problem document and changes nothing.

Run alone with ``pytest -m schemathesis``. Bounded: a few examples per operation and mode."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kring.api.models import ApiClient, ApiSubmission
from kring.cases.models import Case
from kring.messaging.models import OutboxMessage
from tests.api.support import make_client
from tests.api.test_api_permissions import EXPECTATIONS

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# The kind of client whose scope each operation needs (None: public).
SCOPE_KIND = {
    operation: next((kind for kind, code in expected.items() if code in (200, 201)), None)
    if expected["anonymous"] != 200
    else None
    for operation, expected in EXPECTATIONS.items()
}


@pytest.fixture
def wsgi_in_test_transaction():
    """Schemathesis calls Kring's WSGI handler in this thread; like Django's test client, keep
    it from closing the test's database connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _state() -> tuple[int, int, int]:
    return Case.objects.count(), OutboxMessage.objects.count(), ApiSubmission.objects.count()


# Operations without parameters or a body: there is no input to break, so they are fuzzed
# with valid input only (test_the_operations_without_input_are_the_documents_own keeps this
# list honest).
WITHOUT_INPUT = {
    ("get", "/api/v1/regios"),
    ("get", "/api/v1/gemeenten"),
    ("get", "/api/v1/datasets"),
}
RUNS = [
    (operation, mode)
    for operation in sorted(EXPECTATIONS)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE or operation not in WITHOUT_INPUT
]


def test_the_operations_without_input_are_the_documents_own(wsgi_in_test_transaction):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    without = set()
    for method, path in EXPECTATIONS:
        raw = schema[path][method.upper()].definition.raw
        if not raw.get("parameters") and "requestBody" not in raw:
            without.add((method, path))
    assert without == WITHOUT_INPUT


@pytest.mark.parametrize(("operation", "mode"), RUNS)
def test_schemathesis(operation, mode, world, settings, wsgi_in_test_transaction):
    method, path = operation
    settings.KRING_API_LIMIT_PER_MINUTE = 100_000
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    api_operation = schema[path][method.upper()]
    kind = SCOPE_KIND[operation]
    headers = make_client(world.administrator, kind).headers if kind else {}
    if kind == "follow":
        ApiSubmission.objects.create(
            client=ApiClient.objects.get(name="Client follow"),
            case=world.case,
            body_hash="x",
        )

    @given(case=api_operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        before = _state()
        case.headers = {**(case.headers or {}), **headers}
        response = case.call()
        if mode == GenerationMode.POSITIVE:
            case.validate_response(response, checks=CHECKS)
        else:
            case.validate_response(response, checks=[not_a_server_error])
            if response.status_code < 400:
                # Schemathesis may "break" input into something still valid (say, a header
                # it does not send); then it must pass the documented checks instead.
                case.validate_response(response, checks=CHECKS)
                return
            assert 400 <= response.status_code < 500, response.text
            types = [v for k, v in response.headers.items() if k.lower() == "content-type"]
            assert str(types[0]).find("application/problem+json") >= 0, types
            assert _state() == before

    run()
