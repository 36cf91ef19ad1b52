"""Participants and requesters in six languages (issue 20): every page, email and letter they
get renders in nl, en, tr, ar, pl and uk without a template error and without a text left in
Dutch or English; staff pages stay Dutch or English; Arabic is right to left; the PDFs carry
Arabic and Ukrainian in logical order."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from functools import cache
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from kring.cases import emails
from kring.cases.models import Case, CaseEvent, Status
from kring.circle import links
from kring.circle.models import Participant
from kring.core import dates, languages
from kring.followup import services as follow_up_services
from kring.followup.models import FollowUp
from kring.meetings.models import DateOption, Meeting
from tests.cases.test_requests import VALID
from tests.factories import DUE, ready_for_follow_up
from tests.portal.test_own_page_phases import person, scheduled, set_status

LANGUAGES = [code for code, _name in settings.LANGUAGES]
NEW = ["tr", "ar", "pl", "uk"]
LOCALE = Path(settings.LOCALE_PATHS[0])
PORTAL_URL = "http://testserver/p/voorbeeld/"


# --- Leftovers -------------------------------------------------------------------------------

SPLIT = re.compile(r"%\([A-Za-z_]+\)[sdfi]|%[sdfi]|\{\{[^}]*\}\}|\{[A-Za-z_]+\}|<[^>]+>|\n")


def _fragments(text: str) -> set[str]:
    """The literal pieces of a source text that would show unchanged if left untranslated:
    long enough (20 characters, two words) that a name or an address does not match them."""
    pieces = (" ".join(piece.split()) for piece in SPLIT.split(text))
    return {piece for piece in pieces if len(piece) >= 20 and " " in piece}


@cache
def _sources() -> frozenset[str]:
    """Every English source text and its Dutch translation, in pieces."""
    found: set[str] = set()
    for entry in polib.pofile(str(LOCALE / "nl" / "LC_MESSAGES" / "django.po")):
        if entry.obsolete or not entry.msgid:
            continue
        for text in (entry.msgid, entry.msgid_plural, entry.msgstr, *entry.msgstr_plural.values()):
            found |= _fragments(text or "")
    return frozenset(found)


@cache
def _kept(language: str) -> str:
    """All of a catalogue's translations: a piece the translator kept as it was (a name)."""
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    texts = [e.msgstr for e in catalogue] + [s for e in catalogue for s in e.msgstr_plural.values()]
    return " ".join(" ".join(text.split()) for text in texts)


def leftovers(output: str, language: str) -> list[str]:
    """Texts in Dutch or English left in ``output`` that should be in ``language``."""
    if language not in NEW:
        return []
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", output)).split())
    kept = _kept(language)
    return sorted(piece for piece in _sources() if piece in text and piece not in kept)


def test_the_leftover_check_finds_dutch_and_english():
    dutch = "<p>Doet u mee aan de conferentie? Laat het ons weten.</p>"
    english = "<p>Thank you: your dates are saved.</p>"
    assert leftovers(english, "tr") == ["Thank you: your dates are saved."]
    assert leftovers(dutch + english, "nl") == []
    found = leftovers("<h2>Wat is een Eigen Kracht-conferentie?</h2>", "ar")
    assert found == ["Wat is een Eigen Kracht-conferentie?"]


def assert_in_language(output: str, language: str, where: str) -> None:
    assert leftovers(output, language) == [], f"{where} in {language}"


# --- The pages ---------------------------------------------------------------------------


