"""The form renderer writes inputs, selects and textareas in Python (kring.core.renderers, issue
18): byte for byte what Kring's widget templates write, for every field of every form and for the
awkward values a template handles on its own (escaping, safe strings, lazy and numeric labels,
attributes that are True or False, option groups, a multiple select). The same for the tags that
write a whole field (``{% form_field %}``) and a group of radio buttons or checkboxes
(``{% choice_field %}``).

``ComparingRenderer`` renders each widget both ways and keeps the differences; the HTML
validity crawl (tests/site/test_html_validity.py) renders every page each role reaches with it,
which covers the forms that need a case to be made."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

import kring
from kring.core.renderers import WRITERS, KringFormRenderer, ListSelect
from kring.core.templatetags.kring_forms import choice_field, form_field


class ComparingRenderer(KringFormRenderer):
    """Renders each widget with its Python writer and with its template; keeps what differs."""

    differences: list[tuple[str, str, str]] = []
    compared = 0

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        written = super().render(template_name, context, request)
        if template_name in WRITERS or template_name.endswith(("/text.html", "/email.html")):
            by_template = self.render_by_template(
                self._template_for(template_name), context, request
            )
            type(self).compared += 1
            if str(written) != by_template:
                type(self).differences.append((template_name, str(written), by_template))
        return written

    @staticmethod
    def _template_for(template_name: str) -> str:
        from kring.core.renderers import JUST_INPUT, WIDGETS

        return WIDGETS + "input.html" if template_name in JUST_INPUT else template_name


def _render_both(widget: forms.Widget, name: str, value: Any, attrs: dict[str, Any] | None = None):
    renderer = KringFormRenderer()
    context = widget.get_context(name, value, attrs)
    return (
        str(widget.render(name, value, attrs, renderer=renderer)),
        renderer.render_by_template(str(widget.template_name), context).strip(),
    )


AWKWARD = [
    (forms.TextInput(), "name", 'Ayşe "de" <Vries> & zn'),
    (forms.TextInput(attrs={"placeholder": "O'Brien"}), "name", "d'Ancona &amp; 'zn'"),
    (forms.TextInput(attrs={"class": "kring-wide", "required": True}), "q", None),
    (forms.TextInput(attrs={"disabled": False, "data-x": 'a"b'}), "a&b", mark_safe("<b>")),
    (forms.EmailInput(attrs={"autocomplete": "email"}), "email", "a@b.test"),
    (forms.NumberInput(attrs={"min": 0, "step": Decimal("0.01")}), "amount", 12),
    (forms.NumberInput(), "amount", Decimal("1234.50")),
    (forms.DateInput(), "day", dt.date(2026, 12, 5)),
    (forms.DateTimeInput(), "when", dt.datetime(2026, 12, 5, 14, 30, tzinfo=dt.UTC)),
    (forms.HiddenInput(), "version", 7),
    (forms.PasswordInput(render_value=True), "secret", "s<e>cret"),
    (forms.CheckboxInput(), "agree", True),
    (forms.CheckboxInput(attrs={"class": "x"}), "agree", False),
    (forms.Textarea(), "text", 'line one\nline <two> & "three"'),
    (forms.Textarea(attrs={"rows": 3, "class": "kring-plan"}), "text", ""),
    (forms.Textarea(), "text", None),
    (
        forms.Select(
            choices=[("", "---"), ("a", "Ä & <b>"), (3, 1000), ("x", gettext_lazy("Yes"))]
        ),
        "s",
        "a",
    ),
    (forms.Select(choices=[("Groep <1>", [("a", "A"), ("b", "B")]), ("c", "C")]), "s", "b"),
    (forms.SelectMultiple(choices=[(1, "een"), (2, "twee"), (3, "drie")]), "m", [1, 3]),
    (forms.NullBooleanSelect(), "nb", None),
    (forms.Select(choices=[]), "empty", None),
]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_awkward_values_are_written_as_the_templates_write_them(language):
    with translation.override(language):
        for widget, name, value in AWKWARD:
            written, by_template = _render_both(widget, name, value, {"id": f"id_{name}"})
            assert written == by_template, (type(widget).__name__, value)


def _form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for module in pkgutil.walk_packages(kring.__path__, "kring."):
        if not module.name.rsplit(".", 1)[-1].endswith("forms"):
            continue
        loaded = importlib.import_module(module.name)
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == loaded.__name__:
                found.append(cls)
    return found


def _every_field(
    classes: list[type[forms.BaseForm]],
) -> Iterator[tuple[type[forms.BaseForm], forms.BoundField]]:
    """Each field of each form that can be made without a case or people, empty and sent
    without an answer."""
    for cls in classes:
        try:
            made = [cls(), cls(data={})]
        except TypeError:
            continue  # needs a case or people: the HTML validity crawl renders it
        for form in made:
            if form.is_bound:
                form.is_valid()
            yield from ((cls, field) for field in form)


@pytest.mark.django_db
def test_every_field_of_every_form_is_written_as_its_template_writes_it(world):
    ComparingRenderer.differences = []
    ComparingRenderer.compared = 0
    made = 0
    for cls in _form_classes():
        try:
            unbound = cls(renderer=ComparingRenderer())
            bound = cls(data={}, renderer=ComparingRenderer())
        except TypeError:
            continue  # needs a case or people: the HTML validity crawl renders it
        for form in (unbound, bound):
            if form.is_bound:
                form.is_valid()
            for field in form:
                str(field)
        made += 1
    assert made >= 30
    assert ComparingRenderer.compared >= 100
    assert ComparingRenderer.differences == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_field_is_wrapped_as_the_field_template_wraps_it(world, language):
    """``{% form_field %}`` writes what ``includes/field.html`` writes: label, "optional", help,
    errors and the input, for a checkbox and for everything else."""
    compared, kinds = 0, set()
    with translation.override(language):
        for cls, field in _every_field(_form_classes()):
            by_template = render_to_string("includes/field.html", {"field": field})
            assert str(form_field(field)) == by_template, (cls.__name__, field.name)
            compared += 1
            kinds.add((field.widget_type, bool(field.errors), field.field.required))
    assert compared >= 200
    # Checkboxes and other inputs, with and without errors, required and optional.
    assert {("checkbox", True, True), ("text", True, True), ("text", False, False)} <= kinds


def test_the_field_tag_would_notice_a_changed_template(settings, tmp_path):
    (tmp_path / "includes").mkdir()
    (tmp_path / "includes" / "field.html").write_text("<p>{{ field.label }}</p>\n")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    field = forms.Form()
    field.fields["name"] = forms.CharField(label="Naam")
    bound = field["name"]
    assert render_to_string("includes/field.html", {"field": bound}) == "<p>Naam</p>\n"
    assert str(form_field(bound)) != "<p>Naam</p>\n"


LIST_CHOICES = [
    ("", gettext_lazy("all")),
    (3, 'Ayşe "de" <Vries>'),
    ("3", "twice the same value: only the first is selected"),
    (None, "None is an empty value"),
    (12, 1000),
]


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("value", [None, "", 3, "3", 12, "nothing", [3]])
def test_a_list_select_writes_what_a_select_writes(language, value):
    """ListSelect skips Django's dict per option; the HTML is Select's, through the template."""
    attrs = {"id": "id_who", "aria-describedby": "who_helptext", "required": False}
    with translation.override(language):
        select = forms.Select(choices=LIST_CHOICES)
        context = select.get_context("who", value, {**attrs, "class": "kring-wide"})
        by_template = KringFormRenderer().render_by_template(select.template_name, context)
        listed = ListSelect(choices=LIST_CHOICES, attrs={"class": "kring-wide"})
        written = listed.render("who", value, attrs)
    assert str(written) == by_template.strip()
    # None and "" choose the empty option, as a Select does; "nothing" is no option.
    assert written.count('" selected>') == (0 if value == "nothing" else 1)


@pytest.mark.django_db
def test_the_case_filters_lists_write_what_a_select_writes(world):
    """The case list's region and coordinator filters, unbound and with a choice."""
    from kring.cases.forms import CaseFilterForm

    compared = 0
    for data in (None, {"region": str(world.west.pk), "coordinator": str(world.coordinator.pk)}):
        form = CaseFilterForm(data, user=world.manager)
        for name in ("region", "coordinator"):
            bound = form[name]
            assert isinstance(bound.field.widget, ListSelect)
            as_select = forms.Select(choices=bound.field.widget.choices)
            expected = as_select.render(
                bound.html_name,
                bound.value(),
                bound.build_widget_attrs({"id": bound.auto_id}),
                KringFormRenderer(),
            )
            assert str(bound) == str(expected)
            compared += str(bound).count("<option")
    assert compared > 8


