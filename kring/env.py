"""Strict readers for environment variables.

Every setting Kring reads from the environment goes through one of these helpers, so that a
bad value stops start-up with a message naming the variable instead of surfacing later as a
mysterious failure.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured


class SettingError(ImproperlyConfigured):
    pass


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def envstr(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def envbool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() == "true":
        return True
    if value.lower() == "false":
        return False
    raise SettingError(f"{name} must be 'true' or 'false', not {value!r}.")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingError(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise SettingError(f"{name} must be at least {minimum}, not {number}.")
    return number


def envlist(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = envstr(name, default)
    if value not in choices:
        raise SettingError(f"{name} must be one of {', '.join(choices)}; not {value!r}.")
    return value


def envmonths(name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of months (1–36), such as "3" or "3,6,12", sorted, no repeats."""
    items = envlist(name, default.split(","))
    try:
        months = sorted({int(item) for item in items})
    except ValueError:
        raise SettingError(f"{name} must list whole months, such as 3,6,12.") from None
    if not months or months[0] < 1 or months[-1] > 36:
        raise SettingError(f"{name} must list months from 1 to 36.")
    return tuple(months)
