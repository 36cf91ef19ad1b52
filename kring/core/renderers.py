"""The form renderer: Django's templates as overridden in kring/templates (TemplatesSetting),
with the three widgets every form is made of written in Python.

Django's ``text.html``, ``email.html``, ``tel.html`` … are each a single
``{% include "django/forms/widgets/input.html" %}``: every text field rendered two templates
where one does. This renderer hands out ``input.html`` for those names directly (Kring's own
``input.html``, which writes Kring's classes). A template added under one of these names in
kring/templates would be passed over: add it to ``OWN`` then.

Kring's ``input.html``, ``select.html`` and ``textarea.html`` are small, but the template engine
spends about a fifth of a form page's CPU on them (issue 18: the own page and the case list's
filters). ``render`` writes the same bytes in Python; the templates stay the reference, and
``tests/core/test_form_renderer.py`` renders every field of every form both ways and compares
them. Change a template and that test says which writer to change with it."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from django.forms import Select
from django.forms.renderers import TemplatesSetting
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.safestring import SafeData, SafeString, mark_safe

WIDGETS = "django/forms/widgets/"
# Django's widget templates that only include input.html.
JUST_INPUT = frozenset(
    WIDGETS + name
    for name in (
        "checkbox.html",
        "color.html",
        "date.html",
        "datetime.html",
        "email.html",
        "file.html",
        "hidden.html",
        "number.html",
        "password.html",
        "search.html",
        "tel.html",
        "text.html",
        "time.html",
        "url.html",
    )
)
OWN: frozenset[str] = frozenset()


# What ``{{ value }}`` does to a value in a template: localise it, make it text, escape it.
_AUTOESCAPE = Context(autoescape=True)


def shown(value: Any) -> str:
    # Plain text (most values: names, labels, keys) is only escaped, as Django's ``escape``
    # escapes it, without the lazy-argument check and localisation every other value needs:
    # the case list's filters escape some 600 names and keys.
    if type(value) is str:
        return html.escape(value)
    return str(render_value_in_context(value, _AUTOESCAPE))


def formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the filter keeps a safe value safe."""
    try:
        text = "%s" % (value,)  # noqa: UP031 - the filter's own formatting
    except (ValueError, TypeError):
        return ""
    return shown(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308


def attributes(attrs: dict[str, Any], *, skip_class: bool = True) -> str:
    """The template's loop over ``widget.attrs``: ``False`` leaves an attribute out, ``True``
    writes its bare name."""
    written = []
    for name, value in attrs.items():
        if (skip_class and name == "class") or value is False:
            continue
        written.append(
            f" {shown(name)}" if value is True else f' {shown(name)}="{formatted(value)}"'
        )
    return "".join(written)


def with_class(base: str, attrs: dict[str, Any]) -> str:
    extra = attrs.get("class")
    return f"{base} {shown(extra)}" if extra else base


INPUT_CLASSES = {
    "checkbox": "utrecht-checkbox utrecht-checkbox--html-input",
    "radio": "utrecht-radio-button utrecht-radio-button--html-input",
}


def _input(widget: dict[str, Any]) -> str:
    attrs = widget["attrs"]
    kind = widget["type"]
    base = INPUT_CLASSES.get(kind, "utrecht-textbox utrecht-textbox--html-input")
    value = widget["value"]
    given = f' value="{formatted(value)}"' if value is not None else ""
    return (
        f'<input class="{with_class(base, attrs)}" type="{shown(kind)}" '
        f'name="{shown(widget["name"])}"{given}{attributes(attrs)}>'
    )


def _textarea(widget: dict[str, Any]) -> str:
    attrs = widget["attrs"]
    value = widget["value"]
    classes = with_class("utrecht-textarea utrecht-textarea--html-textarea", attrs)
    return (
        f'<textarea class="{classes}" '
        f'name="{shown(widget["name"])}"{attributes(attrs)}>\n'
        f"{shown(value) if value else ''}</textarea>"
    )


def _select(widget: dict[str, Any]) -> str:
    attrs = widget["attrs"]
    parts = [
        f'<select class="{with_class("utrecht-select utrecht-select--html-select", attrs)}" '
        f'name="{shown(widget["name"])}"{attributes(attrs)}>'
    ]
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{shown(group_name)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{formatted(option["value"])}"'
                f"{attributes(option['attrs'], skip_class=False)}>{shown(option['label'])}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    WIDGETS + "input.html": _input,
    WIDGETS + "select.html": _select,
    WIDGETS + "textarea.html": _textarea,
}


class KringFormRenderer(TemplatesSetting):
    def get_template(self, template_name: str) -> Any:
        if template_name in JUST_INPUT and template_name not in OWN:
            template_name = WIDGETS + "input.html"
        return super().get_template(template_name)

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name in JUST_INPUT and template_name not in OWN:
            template_name = WIDGETS + "input.html"
        write = WRITERS.get(template_name)
        if write is None or "widget" not in context:
            return str(super().render(template_name, context, request))
        return mark_safe(write(context["widget"]))  # noqa: S308 - every value escaped above

    def render_by_template(
        self, template_name: str, context: dict[str, Any], request: Any = None
    ) -> str:
        """The templates' own output, which ``render`` must equal (for the tests)."""
        return str(super().render(template_name, context, request))


class ListSelect(Select):
    """A select for a long list (the case list's coordinators), written straight from its
    choices: what :class:`~django.forms.Select` writes through ``_select``, without the dict
    Django builds per option first (a fifth of the case list's time went to its selects).
    Option groups go the usual way. ``tests/core/test_form_renderer.py`` compares the two."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        final = self.build_attrs(self.attrs, attrs)
        values = self.format_value(value)
        parts = [
            f'<select class="{with_class("utrecht-select utrecht-select--html-select", final)}" '
            f'name="{shown(name)}"{attributes(final)}>'
        ]
        chosen = False
        for option, label in choices:
            option = "" if option is None else option
            selected = not chosen and str(option) in values
            chosen |= selected
            parts.append(
                f'\n  <option value="{formatted(option)}"{" selected" if selected else ""}>'
                f"{shown(label)}</option>"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value escaped above
