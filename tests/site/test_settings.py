import os
import subprocess
import sys

import pytest

from kring.env import SettingError, envbool, envchoice, envint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_envbool_accepts_only_true_and_false(monkeypatch):
    monkeypatch.setenv("KRING_X", "true")
    assert envbool("KRING_X", False) is True
    monkeypatch.setenv("KRING_X", "FALSE")
    assert envbool("KRING_X", True) is False
    monkeypatch.setenv("KRING_X", "yes")
    with pytest.raises(SettingError, match="KRING_X"):
        envbool("KRING_X", False)


def test_envint_names_the_variable(monkeypatch):
    monkeypatch.setenv("KRING_N", "ten")
    with pytest.raises(SettingError, match="KRING_N"):
        envint("KRING_N", 1)
    monkeypatch.setenv("KRING_N", "0")
    with pytest.raises(SettingError, match="at least 1"):
        envint("KRING_N", 1, minimum=1)


def test_envchoice(monkeypatch):
    monkeypatch.setenv("KRING_ENV_TEST", "staging")
    with pytest.raises(SettingError, match="KRING_ENV_TEST"):
        envchoice("KRING_ENV_TEST", "development", ("development", "production"))


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("KRING_", "DATABASE_URL", "SECRET_KEY", "EMAIL_", "DEBUG", "SITE_URL", "DEFAULT_FROM")
        )
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"KRING_ENV": "production", "DEBUG": "true"}, "DEBUG"),
        ({"KRING_ENV": "production"}, "SECRET_KEY"),
        ({"KRING_ENV": "production", "SECRET_KEY": "x" * 60}, "EMAIL_HOST"),
        (
            {"KRING_ENV": "production", "SECRET_KEY": "x" * 60, "EMAIL_HOST": "smtp.test"},
            "KRING_TRUSTED_PROXIES",
        ),
        (
            {
                "KRING_ENV": "production",
                "SECRET_KEY": "x" * 60,
                "EMAIL_HOST": "smtp.test",
                "KRING_TRUSTED_PROXIES": "1",
            },
            "DATABASE_URL",
        ),
        (
            {
                "KRING_ENV": "production",
                "SECRET_KEY": "x" * 60,
                "EMAIL_HOST": "smtp.test",
                "KRING_TRUSTED_PROXIES": "1",
                "KRING_ALLOW_SQLITE": "true",
                "KRING_CONTACT_EMAIL": "contact@kring.test",
            },
            "KRING_CONTACT_PHONE",
        ),
        (
            {
                "KRING_ENV": "production",
                "SECRET_KEY": "x" * 60,
                "EMAIL_HOST": "smtp.test",
                "KRING_TRUSTED_PROXIES": "1",
                "KRING_ALLOW_SQLITE": "true",
                "KRING_CONTACT_PHONE": "030 123 45 67",
                "KRING_CONTACT_EMAIL": "contact@kring.test",
                "SITE_URL": "https://kring.test",
            },
            "KRING_AUDIT_KEY",
        ),
    ],
)
def test_bad_setting_stops_startup_naming_the_variable(env, named):
    result = _start(env)
    assert result.returncode != 0
    assert named in result.stderr


def test_production_with_everything_set_starts():
    result = _start(
        {
            "KRING_ENV": "production",
            "SECRET_KEY": "k" * 60,
            "EMAIL_HOST": "smtp.test",
            "KRING_ALLOW_SQLITE": "true",
            "KRING_TRUSTED_PROXIES": "1",
            "ALLOWED_HOSTS": "kring.test",
            "KRING_CONTACT_PHONE": "030 123 45 67",
            "KRING_CONTACT_EMAIL": "contact@kring.test",
            "SITE_URL": "https://kring.test",
            "KRING_AUDIT_KEY": "a" * 40,
        }
    )
    assert result.returncode == 0, result.stderr


def _shell(code: str, env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KRING_", "DATABASE_URL"))}
    result = subprocess.run(  # noqa: S603 - this interpreter, the test's own code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "kring.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SHOW_CONNECTION_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
)


def test_connections_are_kept_between_requests_with_a_health_check(tmp_path):
    """Issue 18, point 5: no new connection per request outside the test suite; 0 for a
    pooler. The suite itself opens one per request (live-server threads share nothing)."""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'kring.sqlite3'}"}
    assert _shell(SHOW_CONNECTION_SETTINGS, database) == "600 True"
    assert _shell(SHOW_CONNECTION_SETTINGS, {**database, "KRING_DB_CONN_MAX_AGE": "0"}) == (
        "0 False"
    )
    from django.conf import settings

    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0


SHOW_PREPARED = (
    "import django; django.setup(); from django.conf import settings; "
    "o = settings.DATABASES['default'].get('OPTIONS', {}); "
    "print(settings.KRING_DB_PREPARED, o.get('server_side_binding'))"
)


def test_postgresql_keeps_statements_prepared_unless_a_pooler_is_in_front():
    """Prepared statements (with server-side binding, which they need) on PostgreSQL with
    persistent connections; not with KRING_DB_CONN_MAX_AGE=0 (a pooler in transaction mode)
    or when turned off. Nothing of it on SQLite. (Which statements: tests/core/test_prepared.)"""
    postgres = {"DATABASE_URL": "postgres://kring@127.0.0.1:5432/kring"}
    assert _shell(SHOW_PREPARED, postgres) == "True True"
    assert _shell(SHOW_PREPARED, {**postgres, "KRING_DB_CONN_MAX_AGE": "0"}) == "False None"
    assert _shell(SHOW_PREPARED, {**postgres, "KRING_DB_PREPARED": "false"}) == "False None"
    both = {**postgres, "KRING_DB_CONN_MAX_AGE": "0", "KRING_DB_PREPARED": "true"}
    assert _shell(SHOW_PREPARED, both) == "True True"
    sqlite = {"DATABASE_URL": "sqlite:///var/never-opened.sqlite3"}
    assert _shell(SHOW_PREPARED, sqlite) == "True None"


def test_loading_the_wsgi_application_leaves_no_connection_to_inherit(tmp_path):
    """gunicorn loads Kring once and forks (--preload): a connection opened while loading
    would be shared by every process. Loading the WSGI module closes it."""
    code = (
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); assert connection.connection is not None; "
        "import kring.wsgi; print(connection.connection is None)"
    )
    assert _shell(code, {"DATABASE_URL": f"sqlite:///{tmp_path / 'kring.sqlite3'}"}) == "True"
