"""``get_FOO_display()`` at the cost of one translation.

Django's own version builds a dict of all the field's choices on every call, hashing — and so
translating — every lazy label each time: the case list's 25 rows paid for some 550
translations per page for their status and variant alone. Here the dict is built once per
field and only the label shown is translated, in the language active at the time.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.encoding import force_str


def _labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    labels = field.__dict__.get("_kring_choice_labels")
    if labels is None:
        labels = dict(field.flatchoices)
        field.__dict__["_kring_choice_labels"] = labels
    return labels


class ChoiceLabels(models.Model):
    """A model's ``get_FOO_display()`` with labels looked up, not rebuilt."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> str:
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value (not one of Kring's): Django's way
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        return force_str(label, strings_only=True)
