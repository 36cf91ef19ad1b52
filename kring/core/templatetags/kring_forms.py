"""What every form page shares: whether the page shows an error (for its title), one line of
the error summary, a field with its label, help and errors, and a group of radio buttons or
checkboxes."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseForm, BaseFormSet, BoundField
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from kring.core.renderers import INPUT_CLASSES, attributes, formatted, shown, with_class

register = template.Library()


def _has_errors(value: Any) -> bool:
    # By its type, not isinstance(): that asks a lazy value for its class, which makes it. The
    # context's CSRF token is one: every page made a token and set its cookie, the own page too,
    # whose forms need none (kring/templates/circle/portal.html).
    kind = type(value)
    if issubclass(kind, BaseForm):
        return value.is_bound and bool(value.errors)
    if issubclass(kind, BaseFormSet):
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


@register.simple_tag
def form_field(field: BoundField) -> SafeString:
    """``includes/field.html`` written in Python, byte for byte (issue 18: an included template
    per field was a tenth of the own page's time). The template stays the reference:
    tests/core/test_form_renderer.py renders every field of every form both ways."""
    checkbox = field.widget_type == "checkbox"
    errors = field.errors
    auto_id = shown(field.auto_id)
    label = shown(field.label)
    parts = [
        '\n<div class="utrecht-form-field',
        " utrecht-form-field--invalid" if errors else "",
        " utrecht-form-field--checkbox" if checkbox else "",
        '">\n  ',
    ]
    if checkbox:
        parts.append(
            f'\n    <p class="utrecht-form-field__input">{shown(field)} <label class="utrecht-'
            f'form-label utrecht-form-label--checkbox" for="{shown(field.id_for_label)}">'
            f"{label}</label></p>\n  "
        )
    else:
        parts.append(
            '\n    <p class="utrecht-form-field__label"><label class="utrecht-form-label" '
            f'for="{shown(field.id_for_label)}">{label}{_optional(field)}</label></p>\n  '
        )
    parts.append("\n  ")
    parts.append(_help_and_errors(field, auto_id))
    if not checkbox:
        parts.append(f'<p class="utrecht-form-field__input">{shown(field)}</p>')
    parts.append("\n</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above


def _help_and_errors(field: BoundField, auto_id: str) -> str:
    """The field's help and its errors, as both templates write them after the label."""
    written = [
        f'<div class="utrecht-form-field-description" id="{auto_id}_helptext">'
        f"{shown(field.help_text)}</div>"
        if field.help_text
        else "",
        "\n  ",
    ]
    written.extend(
        f'<div class="utrecht-form-field-error-message" id="{auto_id}_error">{shown(error)}</div>'
        for error in field.errors
    )
    written.append("\n  ")
    return "".join(written)


def _optional(field: BoundField) -> str:
    if field.field.required:
        return ""
    return f' <span class="kring-muted">({shown(gettext("optional"))})</span>'


@register.simple_tag
def choice_field(field: BoundField) -> SafeString:
    """``includes/choice_field.html`` written in Python, byte for byte: a fieldset with a radio
    button (RadioSelect) or a checkbox (CheckboxSelectMultiple) per choice (issue 18: about 0.2
    ms of the own page's 3 ms template, SQLite, in-process, for its one group of three radio
    buttons). tests/core/test_form_renderer.py renders every such field of every form both
    ways."""
    errors = field.errors
    help_text = field.help_text
    auto_id = shown(field.auto_id)
    described = ""
    if errors or help_text:
        described = (
            ' aria-describedby="'
            + (f"{auto_id}_helptext" if help_text else "")
            + (f" {auto_id}_error" if errors else "")
            + '"'
        )
    parts = [
        '\n<fieldset class="utrecht-form-fieldset kring-radio-group',
        " utrecht-form-fieldset--invalid" if errors else "",
        f'"{described}>\n  <legend class="utrecht-form-fieldset__legend utrecht-form-label">',
        f"{shown(field.label)}{_optional(field)}</legend>\n  ",
        _help_and_errors(field, auto_id),
    ]
    for choice in field:
        data = choice.data
        attrs = data["attrs"]
        kind = "checkbox" if data["type"] == "checkbox" else "radio"
        value = data["value"]
        given = f' value="{formatted(value)}"' if value is not None else ""
        classes = with_class(INPUT_CLASSES[kind], attrs)
        parts.append(
            f'\n    <div class="utrecht-form-field utrecht-form-field--{kind}">\n      '
            f'<p class="utrecht-form-field__input"><input class="{classes}"'
            f' type="{kind}" name="{shown(data["name"])}"{given}{attributes(attrs)}> '
            f'<label class="utrecht-form-label utrecht-form-label--{kind}" '
            f'for="{shown(choice.id_for_label)}">{shown(choice.choice_label)}</label></p>\n    '
            "</div>\n  "
        )
    parts.append("\n</fieldset>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above
