"""Kring's own 404 and 403 pages, also in the demo, which runs with DEBUG on: Django's
technical 404 lists every URL pattern and must never reach a staff member."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied

from kring.audit.models import AccessLog

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TECHNICAL = ("URLconf", "Using the URLconf", "technical_404", "Django tried these URL patterns")


def assert_kring_404(response) -> None:
    assert response.status_code == 404
    text = response.content.decode()
    assert "This page does not exist, or you have no access to it." in text
    for words in TECHNICAL:
        assert words not in text, words
    assert "zaken/&lt;str:reference&gt;" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_a_case_outside_the_role_gets_kring_s_404_also_with_debug(client, world, settings, debug):
    settings.DEBUG = debug
    client.force_login(world.other_coordinator)
    response = client.get(reverse("case_detail", args=[world.case.reference]), **EN)
    assert_kring_404(response)
    assert world.case.requester_name not in response.content.decode()
    # The refusal is still logged as one.
    assert AccessLog.objects.filter(
        user=world.other_coordinator, outcome="denied", case_reference=world.case.reference
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_address_gets_kring_s_404_also_with_debug(client, world, settings, debug):
    settings.DEBUG = debug
    client.force_login(world.manager)
    assert_kring_404(client.get("/bestaat-niet/", **EN))
    client.logout()
    assert_kring_404(client.get("/bestaat/ook/niet/", **EN))


@pytest.mark.django_db
def test_a_page_that_answers_404_itself_keeps_its_own_page(client, world, settings):
    settings.DEBUG = True
    response = client.get(reverse("portal", args=["onbekend-token"]), **EN)
    assert response.status_code == 404
    assert "This page does not exist, or you have no access to it." not in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_a_refusal_gets_kring_s_403_page(world):
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE="en")
    request.user = world.coordinator
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    text = response.content.decode()
    assert "You may not open this page or do this step." in text
    assert "utrecht-heading-1" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("nl", "Kring is even niet bereikbaar"), ("en", "Kring is briefly unavailable")],
)
def test_an_unreachable_database_gets_a_503_page_without_a_query(
    language, words, django_assert_num_queries, caplog
):
    from django.db import OperationalError

    from kring.core.views import server_error

    request = RequestFactory().get("/aanvragen/", HTTP_ACCEPT_LANGUAGE=language)
    with django_assert_num_queries(0):
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            response = server_error(request)
            again = server_error(request)  # a second failure in the same request
    assert response.status_code == again.status_code == 503
    assert response["Retry-After"].isdigit()
    text = response.content.decode()
    assert words in text and f'lang="{language}"' in text and "<h1" in text
    assert sum("Database unavailable" in r.getMessage() for r in caplog.records) == 1


def test_an_unreachable_database_gets_a_503_problem_under_the_api():
    from django.db import InterfaceError

    from kring.core.views import server_error

    request = RequestFactory().get("/api/v1/zaken")
    try:
        raise InterfaceError("connection already closed")
    except InterfaceError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"].isdigit()
    assert response["Content-Type"].startswith("application/problem+json")


def test_any_other_error_still_gets_the_500_page():
    from kring.core.views import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
