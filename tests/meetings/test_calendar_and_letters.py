"""The calendar event (.ics) and the printed letter (PDF/UA) for a meeting."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from icalendar import Calendar, Event
from pypdf import PdfReader

from kring.cases.models import Assignment, ConferenceQuestion
from kring.circle.models import Category, Participant
from kring.meetings.calendar import meeting_ics
from kring.meetings.letters import invitation_letter_pdf
from kring.meetings.models import Meeting

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PORTAL_URL = (
    "https://kring.test/mijn/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/"
    "?taal=nl&uitnodiging=invitation"
)
QUESTION = "Hoe zorgen we samen dat iedereen zich weer veilig voelt op het plein?"


@dataclass
class Setting:
    meeting: Meeting
    anna: Participant  # Dutch, with email and postal address
    henk: Participant  # Dutch, letter only
    sam: Participant  # English, with email
    coordinator_name: str


@pytest.fixture
def setting(world) -> Setting:
    case = world.case
    ConferenceQuestion.objects.create(case=case, text=QUESTION, position=1)
    # The world's case already has the accepted assignment of `world.coordinator`.
    assert Assignment.objects.filter(
        case=case, coordinator=world.coordinator, state=Assignment.State.ACCEPTED
    ).exists()
    meeting = Meeting.objects.create(
        case=case,
        # Monday 30 November 2026, winter time (UTC+1).
        starts_at=dt.datetime(2026, 11, 30, 19, 30, tzinfo=AMSTERDAM),
        ends_at=dt.datetime(2026, 11, 30, 22, 0, tzinfo=AMSTERDAM),
        venue_name="Buurthuis De Pijp",
        venue_address="Molenstraat 12, 3512 AB Utrecht",
        venue_accessibility="Rolstoeltoegankelijk, lift aanwezig",
        catering="Soep en broodjes",
    )
    anna = Participant.objects.create(
        case=case,
        name="Anna de Boer",
        email="anna@voorbeeld.test",
        postal_address="Molenstraat 14\n3512 AB  Utrecht",
        language="nl",
        category=Category.RESIDENT,
    )
    henk = Participant.objects.create(
        case=case,
        name="Henk Mulder",
        postal_address="Molenstraat 3-bis\n\n3512 AC Utrecht\n",
        language="nl",
        category=Category.NEIGHBOUR,
    )
    sam = Participant.objects.create(
        case=case,
        name="Sam Taylor",
        email="sam@voorbeeld.test",
        postal_address="Kerkstraat 8\n3512 AD Utrecht",
        language="en",
        category=Category.RESIDENT,
    )
    return Setting(meeting, anna, henk, sam, world.coordinator.full_name)


def parse_event(ics: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(ics)
    events = calendar.events
    assert len(events) == 1
    return calendar, events[0]


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def embedded_fonts(reader: PdfReader) -> set[str]:
    """The fonts whose program is embedded in the PDF (FontFile, FontFile2 or FontFile3),
    without the subset prefix."""
    names: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        fonts: Any = resources.get("/Font", {}).get_object()
        for font in fonts.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor_owner = descendants.get_object()[0].get_object() if descendants else font
            descriptor = descriptor_owner["/FontDescriptor"].get_object()
            if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(descriptor["/FontName"]).lstrip("/").split("+", 1)[-1])
    return names


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- The calendar event -----------------------------------------------------------------


def test_the_invitation_event(setting, settings):
    settings.DEFAULT_FROM_EMAIL = "Kring <uitnodiging@kring.test>"
    ics = meeting_ics(setting.meeting, setting.anna, method="REQUEST", portal_url=PORTAL_URL)
    calendar, event = parse_event(ics)

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == "-//Kring//Eigen Kracht-conferentie//NL"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert str(event["UID"]) == setting.meeting.uid
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Eigen Kracht-conferentie – Bewoners van de Molenstraat"
    assert str(event["LOCATION"]) == "Buurthuis De Pijp, Molenstraat 12, 3512 AB Utrecht"
    assert QUESTION in str(event["DESCRIPTION"])
    assert PORTAL_URL in str(event["DESCRIPTION"])
    assert str(event["URL"]) == PORTAL_URL
    assert str(event["ORGANIZER"]) == "mailto:uitnodiging@kring.test"
    assert event["ORGANIZER"].params["CN"] == "Kring"
    stamp = event.decoded("DTSTAMP")
    assert stamp.utcoffset() == dt.timedelta(0)


def test_the_start_is_wall_time_in_amsterdam(setting):
    ics = meeting_ics(setting.meeting, setting.anna, method="REQUEST", portal_url=PORTAL_URL)
    calendar, event = parse_event(ics)

    assert b"DTSTART;TZID=Europe/Amsterdam:20261130T193000" in ics
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND")
    assert str(start.tzinfo) == "Europe/Amsterdam"
    assert (start.hour, start.minute) == (19, 30)
    assert (end.hour, end.minute) == (22, 0)
    # Winter time: Amsterdam is UTC+1.
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 11, 30, 18, 30, tzinfo=dt.UTC)
    assert start == setting.meeting.starts_at
    timezones = list(calendar.walk("VTIMEZONE"))
    assert [str(zone["TZID"]) for zone in timezones] == ["Europe/Amsterdam"]


def test_a_summer_meeting_is_utc_plus_two(setting):
    meeting = setting.meeting
    meeting.starts_at = dt.datetime(2027, 6, 14, 19, 30, tzinfo=AMSTERDAM)
    meeting.ends_at = dt.datetime(2027, 6, 14, 21, 30, tzinfo=AMSTERDAM)
    _calendar, event = parse_event(
        meeting_ics(meeting, setting.anna, method="REQUEST", portal_url=PORTAL_URL)
    )
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute) == (19, 30)
    assert start.astimezone(dt.UTC) == dt.datetime(2027, 6, 14, 17, 30, tzinfo=dt.UTC)


def test_the_uid_is_stable_and_the_sequence_follows_the_meeting(setting):
    meeting = setting.meeting
    first = parse_event(meeting_ics(meeting, setting.anna, method="REQUEST", portal_url=PORTAL_URL))
    again = parse_event(meeting_ics(meeting, setting.sam, method="REQUEST", portal_url=PORTAL_URL))
    assert str(first[1]["UID"]) == str(again[1]["UID"]) == meeting.uid
    # Issue 13: the UID's domain is the site's host (SITE_URL), fixed when first saved.
    assert meeting.uid.endswith("@" + settings.SITE_HOST)

    Meeting.objects.filter(pk=meeting.pk).update(
        sequence=3, starts_at=dt.datetime(2026, 12, 7, 19, 30, tzinfo=AMSTERDAM)
    )
    meeting.refresh_from_db()
    _calendar, moved = parse_event(
        meeting_ics(meeting, setting.anna, method="REQUEST", portal_url=PORTAL_URL)
    )
    assert str(moved["UID"]) == str(first[1]["UID"])
    assert moved["SEQUENCE"] == 3
    assert moved.decoded("DTSTART").day == 7


def test_the_cancellation_event(setting):
    meeting = setting.meeting
    meeting.sequence = 2
    ics = meeting_ics(meeting, setting.anna, method="CANCEL", portal_url=PORTAL_URL)
    calendar, event = parse_event(ics)
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 2
    assert str(event["UID"]) == meeting.uid


def test_the_attendee_only_with_an_email_address(setting):
    _calendar, event = parse_event(
        meeting_ics(setting.meeting, setting.anna, method="REQUEST", portal_url=PORTAL_URL)
    )
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:anna@voorbeeld.test"
    assert attendee.params["CN"] == "Anna de Boer"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "FALSE"

    ics = meeting_ics(setting.meeting, setting.henk, method="REQUEST", portal_url=PORTAL_URL)
    _calendar, event = parse_event(ics)
    assert "ATTENDEE" not in event
    assert b"ATTENDEE" not in ics


def test_the_english_participant_gets_english_texts(setting):
    _calendar, event = parse_event(
        meeting_ics(setting.meeting, setting.sam, method="REQUEST", portal_url=PORTAL_URL)
    )
    assert str(event["SUMMARY"]) == "Eigen Kracht-conferentie – Bewoners van de Molenstraat"
    description = str(event["DESCRIPTION"])
    assert description.startswith("Conference question:\n")
    assert f"Your personal page: {PORTAL_URL}" in description


def test_the_language_kring_writes_in(setting):
    assert setting.anna.text_language == "nl"
    assert setting.sam.text_language == "en"
    setting.henk.language = "ar"
    assert setting.henk.text_language == "ar"
    setting.henk.language = "so"  # Kring has no Somali texts: Dutch, the site's language
    assert setting.henk.text_language == "nl"


def test_a_bad_method_or_a_meeting_without_a_date_is_refused(setting):
    with pytest.raises(ValueError, match="method"):
        meeting_ics(setting.meeting, setting.anna, method="PUBLISH", portal_url=PORTAL_URL)
    undated = Meeting(case=setting.meeting.case, uid="undated@kring")
    with pytest.raises(ValueError, match="no date"):
        meeting_ics(undated, setting.anna, method="REQUEST", portal_url=PORTAL_URL)
    half = Meeting(
        case=setting.meeting.case,
        uid="half@kring",
        starts_at=dt.datetime(2026, 11, 30, 19, 30, tzinfo=AMSTERDAM),
    )
    with pytest.raises(ValueError, match="no date"):
        meeting_ics(half, setting.anna, method="CANCEL", portal_url=PORTAL_URL)


# --- The letter -------------------------------------------------------------------------


def test_the_dutch_invitation_letter(setting):
    pdf = invitation_letter_pdf(
        setting.meeting, setting.henk, kind="invitation", portal_url=PORTAL_URL
    )
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)

    assert "Henk Mulder" in text
    assert "Molenstraat 3-bis" in text
    assert "3512 AC Utrecht" in text
    assert "maandag 30 november 2026" in text
    assert "19:30" in text
    assert "22:00" in text
    assert "Buurthuis De Pijp" in text
    assert "Molenstraat 12, 3512 AB Utrecht" in text
    assert "Rolstoeltoegankelijk, lift aanwezig" in text
    assert squeezed(QUESTION) in squeezed(text)
    assert PORTAL_URL in squeezed(text)
    assert setting.coordinator_name in text
    assert setting.meeting.case.reference in text
    assert "Bewoners van de Molenstraat" in text


def test_the_letter_is_tagged_pdf_ua_with_embedded_fonts(setting):
    pdf = invitation_letter_pdf(
        setting.meeting, setting.anna, kind="invitation", portal_url=PORTAL_URL
    )
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.xmp_metadata
    assert xmp is not None
    assert b"pdfuaid" in xmp.stream.get_data()
    # WeasyPrint packs objects into compressed object streams: look through pypdf.
    assert embedded_fonts(reader) >= {"DejaVu-Sans", "DejaVu-Sans-Bold"}
    catalog: Any = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "nl"
    assert catalog["/MarkInfo"]["/Marked"]
    title = reader.metadata.title if reader.metadata else None
    assert title is not None
    assert "Bewoners van de Molenstraat" in title


def test_the_english_letter(setting):
    pdf = invitation_letter_pdf(
        setting.meeting, setting.sam, kind="invitation", portal_url=PORTAL_URL
    )
    text = pdf_text(pdf)
    assert "Sam Taylor" in text
    assert "Kerkstraat 8" in text
    assert "Monday 30 November 2026" in text
    assert "Dear Sam Taylor," in text
    assert "Food and drink are provided." in text
    assert "november" not in text
    assert PORTAL_URL in squeezed(text)
    catalog: Any = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert catalog["/Lang"] == "en"


def test_a_participant_in_another_language_gets_the_dutch_letter(setting):
    setting.henk.language = "so"
    text = pdf_text(
        invitation_letter_pdf(setting.meeting, setting.henk, kind="reminder", portal_url=PORTAL_URL)
    )
    assert "maandag 30 november 2026" in text


def test_the_cancellation_letter(setting):
    pdf = invitation_letter_pdf(
        setting.meeting, setting.sam, kind="cancellation", portal_url=PORTAL_URL
    )
    text = squeezed(pdf_text(pdf))
    assert squeezed("Cancelled: Eigen Kracht-conferentie Bewoners van de Molenstraat") in text
    assert squeezed("on Monday 30 November 2026 is cancelled") in text
    assert squeezed("The coordinator will be in touch") in text
    assert squeezed("What to expect") not in text


@pytest.mark.parametrize(("kind", "subject"), [("update", "Changed:"), ("reminder", "Reminder:")])
def test_the_update_and_the_reminder_letters(setting, kind, subject):
    text = pdf_text(
        invitation_letter_pdf(setting.meeting, setting.sam, kind=kind, portal_url=PORTAL_URL)
    )
    assert f"{subject} Eigen Kracht-conferentie" in text
    assert "Monday 30 November 2026" in text
    assert PORTAL_URL in squeezed(text)


def test_without_an_accepted_coordinator_the_letter_is_signed_by_the_coordinator(setting):
    Assignment.objects.filter(case=setting.meeting.case).update(state=Assignment.State.ENDED)
    text = pdf_text(
        invitation_letter_pdf(
            setting.meeting, setting.sam, kind="invitation", portal_url=PORTAL_URL
        )
    )
    assert setting.coordinator_name not in text
    assert "The coordinator" in text


def test_a_bad_kind_is_refused(setting):
    with pytest.raises(ValueError, match="kind"):
        invitation_letter_pdf(setting.meeting, setting.sam, kind="summons", portal_url=PORTAL_URL)
