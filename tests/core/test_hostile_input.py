"""Hostile input (issue 17, points 4, 5 and 8): NUL bytes and control characters get a 400 at
the edge — in paths, queries, cookies and form fields — before the session or a view reads
them; single-line fields lose bidirectional controls; DEBUG is off unless asked for, and
Django's error page never shows the environment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import technical_500_response

from kring.cases.models import Case
from tests.cases.test_requests import VALID, new_cases

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_debug_is_off_unless_asked_for():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KRING_", "DEBUG"))}
    script = (
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    )
    answer = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**clean, "KRING_ENV": "development", "DJANGO_SETTINGS_MODULE": "kring.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert answer.stdout.strip() == "False"


def _secret(name: str) -> str:
    # Built at run time, so that the page's source excerpts cannot show it either.
    return "-".join(["geheim", name, str(os.getpid())])


def _fail() -> None:
    raise RuntimeError("boom")


def _debug_page(request):
    try:
        _fail()
    except RuntimeError:
        return technical_500_response(request, *sys.exc_info()).content.decode()


def test_the_debug_error_page_shows_no_environment(settings):
    settings.DEBUG = True
    settings.DATABASE_URL = f"postgres://kring:{_secret('db')}@db.test/kring"
    request = RequestFactory().get("/")
    request.META["DATABASE_URL"] = settings.DATABASE_URL  # as runserver passes os.environ
    request.META["EMAIL_HOST_PASSWORD"] = _secret("smtp")
    request.META["KRING_REDIS_URL"] = f"redis://:{_secret('redis')}@cache.test/0"
    page = _debug_page(request)
    assert "boom" in page  # it is the debug page
    for name in ("db", "smtp", "redis"):
        assert _secret(name) not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    "probe",
    [
        {"path": "/", "HTTP_COOKIE": "sessionid=abcdefghij\x00k"},
        {"path": "/", "HTTP_COOKIE": "csrftoken=a\x01b"},
        {"path": "/zaken/%00/"},
        {"path": "/zaken/EK-2026-%01/"},
        {"path": "/zaken/?q=a%00b"},
    ],
)
def test_nul_and_control_characters_in_paths_queries_and_cookies_get_a_400(client, world, probe):
    client.force_login(world.manager)
    extra = {k: v for k, v in probe.items() if k != "path"}
    if "HTTP_COOKIE" in extra:
        client.cookies.clear()
    response = client.get(probe["path"], **extra, **EN)
    assert response.status_code == 400
    assert "Bad request" in response.text
    assert response["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_path_that_is_not_utf8_is_no_server_error(client, world):
    # Django re-escapes the broken bytes (%FF%FE), which then match nothing.
    client.force_login(world.manager)
    assert client.get("/p/%ff%fe/", **EN).status_code == 404
    assert client.get("/zaken/%ff/", **EN).status_code in (400, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "a\x7fb"])
def test_a_control_character_in_a_form_field_gets_a_400_and_stores_nothing(client, world, value):
    response = client.post(reverse("request_form"), {**VALID, "description": value}, **EN)
    assert response.status_code == 400
    assert not new_cases(world).exists()


@pytest.mark.django_db
def test_an_erasure_reason_with_a_nul_byte_is_refused(client, world):
    client.force_login(world.manager)
    url = reverse("case_detail", args=[world.case.reference])
    assert client.post(url, {"reason": "a\x00b"}, **EN).status_code == 400


@pytest.mark.django_db
def test_line_breaks_and_tabs_stay_allowed_in_multi_line_fields(client, world):
    response = client.post(
        reverse("request_form"),
        {**VALID, "description": "Regel een\r\n\tRegel twee, lang genoeg."},
        **EN,
    )
    assert response.status_code == 302
    assert "Regel twee" in new_cases(world).get().description


@pytest.mark.django_db
def test_a_single_line_field_refuses_a_line_break(client, world):
    response = client.post(reverse("request_form"), {**VALID, "place": "Plein\r\nBcc: x@y"}, **EN)
    assert response.status_code == 400  # the form, shown again with its errors
    assert "Remove the invisible control characters or line breaks" in response.text
    assert not new_cases(world).exists()


@pytest.mark.django_db
def test_bidi_controls_are_removed_from_names(client, world):
    response = client.post(
        reverse("request_form"),
        {**VALID, "requester_name": "Sanne \u202eevil\u202c de Wit\u200f"},
        **EN,
    )
    assert response.status_code == 302
    case: Case = new_cases(world).get()
    assert case.requester_name == "Sanne evil de Wit"


@pytest.mark.django_db
def test_a_letter_shows_text_with_bidi_overrides_in_its_own_order(world):
    """Issue 17, point 8: a name stored before the forms stripped bidi controls (or a multi-line
    text that keeps them) cannot turn a letter's text around: the PDF has none of them."""
    import datetime as dt
    import io
    from zoneinfo import ZoneInfo

    from pypdf import PdfReader

    from kring.circle.models import Participant
    from kring.meetings.letters import invitation_letter_pdf
    from kring.meetings.models import Meeting

    meeting = Meeting.objects.create(
        case=world.case,
        starts_at=dt.datetime(2026, 11, 30, 19, 30, tzinfo=ZoneInfo("Europe/Amsterdam")),
        ends_at=dt.datetime(2026, 11, 30, 22, 0, tzinfo=ZoneInfo("Europe/Amsterdam")),
        venue_name="Buurthuis \u202eevil\u202c De Pijp",
    )
    henk = Participant.objects.create(
        case=world.case,
        name="Henk \u2067Mulder\u2069",
        postal_address="Molenstraat 3\n3512 AC Utrecht",
        category="resident",
    )
    pdf = invitation_letter_pdf(meeting, henk, kind="invitation", portal_url="https://k.test/p/x/")
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Buurthuis evil De Pijp" in text and "Henk Mulder" in text
    assert not any(ch in text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