def test_a_changed_template_would_be_noticed(settings, tmp_path):
    """The comparison is not blind: a widget template that writes something else differs."""
    folder = tmp_path / "django" / "forms" / "widgets"
    folder.mkdir(parents=True)
    (folder / "input.html").write_text('<input type="{{ widget.type }}" data-changed>\n')
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    written, by_template = _render_both(forms.TextInput(), "name", "x")
    assert by_template == '<input type="text" data-changed>'
    assert written != by_template


CHOICE_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


def _choice_by_template(field: forms.BoundField) -> str:
    return render_to_string("includes/choice_field.html", {"field": field})


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_choice_field_is_written_as_its_template_writes_it(world, language):
    """``{% choice_field %}`` writes what ``includes/choice_field.html`` writes, for every
    group of radio buttons and checkboxes of every form, empty and sent without an answer."""
    from kring.api.views import ClientForm

    compared, kinds = 0, set()
    with translation.override(language):
        for cls, field in _every_field([*_form_classes(), ClientForm]):
            if not isinstance(field.field.widget, CHOICE_WIDGETS):
                continue
            assert str(choice_field(field)) == _choice_by_template(field), (
                cls.__name__,
                field.name,
            )
            compared += 1
            kinds.add((field.field.widget.__class__.__name__, bool(field.errors)))
    assert compared >= 8
    assert {
        ("RadioSelect", True),
        ("RadioSelect", False),
        ("CheckboxSelectMultiple", False),
    } <= kinds


