"""Real Chromium: without a working link, a person asks for a new one or types the code from a
letter, without JavaScript; the pages and the coordinator's "stop the links" pass axe-core."""

from __future__ import annotations

import pytest

from kring.circle import links
from kring.circle.models import Participant, PersonalLink
from kring.messaging.models import OutboxMessage
from tests.browser.test_staff_journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_a_dead_link_leads_to_a_new_one_and_a_code_to_the_own_page(page, transactional_db, world):
    # The pages carry no script: the forms are plain posts (axe-core needs script to run, so
    # the browser keeps it on).
    jan = Participant.objects.create(
        case=world.case, name="Jan de Wit", email="jan@voorbeeld.test", category="resident"
    )
    _token, code = links.issue_for_letter(jan)
    page.goto("/p/" + "x" * 43 + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Deze link werkt niet (meer)"
    assert_accessible(page)
    page.get_by_label("Uw e-mailadres of telefoonnummer").fill("jan@voorbeeld.test")
    page.get_by_role("button", name="Stuur mij een nieuwe link").click()
    page.wait_for_load_state()
    assert "Als wij dit adres kennen" in page.content()
    assert_accessible(page)
    assert OutboxMessage.objects.filter(purpose="circle.link", participant=jan).count() == 1

    page.goto("/code/")
    assert_accessible(page)
    page.get_by_label("De code in uw brief").fill("ABCDE-FGHJK")
    page.get_by_role("button", name="Mijn pagina openen").click()
    page.wait_for_load_state()
    assert "Deze code werkt niet" in page.content()
    assert_accessible(page)
    page.get_by_label("De code in uw brief").fill(code)
    page.get_by_role("button", name="Mijn pagina openen").click()
    page.wait_for_url("**/p/*/")
    assert "Jan de Wit" in page.content()


def test_stopping_the_links_is_accessible(page, transactional_db, world):
    jan = Participant.objects.create(
        case=world.case, name="Jan de Wit", email="jan@voorbeeld.test", category="resident"
    )
    links.issue(jan)
    sign_in(page, world.coordinator)
    page.goto(f"/zaken/{world.case.reference}/kring/{jan.pk}/")
    page.get_by_text("De links van deze persoon stoppen").click()
    assert_accessible(page)
    page.get_by_role("button", name="Links stoppen").click()
    page.wait_for_load_state()
    assert_accessible(page)  # the reason is missing: the form says so
    page.get_by_label("Waarom de links stoppen?").fill("Brief naar verkeerd adres")
    page.get_by_role("button", name="Links stoppen").click()
    page.wait_for_load_state()
    assert not PersonalLink.objects.filter(participant=jan, revoked_at__isnull=True).exists()
    assert_accessible(page)
