"""The OpenAPI document against the Dutch government's REST API Design Rules (our own checks,
rule numbers from the ADR 2.0 "core" set where there is one)."""

from __future__ import annotations

import re

import pytest

from kring.api.api import api
from kring.api.middleware import API_VERSION

DOCUMENT = api.get_openapi_schema()
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
PARAMETER = re.compile(r"^\{[a-z][a-zA-Z0-9]*\}$")
# Dutch plural nouns end in -s or -en (regio's is written "regios" in a path).
DUTCH_PLURAL = re.compile(r"^[a-z]+(s|en)$")


def operations():
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_document_is_openapi_3_1_with_a_contact():
    assert DOCUMENT["openapi"].startswith("3.1.")  # API-79 (3.0 or newer)
    assert DOCUMENT["info"]["version"] == API_VERSION  # API-57
    assert DOCUMENT["info"]["contact"]["email"]  # API-51: contact in the document


@pytest.mark.parametrize("path", sorted(DOCUMENT["paths"]))
def test_paths_carry_the_major_version_and_plural_dutch_resources(path):
    assert path.startswith("/api/v1/")  # API-20: the major version in the path
    assert not path.endswith("/")  # API-48: no trailing slash
    segments = path.removeprefix("/api/v1/").split("/")
    for segment in segments:
        if segment.startswith("{"):
            assert PARAMETER.match(segment), segment
        else:
            # API-54: plural resource names; API-04: Dutch; lowercase.
            assert DUTCH_PLURAL.match(segment), segment


@pytest.mark.parametrize(("path", "method"), [(p, m) for p, m, _o in operations()])
def test_every_response_has_the_version_header_and_errors_are_problems(path, method):
    operation = DOCUMENT["paths"][path][method]
    for status, response in operation["responses"].items():
        assert "API-Version" in response["headers"]  # API-57
        if int(status) >= 400:
            # API-46: problem details (RFC 9457)
            assert list(response["content"]) == ["application/problem+json"]
            schema = response["content"]["application/problem+json"]["schema"]
            assert schema["$ref"].endswith("/Problem")
        else:
            assert list(response["content"]) == ["application/json"]
    for parameter in operation.get("parameters", []):
        if parameter["in"] in ("query", "path"):
            assert CAMEL.match(parameter["name"]), parameter["name"]
    if "security" not in operation:
        assert method == "get", "only reading public reference data goes without a client"


def _properties(schema, name):
    for prop, definition in schema.get("properties", {}).items():
        yield name, prop, definition


@pytest.mark.parametrize("name", sorted(DOCUMENT["components"]["schemas"]))
def test_field_names_are_camel_case_and_times_are_date_time(name):
    schema = DOCUMENT["components"]["schemas"][name]
    for _schema, prop, definition in _properties(schema, name):
        assert CAMEL.match(prop), f"{name}.{prop}"
        # Moments are strings in ISO 8601 (API-41 … UTC, see test_api for the "Z").
        if prop.endswith(("Op", "Sinds")):
            assert (
                definition == {"type": "string", "format": "date-time"}
                or definition.get("format") == "date-time"
            ), f"{name}.{prop}"


def test_the_problem_schema_is_rfc_9457():
    problem = DOCUMENT["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "instance", "invalidParams"} <= set(problem)
