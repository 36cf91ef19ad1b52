"""Staff sign-in: a second factor for every staff role, session lifetimes, throttled failures,
and a password reset that reveals nothing."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, totp_code
from tests.site.test_permission_matrix import EXPECTATIONS, LOGIN, _url

ACTIVATE = "/account/2fa/totp/activate/"


def password_only(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "coordinator", "researcher", "administrator"])
def test_every_staff_url_sends_a_password_only_session_to_the_second_factor(world, client, role):
    user = getattr(world, role)
    user.authenticator_set.all().delete()  # this person has not set up a second factor
    password_only(client, user)
    staff_urls = [name for name, expected in EXPECTATIONS.items() if expected["anonymous"] == LOGIN]
    assert len(staff_urls) > 30
    for name in staff_urls:
        url = _url(name, world)
        response = getattr(client, EXPECTATIONS[name]["method"])(url)
        assert response.status_code == 302, name
        assert response["Location"] == ACTIVATE, (name, response["Location"])
    for path in ("/admin/", "/zaken/", "/werk/"):
        assert client.get(path)["Location"] == ACTIVATE
    # Setting up the factor is reachable (after confirming the password once more), and so is
    # signing out.
    setup = client.get(ACTIVATE, follow=True)
    assert setup.status_code == 200
    assert setup.redirect_chain[-1][0].startswith("/account/reauthenticate/")
    assert client.post(reverse("account_logout")).status_code == 302


@pytest.mark.django_db
def test_with_a_second_factor_the_password_alone_signs_nobody_in(world, client):
    response = password_only(client, world.manager)
    assert response["Location"] == "/account/2fa/authenticate/"
    assert client.get(reverse("start"))["Location"].startswith(reverse("account_login"))
    before = client.session.session_key
    wrong = client.post("/account/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert client.get(reverse("start")).status_code == 302
    done = client.post("/account/2fa/authenticate/", {"code": totp_code(world.manager)})
    assert done.status_code == 302
    assert client.get(reverse("start")).status_code == 200
    assert client.session.session_key != before  # a new session ID at sign-in


@pytest.mark.django_db
def test_idle_and_absolute_session_limits(world, client, settings):
    settings.KRING_SESSION_IDLE_MINUTES = 15
    settings.KRING_SESSION_ABSOLUTE_HOURS = 10
    start = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        client.force_login(world.manager)
        assert client.get(reverse("start")).status_code == 200
        key = client.session.session_key
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert client.get(reverse("start")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        response = client.get(reverse("start"))
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/")
    assert not Session.objects.filter(session_key=key).exists()
    # Active all day long: still out after ten hours.
    with time_machine.travel(start, tick=False):
        client.force_login(world.manager)
        client.get(reverse("start"))
    for minutes in range(10, 10 * 60 + 11, 10):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            status = client.get(reverse("start")).status_code
    assert status == 302


@pytest.mark.django_db
def test_signing_out_and_deactivation_end_sessions_on_the_server(world, client):
    client.force_login(world.manager)
    key = client.session.session_key
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=key).exists()
    client.force_login(world.coordinator)
    key = client.session.session_key
    world.coordinator.is_active = False
    world.coordinator.save()
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_wrong_passwords_from_anywhere_slow_the_account_down_but_never_lock_its_owner_out(
    world, client
):
    """Issue 17, point 7: ten wrong passwords from ten addresses used to lock the owner out for
    an hour. Now each try after the fifth waits a growing delay; the owner is told by email;
    the right password after the delay works."""
    from kring.accounts.adapter import delay_after
    from kring.messaging.models import OutboxMessage

    start = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for number in range(10):
            traveller.shift(dt.timedelta(seconds=delay_after(number)))
            response = client.post(
                reverse("account_login"),
                {"login": world.manager.email, "password": "fout"},
                REMOTE_ADDR=f"192.0.2.{number + 1}",
            )
            assert response.status_code == 200
            assert "The email address and/or password you specified are not correct" in (
                response.text
            )
        # Within the delay even the right password waits (and is not checked).
        waiting = client.post(
            reverse("account_login"),
            {"login": world.manager.email, "password": PASSWORD},
            REMOTE_ADDR="198.51.100.7",
        )
        assert "Too many wrong passwords for this account. Wait" in waiting.text
        assert "/account/2fa/" not in waiting.get("Location", "")
        # The owner is told, once.
        told = OutboxMessage.objects.filter(
            to_addresses=[world.manager.email], purpose="account.failed_sign_ins"
        )
        assert told.count() == 1
        # After the delay — a minute at most, not an hour — the owner signs in.
        assert delay_after(10) <= 60
        traveller.shift(dt.timedelta(seconds=delay_after(10)))
        response = password_only(client, world.manager)
        assert response["Location"] == "/account/2fa/authenticate/"


@pytest.mark.django_db
def test_failed_sign_ins_from_one_address_are_limited_across_accounts(world, client):
    others = [UserFactory() for _ in range(11)]
    for other in others[:10]:
        client.post(reverse("account_login"), {"login": other.email, "password": "fout"})
    response = client.post(
        reverse("account_login"), {"login": others[10].email, "password": PASSWORD}
    )
    assert "/account/2fa/" not in response.get("Location", "")


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_known_and_unknown_addresses(world, client):
    def ask(email):
        response = client.post(reverse("account_reset_password"), {"email": email}, follow=True)
        return response.status_code, re.sub(
            r'"X-CSRFToken": "[^"]+"|value="[^"]{40,}"', "", response.text
        )

    assert ask(world.manager.email) == ask("niemand@voorbeeld.test")
