"""Small helpers shared by Kring's forms."""

from __future__ import annotations

from typing import Any

from django import forms


def name_empty_choice(field: forms.Field, label: Any) -> None:
    """Give a drop-down list's empty choice words (``label``) instead of Django's "---------":
    what choosing nothing means, or what to choose."""
    if isinstance(field, forms.ModelChoiceField):
        field.empty_label = label
    elif isinstance(field, forms.ChoiceField):
        choices: list[tuple[Any, Any]] = list(field.choices)  # type: ignore[arg-type]
        field.choices = [
            ("", label) if value in ("", None) else (value, text) for value, text in choices
        ]
    else:
        raise TypeError(f"{type(field).__name__} has no choices")