def page_language(text: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([a-z]+)" dir="(ltr|rtl)"', text)
    assert found, text[:200]
    return found.group(1), found.group(2)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_own_page_in_every_phase(world, client, language):
    case = world.case
    start = timezone.now() + dt.timedelta(days=20)
    DateOption.objects.create(case=case, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    jan = person(case, language=language)
    url = reverse("portal", args=[links.issue(jan)])
    pages = {"before the meeting": client.get(url)}
    # Forms with errors are part of the page too.
    pages["a form with errors"] = client.post(url, {"action": "suggest", "name": ""})
    pages["no date chosen"] = client.post(url, {"action": "dates"})
    scheduled(case)
    pages["the meeting is set"] = client.get(url)
    set_status(case, Status.HELD)
    pages["after the meeting, no plan yet"] = client.get(url)

    for name, response in pages.items():
        assert response.status_code in (200, 400), name
        assert page_language(response.text) == (language, "rtl" if language == "ar" else "ltr")
        assert_in_language(response.text, language, f"the own page, {name}")


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_own_page_after_the_meeting_and_the_questionnaire(world, client, language):
    made = ready_for_follow_up(world)
    follow_up_services.open_due(DUE)
    anna = made.people["anna"]  # consent given: the questions are waiting
    Participant.objects.filter(pk=anna.pk).update(language=language)
    url = reverse("portal", args=[links.issue(anna)])
    page = client.get(url)
    assert 'id="the-plan"' in page.text and 'id="follow-up"' in page.text
    assert_in_language(page.text, language, "the plan and the questionnaire")
    unanswered = client.post(url, {"action": "follow_up"})
    assert_in_language(unanswered.text, language, "the questionnaire with errors")
    plan = client.get(reverse("portal_plan_pdf", args=[url.split("/")[2]]))
    assert plan.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pages_without_a_link_and_the_request_form(world, client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    pages = {
        "link not valid": client.get("/p/niet-geldig/"),
        "link not valid, asked in the address": client.get(f"/p/niet-geldig/?taal={language}"),
        "new link": client.get(reverse("new_link")),
        "new link sent": client.post(reverse("new_link"), {"address": "niemand@voorbeeld.test"}),
        "letter code": client.get(reverse("portal_code")),
        "letter code wrong": client.post(reverse("portal_code"), {"code": "AAAAA-AAAAA"}),
        "request form": client.get(reverse("request_form")),
        "request form with errors": client.post(reverse("request_form"), {"consent": ""}),
        "home": client.get(reverse("home")),
        "privacy": client.get(reverse("privacy")),
        "contact": client.get(reverse("contact")),
        "accessibility": client.get(reverse("accessibility_statement")),
    }
    for name, response in pages.items():
        assert response.status_code < 500, name
        assert page_language(response.text)[0] == language, name
        assert_in_language(response.text, language, name)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_request_and_its_confirmation_in_the_language_used(world, client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(reverse("request_form"), VALID)
    assert response.status_code == 302
    case = Case.objects.exclude(pk=world.case.pk).get()
    assert case.requester_language == language
    received = client.get(response["Location"])
    assert page_language(received.text)[0] == language
    # Asked in the address instead of the cookie: the same.
    if language != "nl":
        other = Client()
        form = other.get(reverse("request_form") + f"?taal={language}").text
        assert f'action="/aanvragen/?taal={language}"' in form
        other.post(reverse("request_form") + f"?taal={language}", VALID)
        asked = Case.objects.exclude(pk__in=[world.case.pk, case.pk]).get()
        assert asked.requester_language == language
        assert page_language(other.get(reverse("request_received")).text)[0] == language
    assert_in_language(received.text, language, "request received")
    # The reference reads left to right inside any text.
    assert f'<bdi dir="ltr">{case.reference}</bdi>' in received.text
    # The confirmation goes out in the language stored on the case.
    email = emails.compose(
        "request_received",
        {"case": case, "intake_days": settings.KRING_NORM_INTAKE_DAYS},
        to="sanne@voorbeeld.test",
        language=case.requester_language,
    )
    html_body = str(email.alternatives[0][0])
    assert f'lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}"' in html_body
    for part in (email.subject, email.body, html_body):
        assert_in_language(str(part), language, "the request confirmation")


# --- Emails and letters --------------------------------------------------------------------

PARTICIPANT_EMAILS = [
    "personal_link",
    "meeting_invitation",
    "meeting_update",
    "meeting_reminder",
    "meeting_cancellation",
    "plan_copy",
    "followup_invitation",
    "followup_reminder",
    "request_accepted",
    "request_declined",
    "request_received",
    "conference_set",
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_participant_email_in_every_language(world, language):
    made = ready_for_follow_up(world)
    case = made.case
    participant = made.people["anna"]
    meeting = Meeting.objects.get(case=case)
    context = {
        "case": case,
        "participant": participant,
        "person": participant,
        "questions": list(case.questions.all()),
        "url": PORTAL_URL,
        "portal_url": PORTAL_URL,
        "meeting": meeting,
        "starts_at": meeting.starts_at,
        "version": made.version,
        "reason": "Er is al hulp.",
        "changed": False,
        "intake_days": settings.KRING_NORM_INTAKE_DAYS,
        "follow_up": FollowUp.objects.filter(case=case).first(),
    }
    for kind in PARTICIPANT_EMAILS:
        email = emails.compose(
            kind,
            {**context, "kind": kind.removeprefix("meeting_")},
            to="a@b.test",
            language=language,
        )
        html_body = str(email.alternatives[0][0])
        direction = "rtl" if language == "ar" else "ltr"
        assert f'<html lang="{language}" dir="{direction}">' in html_body, kind
        assert f'<body dir="{direction}"' in html_body, kind
        for part in (email.subject, email.body, html_body):
            assert_in_language(str(part), language, f"email {kind}")


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_calendar_file_in_every_language(world, language):
    from icalendar import Calendar

    from kring.meetings.calendar import meeting_ics

    made = ready_for_follow_up(world)
    anna = made.people["anna"]
    Participant.objects.filter(pk=anna.pk).update(language=language)
    anna.refresh_from_db()
    meeting = Meeting.objects.get(case=made.case)
    for method in ("REQUEST", "CANCEL"):
        event = Calendar.from_ical(
            meeting_ics(meeting, anna, method=method, portal_url=PORTAL_URL)
        ).walk("VEVENT")[0]
        for field in ("SUMMARY", "DESCRIPTION"):
            assert_in_language(str(event[field]), language, f".ics {method} {field}")


@pytest.fixture
def letters_as_html(monkeypatch):
    """The letters' HTML instead of their PDF: a leftover is easier to find in it."""
    import kring.circle.letters
    import kring.followup.letters
    import kring.meetings.letters
    import kring.plans.document

    for module in (
        kring.circle.letters,
        kring.followup.letters,
        kring.meetings.letters,
        kring.plans.document,
    ):
        monkeypatch.setattr(module, "pdf_ua", lambda html: html.encode())


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_letter_in_every_language(world, letters_as_html, language):
    from kring.circle.letters import information_letter_pdf
    from kring.followup.letters import invitation_pdf
    from kring.followup.models import Respondent
    from kring.meetings.letters import invitation_letter_pdf
    from kring.plans import document

    made = ready_for_follow_up(world)
    follow_up_services.open_due(DUE)
    anna = made.people["anna"]
    Participant.objects.filter(pk=anna.pk).update(language=language)
    anna.refresh_from_db()
    meeting = Meeting.objects.get(case=made.case)
    letters = {
        "information": information_letter_pdf(
            anna, portal_url=PORTAL_URL, portal_code="ABCDE-FGHIJ"
        ),
        "plan": document.plan_letter_pdf(made.version, anna, portal_url=PORTAL_URL),
        "follow-up": invitation_pdf(
            Respondent.objects.get(participant=anna, follow_up__case=made.case),
            portal_url=PORTAL_URL,
        ),
    }
    for kind in ("invitation", "update", "reminder", "cancellation"):
        letters[kind] = invitation_letter_pdf(meeting, anna, kind=kind, portal_url=PORTAL_URL)
    for name, letter in letters.items():
        text = letter.decode()
        assert page_language(text) == (language, "rtl" if language == "ar" else "ltr"), name
        assert_in_language(text, language, f"letter {name}")


# --- PDFs: Arabic shaped and right to left, Ukrainian in Cyrillic ----------------------------


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def pdf_fonts(pdf: bytes) -> set[str]:
    found = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        found |= {str(font.get_object()["/BaseFont"]) for font in resources["/Font"].values()}
    return found


def translated(language: str, msgid: str) -> str:
    with translation.override(language):
        return str(translation.gettext(msgid))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ar", "uk"])
def test_the_plan_and_a_letter_in_arabic_and_ukrainian(world, language):
    from kring.meetings.letters import invitation_letter_pdf
    from kring.plans import document

    made = ready_for_follow_up(world)
    anna = made.people["anna"]
    Participant.objects.filter(pk=anna.pk).update(language=language)
    anna.refresh_from_db()
    plan_pdf = document.plan_pdf(made.version, language)
    plan = pdf_text(plan_pdf)
    fonts = pdf_fonts(plan_pdf)
    # Arabic in Amiri, Cyrillic in DejaVu Sans (Amiri has none).
    assert any(("Amiri" if language == "ar" else "DejaVu") in font for font in fonts), fonts
    heading = translated(language, "What we do if something does not work")
    assert heading != "What we do if something does not work"
    # A question the circle wrote in Dutch keeps its question mark at its end.
    question = made.case.questions.first()
    assert question is not None and " ".join(question.text.split()) in plan
    # The words in logical order, as a reader reads them.
    assert " ".join(heading.split()) in plan
    # The day in words, in the language's own format. (A text extractor gives mixed Arabic
    # and numbers in visual order, so the date is checked in Ukrainian only.)
    if language == "uk":
        with translation.override(language):
            assert dates.short_day(made.version.finalised_at) in plan

    meeting = Meeting.objects.get(case=made.case)
    Participant.objects.filter(pk=anna.pk).update(postal_address="Molenstraat 5\n1053 AB Amsterdam")
    anna.refresh_from_db()
    letter = pdf_text(
        invitation_letter_pdf(meeting, anna, kind="invitation", portal_url=PORTAL_URL)
    )
    # The address in the envelope's window reads left to right, as the post reads it.
    assert "1053 AB Amsterdam" in letter
    # A sentence of the letter's own, whole and in reading order. (A text extractor gives a
    # line that mixes Arabic with Latin names or numbers in visual order, so the sentences
    # checked are in one script.)
    # A full stop at the end of an Arabic line lands at its left edge, so it is left out.
    sentence = translated(language, "Everyone may speak; nobody has to.")
    assert sentence != "Everyone may speak; nobody has to."
    assert " ".join(sentence.rstrip(".").split()) in letter, sentence
    assert anna.name in letter
    assert made.case.reference in letter  # the reference whole, left to right


# --- Choosing the language ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_participant_chooses_their_language_on_their_own_page(world, client):
    jan = person(world.case, language="nl")
    url = reverse("portal", args=[links.issue(jan)])
    page = client.get(url).text
    # Every other language, named in itself, with its lang attribute.
    for code in ("en", "tr", "ar", "pl", "uk"):
        name = languages.NATIVE_NAMES[code]
        assert f'value="{code}" lang="{code}"' in page and f">{name}</button>" in page
    version = Participant.objects.get(pk=jan.pk).version
    response = client.post(url, {"action": "language", "language": "ar"})
    assert response.status_code == 302
    jan.refresh_from_db()
    assert jan.language == "ar" and jan.text_language == "ar"
    assert jan.version == version + 1
    event = CaseEvent.objects.filter(case=world.case, action="participant.changed").last()
    assert event is not None and event.data["fields"] == ["language"]
    assert event.actor is None
    page = client.get(url).text
    assert page_language(page) == ("ar", "rtl")
    # One modest line says the translation is not yet checked, with Dutch a click away.
    notice = translated(
        "ar",
        "This translation was made with the help of a computer and has not yet been checked "
        "by a native speaker.",
    )
    assert notice in page and 'href="?taal=nl"' in page
    dutch = client.get(url + "?taal=nl").text
    assert page_language(dutch) == ("nl", "ltr")
    assert Participant.objects.get(pk=jan.pk).language == "ar"  # the choice stays
    assert "kring-translation-note" not in dutch
    assert client.post(url, {"action": "language", "language": "so"}).status_code == 400
    # Later messages go out in the language chosen.
    message = emails.personal_link(Participant.objects.get(pk=jan.pk), PORTAL_URL)
    assert 'lang="ar" dir="rtl"' in message.body_html
    assert_in_language(message.subject + message.body_text + message.body_html, "ar", "link")


@pytest.mark.django_db
@pytest.mark.parametrize("language", NEW)
def test_staff_pages_stay_dutch_or_english(world, client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    sign_in = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE=language)
    assert page_language(sign_in.text) == ("nl", "ltr")
    client.force_login(world.coordinator)
    for url in (reverse("start"), reverse("request_form"), reverse("home")):
        response = client.get(url, follow=True)
        assert page_language(response.text)[0] in settings.KRING_STAFF_LANGUAGES, url
    # The staff switch offers the other of Dutch and English only.
    switch = re.findall(r'name="language" value="([a-z]+)"', response.text)
    assert switch == ["en"]
    # Asking in the address changes nothing for staff either.
    asked = client.get(reverse("start") + f"?taal={language}", follow=True)
    assert page_language(asked.text)[0] == "nl"


@pytest.mark.django_db
def test_the_public_switch_offers_six_languages(client):
    page = client.get(reverse("request_form"), HTTP_ACCEPT_LANGUAGE="nl").text
    offered = re.findall(r'name="language" value="([a-z]+)" lang="([a-z]+)"', page)
    assert [code for code, _lang in offered] == ["en", "tr", "ar", "pl", "uk"]
    assert all(code == lang for code, lang in offered)
    assert 'lang="ar" dir="rtl">العربية</button>' in page
    response = client.post(reverse("set_language"), {"language": "uk", "next": "/aanvragen/"})
    assert response.status_code == 302
    assert page_language(client.get("/aanvragen/").text) == ("uk", "ltr")
    # From a page whose address asks for a language, the switch still wins.
    asked = client.get("/aanvragen/?taal=ar").text
    assert 'name="next" value="/aanvragen/"' in asked


def test_text_people_wrote_keeps_its_own_direction_in_arabic():
    from kring.core.templatetags.kring_i18n import ltr_mark, own_direction

    mark = "\u200e"
    with translation.override("ar"):
        assert own_direction("Hoe kan het?\nكيف الحال؟") == f"{mark}Hoe kan het?{mark}\nكيف الحال؟"
        assert ltr_mark("EK-2026-00017") == f"{mark}EK-2026-00017{mark}"
    with translation.override("uk"):
        assert own_direction("Hoe kan het?") == "Hoe kan het?"
        assert ltr_mark("EK-2026-00017") == "EK-2026-00017"


def test_dates_in_each_language_s_format():
    day = dt.datetime(2026, 12, 14, 18, 30, tzinfo=dt.UTC)  # 19:30 in Amsterdam
    expected = {
        "nl": "maandag 14 december 2026",
        "en": "Monday 14 December 2026",
        "tr": "14 Aralık 2026 Pazartesi",
        "pl": "poniedziałek, 14 grudnia 2026",
        "uk": "понеділок, 14 грудня 2026",
    }
    for language, words in expected.items():
        with translation.override(language):
            assert dates.day(day) == words
    with translation.override("ar"):
        assert "ديسمبر" in dates.day(day) and "2026" in dates.day(day)
    late = dt.datetime(2026, 12, 14, 23, 30, tzinfo=dt.UTC)  # already the 15th in Amsterdam
    with translation.override("nl"):
        assert dates.short_day(late) == "15 december 2026"
