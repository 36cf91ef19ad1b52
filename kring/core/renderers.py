"""The form renderer: Django's templates as overridden in kring/templates (TemplatesSetting),
with one level fewer per field.

Django's ``text.html``, ``email.html``, ``tel.html`` … are each a single
``{% include "django/forms/widgets/input.html" %}``: every text field rendered two templates
where one does. This renderer hands out ``input.html`` for those names directly (Kring's own
``input.html``, which writes Kring's classes). A template added under one of these names in
kring/templates would be passed over: add it to ``OWN`` then."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import TemplatesSetting

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


class KringFormRenderer(TemplatesSetting):
    def get_template(self, template_name: str) -> Any:
        if template_name in JUST_INPUT and template_name not in OWN:
            template_name = WIDGETS + "input.html"
        return super().get_template(template_name)
