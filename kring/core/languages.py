"""Which languages Kring speaks, to whom.

Participants and requesters (no account) may use any of ``settings.LANGUAGES``: Dutch, English,
Turkish, Arabic, Polish and Ukrainian. Staff pages stay Dutch and English
(``settings.KRING_STAFF_LANGUAGES``): a signed-in user, or anyone on a page that is not one of
the public or participant pages, never gets a page in another language, whatever the cookie or
the browser asks for.

A language switch names each language in that language ("Türkçe", "العربية"), so that a reader
finds their own without reading the current one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

# Each language's own name for itself; never translated.
NATIVE_NAMES = {
    "nl": "Nederlands",
    "en": "English",
    "tr": "Türkçe",
    "ar": "العربية",
    "pl": "Polski",
    "uk": "Українська",
}
RIGHT_TO_LEFT = frozenset({"ar"})
# Translations a native speaker has checked (docs/translations.md says who and when). Until a
# language is here, the participant's page says so in one line, with the Dutch text a click
# away. Dutch is the original; English is the development team's own.
REVIEWED = frozenset({"nl", "en"})

QUERY = "taal"
# The pages a participant or requester uses without an account; everything else is staff's.
PUBLIC_PATHS = frozenset({"/"})
PUBLIC_PREFIXES = (
    "/p/",
    "/code/",
    "/aanvragen/",
    "/privacy/",
    "/contact/",
    "/toegankelijkheidsverklaring/",
)


@dataclass(frozen=True)
class Choice:
    code: str
    name: str  # in its own language
    current: bool
    rtl: bool


def participant_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def unreviewed(language: str | None) -> bool:
    return bool(language) and language not in REVIEWED


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def offered(request: HttpRequest) -> list[str]:
    """The languages this request's pages may be shown in."""
    user = getattr(request, "user", None)
    if (user is not None and user.is_authenticated) or not is_public(request.path):
        return list(settings.KRING_STAFF_LANGUAGES)
    return participant_languages()


def choices(codes: list[str], current: str | None = None) -> list[Choice]:
    current = current or translation.get_language() or settings.LANGUAGE_CODE
    return [
        Choice(code, NATIVE_NAMES[code], code == current, code in RIGHT_TO_LEFT) for code in codes
    ]


class StaffLanguageMiddleware:
    """Keep staff pages in Dutch or English: after ``LocaleMiddleware`` chose a language from the
    cookie or the browser, a page that may not have it falls back to the site's language.
    Runs after ``AuthenticationMiddleware``, which tells a signed-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        allowed = offered(request)
        asked = asked_for(request)
        if asked in allowed:
            language = asked
        elif translation.get_language() in allowed:
            return self.get_response(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return self.get_response(request)


def asked_for(request: HttpRequest) -> str:
    """The language in the address (``?taal=tr``): the pages that send no referrer (a bad
    link, a letter's code, the own page) switch language with a link, not a form, because a
    browser posts their forms with ``Origin: null``, which a CSRF check refuses. It holds for
    that one page; the forms on it keep it in their address (``language_query``)."""
    asked = request.GET.get(QUERY, "")
    return asked if asked in participant_languages() else ""


def next_path(request: HttpRequest) -> str:
    """Where the language switch returns to: this page, without a language in its address
    (which would otherwise win over the language just chosen)."""
    params = request.GET.copy()
    params.pop(QUERY, None)
    return f"{request.path}?{params.urlencode()}" if params else request.path


def query(request: HttpRequest) -> str:
    """``?taal=xx`` to keep a language asked for in the address on a form's address."""
    asked = asked_for(request)
    return f"?{QUERY}={asked}" if asked and asked in offered(request) else ""
