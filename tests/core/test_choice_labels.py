"""get_FOO_display() looks labels up instead of rebuilding every choice (kring.core.choices):
the same answers as Django's, in the language active at the time of the call."""

from __future__ import annotations

from django.db import models
from django.utils import translation

from kring.cases.models import Case, Status, Variant
from kring.circle.models import Participant


def _django_s(case: Case, name: str) -> str:
    """What Django's own get_FOO_display gives (its dict of every choice, made now)."""
    field = Case._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(dict(field.flatchoices)[getattr(case, name)])


def test_the_label_is_django_s_in_the_language_of_the_moment():
    case = Case(status=Status.PREPARATION, variant=Variant.values[0])
    for language in ("nl", "en"):
        with translation.override(language):
            assert case.get_status_display() == str(Status.PREPARATION.label)
            assert case.get_status_display() == _django_s(case, "status")
            assert case.get_variant_display() == _django_s(case, "variant")
    with translation.override("nl"):
        dutch = case.get_status_display()
    with translation.override("en"):
        assert case.get_status_display() != dutch


def test_a_value_without_a_choice_is_shown_as_it_is():
    assert Case(status="no-such-status").get_status_display() == "no-such-status"
    assert Participant(category="").get_category_display() == ""
