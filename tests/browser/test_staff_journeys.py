"""Real Chromium: each role signs in and walks its pages; axe-core finds no violations."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from kring.cases.models import Case, Status
from tests.factories import PASSWORD, totp_code

pytestmark = pytest.mark.browser
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
axe = Axe()


def assert_accessible(page):
    results = axe.run(page, options=AXE_OPTIONS)
    violations = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['html'][:120]})"
        for v in results.response["violations"]
    ]
    assert violations == [], f"{page.url}\n" + "\n".join(violations)


def sign_in(page, user):
    """Sign in with the password and then the second factor (the test TOTP secret)."""
    page.goto("/account/login/")
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/account/2fa/authenticate/")
    # Each test user has an authenticator of their own (tests/factories.py): no code is ever
    # used twice, so no sign-in waits for the next 30-second step.
    page.locator("input[name=code]").fill(totp_code(user))
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url("**/werk/", timeout=10000)


def test_public_pages_are_accessible(page, transactional_db):
    for path in ("/", "/account/login/", "/account/password/reset/", "/bestaat-niet/"):
        page.goto(path)
        assert_accessible(page)


@pytest.mark.parametrize("role", ["manager", "coordinator", "researcher", "administrator"])
def test_each_role_walks_its_pages(page, transactional_db, world, role):
    user = getattr(world, role)
    sign_in(page, user)
    assert user.get_short_name() in page.content()
    assert_accessible(page)
    if role in ("manager", "coordinator"):
        page.get_by_role("link", name="Alle zaken").click()
        page.wait_for_url("**/zaken/")
        assert_accessible(page)
        page.get_by_role("link", name=world.case.reference).first.click()
        page.wait_for_url(f"**/zaken/{world.case.reference}/")
        assert page.get_by_role("heading", level=1).inner_text().startswith(world.case.reference)
        assert_accessible(page)
    if role == "administrator":
        page.get_by_role("link", name="Postvak").first.click()
        assert_accessible(page)
    # English is complete and accessible too.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page)


def test_a_coordinator_takes_a_step_without_javascript(
    chromium, live_server, transactional_db, world
):
    context = chromium.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="nl-NL"
    )
    page = context.new_page()
    sign_in(page, world.coordinator)
    page.goto(f"/zaken/{world.case.reference}/")
    page.locator("#reason-stopped").fill("Niemand wil meedoen")
    page.get_by_role("button", name="Voorbereiding stoppen").click()
    page.wait_for_url(f"**/zaken/{world.case.reference}/")
    assert Case.objects.get(pk=world.case.pk).status == Status.STOPPED
    assert page.get_by_role("status").first.is_visible()
    context.close()


def test_the_case_list_works_on_a_phone(chromium, live_server, transactional_db, world):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 740}, locale="nl-NL"
    )
    page = context.new_page()
    sign_in(page, world.manager)
    page.goto("/zaken/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    assert_accessible(page)
    context.close()


def test_confirmations_and_due_pages_work_without_javascript(
    chromium, live_server, transactional_db, world
):
    """Issue 14: choosing a date goes through a server-rendered confirmation; the remove and
    merge forms, the start page's due lists and the daily-email setting pass axe."""
    import datetime as dt

    from django.utils import timezone

    from kring.circle.models import Participant
    from kring.meetings.models import DateOption

    Participant.objects.create(case=world.case, name="Ayse Kaya", category="resident")
    mistake = Participant.objects.create(case=world.case, name="Per Ongeluk", category="resident")
    start = timezone.now() + dt.timedelta(days=10)
    option = DateOption.objects.create(
        case=world.case, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )
    # axe-core needs JavaScript: the pages are checked in a browser with it, and the same
    # signed-in session then walks the confirmation without it.
    context = chromium.new_context(base_url=live_server.url, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, world.coordinator)
    assert_accessible(page)
    reference = world.case.reference
    page.goto(f"/zaken/{reference}/kring/{mistake.pk}/")
    assert page.locator(
        f'form[action="/zaken/{reference}/kring/{mistake.pk}/verwijderen/"]'
    ).count()
    assert_accessible(page)
    page.goto(f"/zaken/{reference}/datum/")
    page.locator(f'form[action="/zaken/{reference}/datum/{option.pk}/kiezen/"] button').click()
    page.wait_for_load_state()
    assert page.locator('input[name="confirmed"]').count() == 1
    assert_accessible(page)
    page.goto("/profiel/dagoverzicht/")
    assert_accessible(page)
    page.goto("/werk/")
    assert_accessible(page)

    plain = chromium.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        locale="nl-NL",
        storage_state=context.storage_state(),
    )
    no_script = plain.new_page()
    no_script.set_default_timeout(15000)
    no_script.goto(f"/zaken/{reference}/datum/")
    no_script.locator(f'form[action="/zaken/{reference}/datum/{option.pk}/kiezen/"] button').click()
    no_script.wait_for_load_state()
    assert no_script.locator('input[name="confirmed"]').count() == 1
    assert Case.objects.get(pk=world.case.pk).status == Status.PREPARATION
    no_script.locator('main form button[type="submit"]').click()
    no_script.wait_for_url(f"**/zaken/{reference}/bijeenkomst/")
    assert Case.objects.get(pk=world.case.pk).status == Status.SCHEDULED
    plain.close()
    context.close()
