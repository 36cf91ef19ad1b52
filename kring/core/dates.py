"""Dates in words, in each participant language's own order and grammar.

Django's locale formats give the names of days and months; the order and the case of the month
differ per language: Polish and Ukrainian put the month in the genitive after a day number
("14 grudnia 2026", "14 грудня 2026": Django's ``E``), Turkish names the weekday last. Times are
in Kring's time zone (Europe/Amsterdam).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation
from django.utils.formats import date_format

DAY = "l j F Y"  # Monday 30 November 2026
SHORT_DAY = "j F Y"  # 30 November 2026
DAY_FORMATS = {"tr": "j F Y l", "pl": "l, j E Y", "uk": "l, j E Y"}
SHORT_DAY_FORMATS = {"pl": "j E Y", "uk": "j E Y"}
# Polish and Ukrainian write weekdays in lower case, as Dutch does; Django's names start with a
# capital ("Poniedziałek"), which reads wrong inside a sentence.
LOWER_CASE_WEEKDAYS = frozenset({"pl", "uk"})


def _local(value: dt.date | dt.datetime) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day_format() -> str:
    return DAY_FORMATS.get(translation.get_language() or "", DAY)


def short_day_format() -> str:
    return SHORT_DAY_FORMATS.get(translation.get_language() or "", SHORT_DAY)


def day(value: dt.date | dt.datetime | None) -> str:
    """The day with its weekday, in the active language: "maandag 14 december 2026"."""
    if not value:
        return ""
    words = date_format(_local(value), day_format())
    if translation.get_language() in LOWER_CASE_WEEKDAYS:
        words = words[:1].lower() + words[1:]
    return words


def short_day(value: dt.date | dt.datetime | None) -> str:
    """The day without its weekday: "14 december 2026"."""
    return date_format(_local(value), short_day_format()) if value else ""
