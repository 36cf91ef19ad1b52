"""Every page each role reaches is valid HTML by the Nu HTML Checker (vnu.jar).

The crawl follows the permission matrix: every GET URL of Kring for every role, kept when it
answers 200 with HTML, plus a participant's own page and the sign-in pages. The pages are
written to a temporary folder and checked by one run of the checker (the JVM is slow to start).
The Django admin is left out: its templates are Django's. `.ci/run` downloads the checker
from the npm registry (package vnu-jar) and points KRING_VNU_JAR at it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from kring.circle import links
from kring.circle.models import Participant
from kring.meetings.models import DateOption
from tests.conftest import skip_or_fail
from tests.core.test_form_renderer import ComparingRenderer
from tests.site.test_permission_matrix import (
    EXPECTATIONS,
    FOLLOW_UP_CASE_URLS,
    FOLLOW_UP_URLS,
    PLAN_ITEM_URLS,
    PLAN_PERSON_URLS,
    PLAN_URLS,
    RESPONDENT_URLS,
    ROLES,
    _client_for,
    _url,
)

pytestmark = pytest.mark.validator

DEFAULT_JAR = Path(__file__).resolve().parents[2] / "var" / "vnu" / "vnu.jar"
PLAN_STAGE = PLAN_URLS | PLAN_ITEM_URLS | PLAN_PERSON_URLS | {"plan_pdf", "plan_bottom_line"}
FOLLOW_UP_STAGE = FOLLOW_UP_CASE_URLS | FOLLOW_UP_URLS | RESPONDENT_URLS | {"follow_up_letter"}
# Pages of the case seen again at each later stage: they show more as the case goes on.
REVISITED = ("case_detail", "circle", "dates", "meeting", "conference", "aftercare")
SIGN_IN_PAGES = ("account_login", "account_reset_password")
# The stored HTML version of an email, served as it was sent: not a page of Kring's.
NOT_PAGES = {"outbox_message_html"}


def vnu_command() -> list[str]:
    jar = Path(os.environ.get("KRING_VNU_JAR") or DEFAULT_JAR)
    java = shutil.which("java")
    if java is None or not jar.is_file():
        skip_or_fail(
            f"The Nu HTML Checker needs java and vnu.jar (KRING_VNU_JAR or {DEFAULT_JAR}); "
            "`.ci/run` installs both"
        )
    return [str(java), "-jar", str(jar), "--errors-only", "--format", "json"]


def _stage(name: str) -> int:
    if name in FOLLOW_UP_STAGE:
        return 2
    if name in PLAN_STAGE:
        return 1
    return 0


class Crawl:
    def __init__(self, folder: Path, client, world) -> None:
        self.folder = folder
        self.client = client
        self.world = world
        self.pages: dict[str, str] = {}  # file name → "role GET url"

    def visit(self, label: str, role: str, url: str, status: int = 200) -> int:
        client = _client_for(role, self.world, self.client)
        response = client.get(url)
        if role != "anonymous":
            client.logout()
        if response.status_code != status or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            return response.status_code
        path = self.folder / f"{len(self.pages):03d}-{role}-{label}.html"
        path.write_bytes(response.content)
        self.pages[path.name] = f"{role} GET {url}"
        return status


@pytest.mark.django_db
def test_every_page_each_role_reaches_is_valid_html(world, client, tmp_path, settings):
    command = vnu_command()
    # Every widget on every page, written by Python and by its template: the same bytes.
    settings.FORM_RENDERER = "tests.core.test_form_renderer.ComparingRenderer"
    ComparingRenderer.differences = []
    ComparingRenderer.compared = 0
    crawl = Crawl(tmp_path, client, world)
    names = sorted(
        (
            name
            for name, expectation in EXPECTATIONS.items()
            if expectation["method"] == "get" and name not in NOT_PAGES
        ),
        key=lambda name: (_stage(name), name),
    )
    # A participant with a poll to answer: their own page before the meeting.
    ayse = Participant.objects.create(
        case=world.case, name="Ayse Yilmaz", category="resident", email="ayse@voorbeeld.test"
    )
    start = timezone.now() + dt.timedelta(days=14)
    DateOption.objects.create(
        case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )
    own_page = reverse("portal", args=[links.issue(ayse)])
    assert crawl.visit("own-page", "anonymous", own_page) == 200
    for name in SIGN_IN_PAGES:
        assert crawl.visit(name, "anonymous", reverse(name)) == 200
    # Kring's own "not found" page, as a staff member meets it.
    assert crawl.visit("not-found", "coordinator", "/zaken/EK-1900-99999/", status=404) == 404
    stage = 0
    for name in names:
        if _stage(name) != stage:
            stage = _stage(name)
            for again in REVISITED:
                for role in ROLES:
                    crawl.visit(f"{again}-stage{stage}", role, _url(again, world))
            crawl.visit(f"own-page-stage{stage}", "anonymous", own_page)
        url = _url(name, world)
        for role in ROLES:
            crawl.visit(name, role, url)
    assert len(crawl.pages) > 100, sorted(crawl.pages)
    assert ComparingRenderer.compared > 300
    assert ComparingRenderer.differences == []

    files = sorted(str(path) for path in tmp_path.glob("*.html"))
    result = subprocess.run(  # noqa: S603 - java on the files this test wrote
        [*command, *files], capture_output=True, text=True, timeout=600, check=False
    )
    try:
        messages = json.loads(result.stderr or result.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"The Nu HTML Checker did not answer in JSON: {result.stderr[:2000]}")
    errors: dict[str, list[str]] = {}
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        page = crawl.pages.get(Path(message.get("url", "")).name, message.get("url", "?"))
        errors.setdefault(page, []).append(
            f"line {message.get('lastLine', '?')}: {message.get('message', '')} "
            f"[{message.get('extract', '').strip()[:120]}]"
        )
    report = "\n".join(f"{page}\n  " + "\n  ".join(lines) for page, lines in sorted(errors.items()))
    count = sum(len(lines) for lines in errors.values())
    assert errors == {}, (
        f"{count} Nu HTML Checker errors on {len(errors)} of {len(files)} pages:\n{report}"
    )
