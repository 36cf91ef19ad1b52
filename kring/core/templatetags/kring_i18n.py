"""Dates in each language's own format, values that read left to right inside right-to-left
text, and the language switch's buttons."""

from __future__ import annotations

import datetime as dt
import functools
import html
import unicodedata

from django import template
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from kring.core import dates
from kring.core.languages import Choice

register = template.Library()


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    return dates.day(value)


@register.filter
def short_day(value: dt.date | dt.datetime | None) -> str:
    return dates.short_day(value)


@register.filter
def ltr(value: object) -> SafeString:
    """A reference, email address, phone number, time or link kept whole and left to right
    inside text in any direction (``<bdi dir="ltr">``): "EK-2026-00017" or "18:00–21:00"
    would otherwise be turned around inside an Arabic sentence."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)


LEFT_TO_RIGHT_MARK = "\u200e"


@register.filter
def ltr_mark(value: object) -> str:
    """The same for text without markup (plain-text emails) and for PDFs, where WeasyPrint
    knows no ``<bdi>``: on a right-to-left page, a left-to-right mark on each side makes
    the numbers in "06 12345678" or "EK-2026-00017" one left-to-right run. Elsewhere the value
    is unchanged."""
    text = str(value)
    if text and translation.get_language_bidi():
        return f"{LEFT_TO_RIGHT_MARK}{text}{LEFT_TO_RIGHT_MARK}"
    return text


def _first_strong(text: str) -> str:
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return ""


@register.filter
def own_direction(value: object) -> str:
    """Text someone wrote, kept in its own direction inside a right-to-left page or PDF: each
    line that starts left to right (a Dutch question in an Arabic letter) gets a left-to-right
    mark on each side, so that its "?" stays at its end. For PDFs, where WeasyPrint knows no
    ``<bdi>`` or ``dir="auto"``; on a left-to-right page the text is unchanged."""
    text = str(value)
    if not text or not translation.get_language_bidi():
        return text
    return "\n".join(
        f"{LEFT_TO_RIGHT_MARK}{line}{LEFT_TO_RIGHT_MARK}" if _first_strong(line) == "ltr" else line
        for line in text.split("\n")
    )


@register.simple_tag
def language_buttons(choices: list[Choice]) -> SafeString:
    """``includes/language_buttons.html`` written in Python, byte for byte, once per set of
    choices (a few per process): one button per language but the current one, each named in
    its own language. The header's switch is on every page; tests/core/test_languages.py
    compares it with the template."""
    return _buttons(tuple(choices))


@functools.cache
def _buttons(choices: tuple[Choice, ...]) -> SafeString:
    written = "".join(
        f'<button class="kring-linkbutton" type="submit" name="language" '
        f'value="{html.escape(choice.code)}" lang="{html.escape(choice.code)}" '
        f'dir="{"rtl" if choice.rtl else "ltr"}">{html.escape(choice.name)}</button>'
        for choice in choices
        if not choice.current
    )
    return mark_safe(written + "\n")  # noqa: S308 - every value escaped above