class AwkwardChoices(forms.Form):
    colour = forms.ChoiceField(
        label='Kleur "<rood>" & zo',
        choices=[(1, "één"), ("b", gettext_lazy("Yes")), ("c", mark_safe("<b>vet</b>"))],
        help_text="Kies <er> één",
        widget=forms.RadioSelect(attrs={"class": "kring-x", "data-a": 'a"b', "disabled": False}),
    )
    days = forms.MultipleChoiceField(
        label="Dagen?",
        choices=[("ma", "maandag"), ("di", "dinsdag"), ("wo", "woensdag")],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"data-on": True}),
    )


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "data", [None, {}, {"colour": "b", "days": ["ma", "wo"]}, {"colour": "zz", "days": ["x"]}]
)
def test_awkward_choices_are_written_as_the_template_writes_them(language, data):
    with translation.override(language):
        form = AwkwardChoices(data)
        if form.is_bound:
            form.is_valid()
        for field in form:
            assert str(choice_field(field)) == _choice_by_template(field), field.name


def test_a_multiple_choice_is_written_as_checkboxes_with_every_choice_kept():
    """Checkboxes, not radio buttons: radio buttons with one name let a browser keep only one
    of the coordinator's languages or the client's scopes."""
    written = str(choice_field(AwkwardChoices({"days": ["ma", "wo"]})["days"]))
    assert written.count('type="checkbox"') == 3
    assert 'type="radio"' not in written
    assert written.count(" checked") == 2
    assert 'utrecht-form-label--checkbox" for="id_days_2">woensdag' in written
    radios = str(choice_field(AwkwardChoices({"colour": "b"})["colour"]))
    assert radios.count('type="radio"') == 3 and radios.count(" checked") == 1


def test_the_choice_tag_would_notice_a_changed_template(settings, tmp_path):
    (tmp_path / "includes").mkdir()
    (tmp_path / "includes" / "choice_field.html").write_text("<p>{{ field.label }}</p>\n")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    field = AwkwardChoices()["days"]
    assert _choice_by_template(field) == "<p>Dagen?</p>\n"
    assert str(choice_field(field)) != _choice_by_template(field)
