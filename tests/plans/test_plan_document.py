"""The plan as a document (phase 5): the PDF made from a frozen version — its text checked
against the plan, its PDF/UA-1 marker, embedded fonts and language — the covering letter,
and the versions: an old version's PDF stays the same after a new one is made."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from kring.audit.models import AccessLog
from kring.plans import document, services
from tests.factories import ANSWER, CONTINGENCY, MONITOR_NOTE, QUESTION, Made, make_plan


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def made(world) -> Made:
    return make_plan(world.coordinator, world.case)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def embedded_fonts(reader: PdfReader) -> set[str]:
    names: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        fonts: Any = resources.get("/Font", {}).get_object()
        for font in fonts.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            owner = descendants.get_object()[0].get_object() if descendants else font
            descriptor = owner["/FontDescriptor"].get_object()
            if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(descriptor["/FontName"]).lstrip("/").split("+", 1)[-1])
    return names


# --- Presenting the content -------------------------------------------------------------


@pytest.mark.django_db
def test_present_puts_the_frozen_content_into_words(made):
    plan = document.present(made.version, "en")
    assert plan["title"] == f"Plan — Eigen Kracht-conferentie {made.case.place}"
    assert plan["reference"] == made.case.reference
    assert plan["meeting_when"] == "Monday 30 November 2026, from 19:30 to 22:00"
    assert plan["venue"] == "Buurthuis De Pijp, Molenstraat 12, Utrecht"
    assert plan["number"] == 1
    first, second, third = plan["agreements"][:3]
    assert first["when"] == "from 2 December 2026 to 1 January 2027"  # 1: a period
    assert first["who"] == ["Bram Smit", "Carla Dekker"]
    assert second["when"] == "elke maandagavond (ronde 2)"  # 2: recurring
    assert second["who"] == ["Wim Wijkagent"]
    assert third["when"] == "on Friday 4 December 2026"  # 3: a date
    assert third["who"] == ["Woningcorporatie Mitros"]
    assert plan["requests"][0]["reply"] == "agreed"
    assert plan["requests"][1]["reply"] == "no answer yet"
    assert plan["evaluations"][0]["date"] == "Friday 15 January 2027"
    assert plan["bottom_lines"][0]["state"] == "The plan meets this bottom line."
    assert plan["endorsed"] == 2
    dutch = document.present(made.version, "nl")
    assert dutch["meeting_when"].startswith("maandag 30 november 2026, van 19:30 tot 22:00")
    assert dutch["agreements"][2]["when"].endswith("vrijdag 4 december 2026")


@pytest.mark.django_db
def test_the_filename(made):
    assert document.filename(made.version) == f"plan-{made.case.reference}-v1.pdf"


# --- The PDF ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pdf_holds_the_whole_plan(made):
    pdf = document.plan_pdf(made.version, "en")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    flat = squeezed(text)
    assert squeezed(f"Plan — Eigen Kracht-conferentie {made.case.place}") in flat
    assert made.case.reference in text
    assert squeezed("Monday 30 November 2026, from 19:30 to 22:00") in flat
    assert "Buurthuis De Pijp" in text
    assert squeezed("Version 1 of") in flat
    # The questions with the circle's answers.
    assert squeezed(QUESTION) in flat and squeezed(ANSWER) in flat
    assert squeezed("Met een groepsapp en elke maand koffie.") in flat
    # Every agreement: what, who, where and when.
    shown = document.present(made.version, "en")["agreements"]
    for agreement, words in zip(made.agreements, shown, strict=True):
        assert squeezed(agreement["what"]) in flat
        assert squeezed(agreement["where"]) in flat
        assert squeezed(words["when"]) in flat
        for person in agreement["who"]:
            assert person.name in text
        if agreement["who_organisation"]:
            assert squeezed(agreement["who_organisation"]) in flat
    # Requests with their answers, who watches over it, evaluation, contingency.
    assert squeezed("Repareer de verlichting op het plein.") in flat
    assert squeezed("agreed: voor 1 februari") in flat
    assert squeezed("Loop vaker langs in de avond.") in flat
    assert squeezed("no answer yet") in flat
    assert squeezed(MONITOR_NOTE) in flat
    assert squeezed("Anna de Boer, Wim Wijkagent") in flat
    assert squeezed("Friday 15 January 2027 — Iedereen in het buurthuis") in flat
    assert squeezed("Monday 1 March 2027 — Anna en Wim bellen iedereen") in flat
    assert squeezed(CONTINGENCY) in flat
    # The bottom line, and whether the plan meets it.
    assert squeezed("Niemand wordt bedreigd of uitgescholden.") in flat
    assert squeezed("The plan meets this bottom line.") in flat
    # Who took part (present at the meeting), and who endorsed.
    assert squeezed("2 of 4 agreed with the plan.") in flat
    assert squeezed("Anna de Boer — agreed with the plan") in flat
    assert squeezed("Wim Wijkagent (Politie Utrecht) — agreed with the plan") in flat
    assert "Carla Dekker" in text and "Bram Smit" in text
    # Those who declined took no part.
    assert "Dirk Bos" not in text and "Eva Mol" not in text


@pytest.mark.django_db
def test_the_pdf_is_tagged_pdf_ua_with_embedded_fonts_and_its_language(made):
    for language in ("nl", "en"):
        reader = PdfReader(io.BytesIO(document.plan_pdf(made.version, language)))
        xmp = reader.xmp_metadata
        assert xmp is not None
        data = xmp.stream.get_data()
        assert b"pdfuaid" in data
        assert re.search(rb"pdfuaid:part(>|=\")1", data)
        assert embedded_fonts(reader) >= {"DejaVu-Sans", "DejaVu-Sans-Bold"}
        catalog: Any = reader.trailer["/Root"]
        assert "/StructTreeRoot" in catalog
        assert catalog["/MarkInfo"]["/Marked"]
        assert catalog["/Lang"] == language
        title = reader.metadata.title if reader.metadata else None
        assert title is not None and made.case.place in title and title.startswith("Plan")


@pytest.mark.django_db
def test_the_dutch_pdf(made):
    text = pdf_text(document.plan_pdf(made.version, "nl"))
    assert "maandag 30 november 2026" in text
    assert "Monday" not in text
    # A language Kring does not speak gives Kring's own.
    assert "maandag 30 november 2026" in pdf_text(document.plan_pdf(made.version, "so"))


@pytest.mark.django_db
def test_a_plan_without_a_meeting(world):
    made = make_plan(world.coordinator, world.case, agreements=2, with_meeting=False)
    assert made.version.content["meeting"] is None
    text = pdf_text(document.plan_pdf(made.version, "en"))
    assert "Plan without a meeting" in text
    # Without a meeting, everyone who said yes took part.
    assert "Carla Dekker" in text and "Dirk Bos" not in text


@pytest.mark.django_db
def test_the_letter_for_someone_without_email(made):
    carla = made.people["carla"]
    url = "https://kring.test/p/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/"
    pdf = document.plan_letter_pdf(made.version, carla, portal_url=url)
    reader = PdfReader(io.BytesIO(pdf))
    text = pdf_text(pdf)
    flat = squeezed(text)
    assert "Carla Dekker" in text and "Molenstraat 3" in text and "3512 AB Utrecht" in text
    assert "Beste Carla Dekker," in text  # her language is Dutch
    assert squeezed(url) in flat
    assert "30 november 2026" in text
    assert made.case.reference in text
    # The plan follows the letter.
    assert squeezed(CONTINGENCY) in flat and squeezed(QUESTION) in flat
    assert len(reader.pages) >= 2
    assert reader.xmp_metadata is not None
    assert b"pdfuaid" in reader.xmp_metadata.stream.get_data()
    assert reader.trailer["/Root"]["/Lang"] == "nl"  # type: ignore[index]
    assert embedded_fonts(reader) >= {"DejaVu-Sans", "DejaVu-Sans-Bold"}


# --- Versions ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_old_version_stays_as_it_was(world, client, made):
    user = world.coordinator
    # Version 1 reaches someone; a change after that makes version 2.
    from kring.plans.models import Delivery

    Delivery.objects.create(
        version=made.version, participant=made.people["carla"], channel="letter"
    )
    first_agreement = made.plan.agreements.order_by("order").first()
    assert first_agreement is not None
    services.update_item(
        first_agreement,
        {**made.agreements[0], "what": "Afspraak 1, gewijzigd: de lantaarnpalen vervangen"},
        user=user,
        version=None,
    )
    second = services.finalise(made.plan, user=user, version=None)
    assert second.number == 2 and second.pk != made.version.pk

    client.force_login(user)
    one = client.get(reverse("plan_pdf", args=[world.case.reference, 1]))
    two = client.get(reverse("plan_pdf", args=[world.case.reference, 2]))
    assert one.status_code == two.status_code == 200
    assert one["Content-Type"] == "application/pdf"
    assert f'filename="plan-{world.case.reference}-v1.pdf"' in one["Content-Disposition"]
    old, new = squeezed(pdf_text(one.content)), squeezed(pdf_text(two.content))
    assert squeezed("Afspraak 1: de lantaarnpaal bij nummer 1") in old
    assert squeezed("gewijzigd") not in old and squeezed("Version 1 of") in old
    assert squeezed("Afspraak 1, gewijzigd: de lantaarnpalen vervangen") in new
    assert squeezed("Version 2 of") in new
    assert client.get(reverse("plan_pdf", args=[world.case.reference, 3])).status_code == 404
    assert AccessLog.objects.filter(action="download", object_type="plan").exists()


@pytest.mark.django_db
def test_only_the_case_staff_get_the_pdf(world, client, made):
    url = reverse("plan_pdf", args=[world.case.reference, 1])
    for outsider in (world.other_coordinator, world.other_manager, world.researcher):
        client.force_login(outsider)
        assert client.get(url).status_code in (403, 404)
    client.force_login(world.manager)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_plan_with_40_agreements_is_whole_over_several_pages(world):
    """Its render time is measured by ``manage.py bench`` (against WeasyPrint's floor), not
    here: a test asserts what the document holds."""
    made = make_plan(world.coordinator, world.case, agreements=40)
    pdf = document.plan_pdf(made.version, "nl")
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1
    text = squeezed(pdf_text(pdf))
    assert all(squeezed(a["what"]) in text for a in made.agreements)
