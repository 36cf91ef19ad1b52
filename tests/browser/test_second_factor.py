"""Real Chromium: a staff member without a second factor is sent to set one up (TOTP), and
every page on the way passes axe-core."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.browser.test_staff_journeys import assert_accessible
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_new_staff_member_sets_up_an_authenticator_app(page, transactional_db, world):
    import time

    user = world.coordinator
    user.authenticator_set.all().delete()
    page.goto("/account/login/")
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    # Every page sends them to the second factor; first the password once more.
    page.wait_for_url("**/account/reauthenticate/**")
    assert_accessible(page)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url("**/account/2fa/totp/activate/")
    assert_accessible(page)
    secret = page.locator("#authenticator_secret").input_value()
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    page.locator("input[name=code]").fill(code)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/account/2fa/totp/activate/" not in page.url
    assert_accessible(page)
    page.goto("/werk/")
    assert page.url.endswith("/werk/")
    assert user.authenticator_set.filter(type="totp").exists()
