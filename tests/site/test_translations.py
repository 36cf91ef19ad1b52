import gettext
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "nl" / "LC_MESSAGES"


def test_the_dutch_catalogue_is_complete():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    assert len(catalogue) > 200
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_the_compiled_catalogue_matches_the_source():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    with open(CATALOGUE / "django.mo", "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            assert (
                translations.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
            )
        elif entry.msgctxt:
            assert translations.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert translations.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_every_translatable_text_is_in_the_catalogue(tmp_path):
    """What makemessages would extract from the code and templates now is all in the Dutch
    catalogue: a new text without a translation fails here, not in front of a user."""
    import shutil
    import subprocess

    from django.utils.translation.template import templatize

    from tests.conftest import skip_or_fail

    xgettext = shutil.which("xgettext") or ""
    if not xgettext:
        skip_or_fail("xgettext (Debian package gettext) is not installed")
    root = Path(settings.BASE_DIR) / "kring"
    sources = [p for p in root.rglob("*.py") if "migrations" not in p.parts]
    for number, template in enumerate(sorted(root.rglob("templates/**/*.*"))):
        if template.suffix not in {".html", ".txt"}:
            continue
        converted = tmp_path / f"template_{number}.py"
        converted.write_text(templatize(template.read_text(encoding="utf-8"), origin=str(template)))
        sources.append(converted)
    result = subprocess.run(  # noqa: S603 - a fixed program on the project's own files
        [
            xgettext,
            "--language=Python",
            "--from-code=UTF-8",
            "--keyword=gettext_noop",
            "--keyword=gettext_lazy",
            "--keyword=ngettext_lazy:1,2",
            "--keyword=pgettext:1c,2",
            "--keyword=npgettext:1c,2,3",
            "--keyword=pgettext_lazy:1c,2",
            "--keyword=npgettext_lazy:1c,2,3",
            "--output=-",
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    extracted = {(e.msgctxt, e.msgid) for e in polib.pofile(result.stdout) if e.msgid}
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    translated = {
        (e.msgctxt, e.msgid)
        for e in catalogue
        if not e.obsolete and e.translated() and "fuzzy" not in e.flags
    }
    missing = sorted(msgid for _ctx, msgid in extracted - translated)
    assert missing == [], f"{len(missing)} texts lack a Dutch translation: {missing[:20]}"


# --- Broken entries ------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdfi]|%[sdfi]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")


def _pairs(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(English, Dutch) for each form of an entry: singular and plural."""
    if entry.msgid_plural:
        return [
            (entry.msgid, entry.msgstr_plural.get(0, "")),
            (entry.msgid_plural, entry.msgstr_plural.get(1, "")),
        ]
    return [(entry.msgid, entry.msgstr)]


def broken(english: str, dutch: str) -> list[str]:
    """What is wrong with one translation, in words; nothing for a plausible one."""
    problems = []
    # Dutch runs longer than English, not shorter: a translation of under a third of a
    # sentence's length is a fragment (the plan's heading once read "D" / "e").
    if len(english) > 12 and len(dutch) < 0.3 * len(english):
        problems.append("implausibly short")
    if sorted(PLACEHOLDER.findall(english)) != sorted(PLACEHOLDER.findall(dutch)):
        problems.append("placeholders differ")
    if sorted(TAG.findall(english)) != sorted(TAG.findall(dutch)):
        problems.append("HTML tags differ")
    if ".:" in dutch and ".:" not in english:
        problems.append('".:"')
    # A label ending in ":" is followed by a value or a field; losing or adding it shows.
    if english.rstrip().endswith(":") != dutch.rstrip().endswith(":"):
        problems.append('ends with ":" in one language only')
    if english.endswith("\n") != dutch.endswith("\n"):
        problems.append("trailing line break differs")
    return problems


def test_the_check_finds_broken_translations():
    assert broken("The question and our answer", "D") == ["implausibly short"]
    assert broken("Welcome, %(name)s.", "Welkom.") == ["placeholders differ"]
    assert broken("Hello {name}", "Hallo {naam}") == ["placeholders differ"]
    assert broken("<strong>Yes</strong>, you may", "Ja, dat mag u") == ["HTML tags differ"]
    assert broken("Your coordinator:", "Uw coördinator") == ['ends with ":" in one language only']
    assert broken("Yes", "Ja") == []  # short texts may be short
    assert broken("The question and our answer", "De vraag en ons antwoord") == []


def test_no_translation_is_broken():
    catalogue = polib.pofile(str(CATALOGUE / "django.po"))
    found = []
    for entry in catalogue:
        if entry.obsolete or not entry.msgid:
            continue
        for english, dutch in _pairs(entry):
            found += [f"{english!r} → {dutch!r}: {p}" for p in broken(english, dutch)]
        if entry.msgid_plural:
            # Singular and plural say the same with another number: similar lengths.
            one, more = entry.msgstr_plural.get(0, ""), entry.msgstr_plural.get(1, "")
            if min(len(one), len(more)) < 0.5 * max(len(one), len(more)):
                found.append(f"{entry.msgid!r}: plural forms {one!r} and {more!r} differ wildly")
    assert found == [], "\n".join(found)


# --- The participant languages: Turkish, Arabic, Polish, Ukrainian ---------------------------
# Their catalogues hold the texts a participant or requester meets (the own page, the public
# pages, emails, letters, the plan); tests/site/test_participant_languages.py renders all of those
# in each language and finds any text left in Dutch or English.

PARTICIPANT_LANGUAGES = ["tr", "ar", "pl", "uk"]


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(CATALOGUE.parent.parent / language / "LC_MESSAGES" / "django.po"))


def test_every_site_language_but_english_has_a_catalogue():
    languages = [code for code, _name in settings.LANGUAGES]
    assert languages == ["nl", "en", *PARTICIPANT_LANGUAGES]
    for language in PARTICIPANT_LANGUAGES:
        assert len(_catalogue(language)) > 600, language


@pytest.mark.parametrize("language", PARTICIPANT_LANGUAGES)
def test_a_participant_catalogue_is_complete_and_compiled(language):
    catalogue = _catalogue(language)
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    # Every text is one Kring has (in the Dutch catalogue): nothing stale or misspelt.
    dutch = {(e.msgctxt, e.msgid) for e in polib.pofile(str(CATALOGUE / "django.po"))}
    assert [e.msgid for e in catalogue if (e.msgctxt, e.msgid) not in dutch] == []
    with open(CATALOGUE.parent.parent / language / "LC_MESSAGES" / "django.mo", "rb") as mo:
        translations = gettext.GNUTranslations(mo)
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            assert translations.ngettext(entry.msgid, entry.msgid_plural, 1) in (
                entry.msgstr_plural.values()
            )
        elif entry.msgctxt:
            assert translations.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert translations.gettext(entry.msgid) == entry.msgstr, entry.msgid


@pytest.mark.parametrize("language", PARTICIPANT_LANGUAGES)
def test_no_participant_translation_is_broken(language):
    """Placeholders, tags, a closing ":" and line breaks as in the English; lengths are not
    compared (Arabic and Turkish may well be shorter than English)."""
    found = []
    for entry in _catalogue(language):
        if entry.obsolete or not entry.msgid:
            continue
        forms = (
            [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for english, translated in forms:
            problems = [p for p in broken(english, translated) if p != "implausibly short"]
            if entry.msgid_plural:
                # A plural form may leave out the number ("one day" as a word).
                problems = [p for p in problems if p != "placeholders differ"] + (
                    ["unknown placeholder"]
                    if set(PLACEHOLDER.findall(translated)) - set(PLACEHOLDER.findall(english))
                    else []
                )
            found += [f"{english!r} → {translated!r}: {p}" for p in problems]
    assert found == [], "\n".join(found)
