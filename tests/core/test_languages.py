"""The language switch's buttons, written in Python (``{% language_buttons %}``, issue 18), are
byte for byte what ``includes/language_buttons.html`` writes, for every current language of
the participants' and the staff's lists."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from kring.core import languages
from kring.core.templatetags.kring_i18n import language_buttons

LISTS = [languages.participant_languages(), list(settings.KRING_STAFF_LANGUAGES)]


@pytest.mark.parametrize("codes", LISTS)
def test_the_buttons_are_written_as_the_template_writes_them(codes):
    for current in [*codes, "xx"]:
        choices = languages.choices(codes, current)
        by_template = render_to_string("includes/language_buttons.html", {"choices": choices})
        assert str(language_buttons(choices)) == by_template
        # One button for each language but the current one, each in its own direction.
        assert str(language_buttons(choices)).count("<button") == len(codes) - (current in codes)


def test_a_name_is_escaped_and_the_direction_kept():
    choices = [
        languages.Choice("nl", "Nederlands", True, False),
        languages.Choice("ar", "العربية", False, True),
        languages.Choice("x<", 'A "b" & <c>', False, False),
    ]
    written = str(language_buttons(choices))
    assert written == render_to_string("includes/language_buttons.html", {"choices": choices})
    assert 'lang="ar" dir="rtl">العربية</button>' in written
    assert 'value="x&lt;"' in written and "A &quot;b&quot; &amp; &lt;c&gt;" in written
    assert "Nederlands" not in written
