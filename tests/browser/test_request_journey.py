"""Real Chromium, from the public request to an accepted assignment: a member of the public asks
for a conference, the confirmation reaches a local SMTP server, the region's manager does the
intake and asks a coordinator, who signs the independence declaration."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kring.cases.models import Assignment, Case, Funding, Status
from kring.messaging import outbox
from tests.browser.test_staff_journeys import assert_accessible, sign_in
from tests.conftest import watch_csp

pytestmark = pytest.mark.browser


def fill_request(page):
    page.locator("#id_requester_name").fill("Sanne de Wit")
    page.locator("#id_requester_email").fill("sanne@voorbeeld.test")
    page.locator("#id_requester_relation_0").check()
    page.locator("#id_description").fill("Al maanden overlast op het plein, vooral 's avonds.")
    page.locator("#id_postcode").fill("1053 AB")
    page.locator("#id_address").fill("Molenstraat 12")
    page.locator("#id_place").fill("Bewoners rond het Mercatorplein")
    page.locator("#id_variant_0").check()
    page.locator("#id_urgency_0").check()
    page.locator("#id_consent").check()


def new_page(chromium, live_server, **options):
    context = chromium.new_context(base_url=live_server.url, locale="nl-NL", **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.csp_violations = watch_csp(page)
    return page


def test_from_request_to_an_accepted_assignment(
    chromium, live_server, transactional_db, world, smtp
):
    public = new_page(chromium, live_server)
    public.goto("/")
    assert_accessible(public)
    public.locator("main a[href='/aanvragen/']").first.click()
    public.wait_for_url("**/aanvragen/")
    assert_accessible(public)

    # An empty form: errors per field, summarised at the top, still accessible.
    public.get_by_role("button", name="Aanvraag versturen").click()
    assert public.get_by_role("alert").first.is_visible()
    assert public.locator("#id_requester_name_error").is_visible()
    assert_accessible(public)

    fill_request(public)
    public.get_by_role("button", name="Aanvraag versturen").click()
    public.wait_for_url("**/aanvragen/ontvangen/")
    case = Case.objects.exclude(pk=world.case.pk).get()
    assert case.reference in public.content()
    assert_accessible(public)
    public.context.close()

    # The worker sends the confirmation to the local SMTP server.
    outbox.sweep()
    (confirmation,) = [m for m in smtp.messages if m["To"] == "sanne@voorbeeld.test"]
    (alert,) = [m for m in smtp.messages if m["To"] == world.manager.email]
    assert case.reference in alert["Subject"]
    assert confirmation["To"] == "sanne@voorbeeld.test"
    assert case.reference in confirmation["Subject"]

    # The manager of West finds it in their inbox and does the intake.
    manager = new_page(chromium, live_server)
    sign_in(manager, world.manager)
    manager.get_by_role("link", name=case.reference).first.click()
    manager.wait_for_url(f"**/zaken/{case.reference}/")
    assert_accessible(manager)
    manager.get_by_role("link", name="Het intakegesprek vastleggen").click()
    manager.wait_for_url("**/intake/")
    assert_accessible(manager)
    manager.locator("#id_intake_on").fill(timezone.localdate().isoformat())
    question = manager.locator("#id_question_1")
    question.fill("Moeten de jongeren van het plein af?")
    # The check answers while typing (HTMX), without blocking anything.
    manager.locator("#question_1-check .kring-question-check--warn").wait_for()
    question.fill("Hoe kan de overlast op het plein stoppen?")
    manager.locator("#question_1-check .kring-question-check--ok").wait_for()
    manager.get_by_role("button", name="Intake opslaan").click()
    manager.wait_for_url("**/intake/")
    manager.locator("#funding_financier").fill("Gemeente Amsterdam")
    manager.locator("#funding_amount").fill("2500")
    manager.locator("#funding_decision").select_option("approved")
    manager.locator("#funding_decided_on").fill(timezone.localdate().isoformat())
    manager.get_by_role("button", name="Financiering toevoegen").click()
    manager.wait_for_url("**/intake/")
    assert Funding.objects.filter(case=case, decision="approved").exists()
    assert_accessible(manager)

    manager.goto(f"/zaken/{case.reference}/")
    manager.get_by_role("button", name="Zaak aannemen").click()
    manager.wait_for_url(f"**/zaken/{case.reference}/")
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED
    manager.get_by_role("link", name="Kies een coördinator").click()
    manager.wait_for_url("**/coordinator/")
    assert_accessible(manager)
    manager.get_by_role("button", name=f"Vraag {world.coordinator.full_name}").click()
    manager.wait_for_url(f"**/zaken/{case.reference}/")
    assert Case.objects.get(pk=case.pk).status == Status.COORDINATOR_ASSIGNED
    manager.context.close()

    # The coordinator sees a summary, signs the declaration and accepts.
    coordinator = new_page(chromium, live_server)
    sign_in(coordinator, world.coordinator)
    coordinator.get_by_role("link", name=case.reference).first.click()
    coordinator.wait_for_url(f"**/zaken/{case.reference}/")
    assert "Sanne de Wit" not in coordinator.content()
    assert_accessible(coordinator)
    for checkbox in ("#id_no_stake", "#id_no_link", "#id_no_say"):
        coordinator.locator(checkbox).check()
    coordinator.get_by_role("button", name="Ondertekenen en de zaak aannemen").click()
    coordinator.wait_for_url(f"**/zaken/{case.reference}/")
    assert "Sanne de Wit" in coordinator.content()
    assert_accessible(coordinator)
    coordinator.context.close()
    for seen in (public, manager, coordinator):
        assert seen.csp_violations == [], seen.csp_violations
    assert Case.objects.get(pk=case.pk).status == Status.PREPARATION
    assert Assignment.objects.get(case=case).state == Assignment.State.ACCEPTED


def test_the_request_form_works_without_javascript_and_in_english(
    chromium, live_server, transactional_db, world
):
    page = new_page(chromium, live_server, java_script_enabled=False)
    page.goto("/aanvragen/")
    assert not page.locator("#id_website").is_visible()  # the honeypot stays out of sight
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/aanvragen/")
    assert page.locator("html").get_attribute("lang") == "en"
    fill_request(page)
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url("**/aanvragen/ontvangen/")
    case = Case.objects.exclude(pk=world.case.pk).get()
    assert case.requester_language == "en"
    assert case.reference in page.content()
    page.context.close()


def test_the_intake_and_matching_pages_in_english_are_accessible(page, transactional_db, world):
    case = Case.objects.get(pk=world.case.pk)
    sign_in(page, world.manager)
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    for path in (
        f"/zaken/{case.reference}/intake/",
        f"/zaken/{case.reference}/coordinator/",
        "/zaken/nieuw/",
        "/aanvragen/",
        "/privacy/",
    ):
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "en"
        assert_accessible(page)
