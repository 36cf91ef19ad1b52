"""What every form page shares: whether the page shows an error (for its title), and one line
of the error summary."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseForm, BaseFormSet

register = template.Library()


def _has_errors(value: Any) -> bool:
    if isinstance(value, BaseForm):
        return value.is_bound and bool(value.errors)
    if isinstance(value, BaseFormSet):
        return value.is_bound and not value.is_valid()
    return False


@register.simple_tag(takes_context=True)
def page_has_errors(context: template.Context) -> bool:
    """True when the page shows a form with errors, or an error message of its own
    (``error``, or a ``has_errors`` flag): its title then starts with "Error:"."""
    flat = context.flatten()
    if flat.get("has_errors") or flat.get("error"):
        return True
    return any(_has_errors(value) for value in flat.values())


@register.filter
def error_line(label: Any, error: Any) -> str:
    """ "Label: error" — without a second stop when the label already ends in one (a label
    that is a sentence, such as the consent)."""
    label, error = str(label).strip(), str(error).strip()
    if not label:
        return error
    if label[-1] in ".?!:":
        return f"{label} {error}"
    return f"{label}: {error}"
