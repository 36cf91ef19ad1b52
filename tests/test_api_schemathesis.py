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
from tests.api_support import make_client
from tests.test_api_permissions import EXPECTATIONS

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


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation", sorted(EXPECTATIONS))
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
    has_input = bool(api_operation.definition.raw.get("parameters")) or (
        "requestBody" in api_operation.definition.raw
    )
    if mode == GenerationMode.NEGATIVE and not has_input:
        pytest.skip("nothing to break: the operation takes no input")

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
