"""Security headers on every URL Kring has, for a signed-in user and for the public."""

import pytest
from django.urls import reverse

from tests.site.test_permission_matrix import EXPECTATIONS, _url


def check(response):
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert "no-store" in response["Cache-Control"]


def check_mail_frame(response):
    """The one page Kring frames itself: an email's HTML version, in a sandbox (no scripts, no
    forms, an origin of its own), loading nothing but what the message holds; its inline
    styles are the email's own."""
    policy = response["Content-Security-Policy"].split("; ")
    assert policy[0] == "sandbox"
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert not any(rule.startswith("script-src") for rule in policy)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
@pytest.mark.parametrize("role", ["anonymous", "manager"])
def test_every_url_sends_the_security_headers(name, role, world, client):
    if role != "anonymous":
        client.force_login(getattr(world, role))
    url = _url(name, world)
    response = getattr(client, EXPECTATIONS[name]["method"])(url)
    if name == "outbox_message_html" and response.status_code == 200:
        check_mail_frame(response)
    else:
        check(response)


@pytest.mark.django_db
def test_error_pages_and_the_admin_send_them_too(world, client):
    check(client.get("/bestaat-niet/"))
    client.force_login(world.administrator)
    check(client.get(reverse("admin:index")))


@pytest.mark.django_db
def test_hsts_over_https_in_production_settings(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_cookies_are_host_prefixed_secure_and_httponly():
    import os
    import subprocess
    import sys

    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE)"
    )
    env = {
        **os.environ,
        "KRING_ENV": "production",
        "SECRET_KEY": "k" * 60,
        "EMAIL_HOST": "smtp.test",
        "KRING_ALLOW_SQLITE": "true",
        "KRING_TRUSTED_PROXIES": "1",
        "KRING_CONTACT_PHONE": "030 123 45 67",
        "KRING_CONTACT_EMAIL": "contact@kring.test",
        "SITE_URL": "https://kring.test",
        "KRING_AUDIT_KEY": "a" * 40,
        "ALLOWED_HOSTS": "kring.test",
        "DJANGO_SETTINGS_MODULE": "kring.settings",
    }
    result = subprocess.run(  # noqa: S603 - the project's own Python
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout.split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "True",
        "Lax",
    ]
