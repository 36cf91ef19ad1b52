import os
import subprocess
import sys

import pytest

from kring.env import SettingError, envbool, envchoice, envint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
