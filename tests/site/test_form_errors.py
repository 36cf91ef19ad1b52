"""How every form shows a failed submit: the page title starts with "Error:", the summary can
take the focus, the fields in error are marked (aria-invalid, a red border); and no drop-down
list offers Django's "---------" as its empty choice."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import translation

import kring
from kring.circle import links
from kring.circle.models import Participant
from kring.core.templatetags.kring_forms import error_line
from kring.meetings.models import Meeting

# The constructor arguments of the forms that need more than their data, by "app.module.Form".
NEEDS: dict[str, Any] = {
    "cases.forms.CaseFilterForm": lambda world: {"user": world.manager},
    "cases.forms.IntakeForm": lambda world: {"requested_on": dt.date(2026, 3, 1)},
    "circle.forms.ParticipantForm": lambda world: {"case": world.case},
    "circle.forms.InformationNeedForm": lambda world: {"case": world.case},
    "circle.forms.MergeParticipantForm": lambda world: {
        "participant": world.case.participants.create(name="Een", category="resident")
    },
    "meetings.forms.AnswerForm": lambda world: {"case": world.case},
    "meetings.forms.CostForm": lambda world: {"case": world.case},
    "followup.forms.QuestionnaireForm": lambda world: {"agreements": []},
    "plans.conference_forms.AttendanceForm": lambda world: {
        "people": list(Participant.objects.filter(case=world.case)),
        "meeting": Meeting.objects.create(case=world.case),
    },
    "plans.conference_forms.BottomLineCheckForm": lambda world: {"set_by": "de wijkagent"},
    "plans.conference_forms.EndorsementForm": lambda world: {"candidates": []},
    "plans.forms.AgreementForm": lambda world: {"case": world.case},
    "plans.forms.EvaluationForm": lambda world: {"case": world.case},
    "plans.forms.ItemForm": lambda world: {"case": world.case},
    "plans.forms.RequestForm": lambda world: {"case": world.case},
    "plans.forms.PlanTextForm": lambda world: {"case": world.case, "questions": []},
    "research.views.DashboardForm": lambda world: {"regions": [("west", "West"), ("zuid", "Zuid")]},
}


def kring_forms() -> list[type[forms.BaseForm]]:
    """Every form class defined in Kring, except the Django admin's (its own UI)."""
    found: dict[str, type[forms.BaseForm]] = {}
    for module_info in pkgutil.walk_packages(kring.__path__, "kring."):
        name = module_info.name
        if ".migrations" in name or ".management" in name or name.endswith(".admin"):
            continue
        module = importlib.import_module(name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != name:
                continue
            meta = getattr(cls, "_meta", None)
            if issubclass(cls, forms.BaseModelForm) and getattr(meta, "model", None) is None:
                continue  # an abstract base of model forms
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[key] for key in sorted(found)]


@pytest.mark.django_db
def test_no_drop_down_list_offers_dashes(world):
    Participant.objects.create(case=world.case, name="Jan de Vries", category="resident")
    classes = kring_forms()
    assert len(classes) > 30
    rendered = 0
    with translation.override("en"):
        for cls in classes:
            key = f"{cls.__module__.removeprefix('kring.')}.{cls.__name__}"
            needs = NEEDS.get(key, lambda world: {})(world)
            form = cls(**needs)
            html = "".join(str(bound) for bound in form)
            assert "---------" not in html, key
            rendered += 1
    assert rendered == len(classes)


@pytest.mark.django_db
def test_the_interpreter_choice_says_in_words_that_none_is_needed(world, client):
    jan = Participant.objects.create(
        case=world.case, name="Jan de Vries", category="resident", language="en"
    )
    html = client.get(reverse("portal", args=[links.issue(jan)])).text
    assert '<option value="" selected>I do not need an interpreter</option>' in html
    Participant.objects.filter(pk=jan.pk).update(language="nl")
    html = client.get(reverse("portal", args=[links.issue(jan)])).text
    assert '<option value="" selected>Ik heb geen tolk nodig</option>' in html


def test_a_label_that_is_a_sentence_gets_no_second_stop():
    assert error_line("Name", "Enter a name.") == "Name: Enter a name."
    consent = "I agree, as described above."
    assert error_line(consent, "Without it we cannot.") == f"{consent} Without it we cannot."
    assert error_line("Do you take part?", "Choose one.") == "Do you take part? Choose one."


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1).strip()


@pytest.mark.django_db
def test_a_failed_request_is_marked_in_the_title_the_summary_and_the_fields(client):
    url = reverse("request_form")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    page = client.get(url)
    assert not title(page.text).startswith("Fout:")
    response = client.post(url, {"requester_name": ""})
    assert response.status_code == 400
    html = response.text
    assert title(html).startswith("Fout: ")
    # The summary can take the focus (the script gives it), and comes before the form.
    summary = re.search(r"<div [^>]*data-error-summary[^>]*>", html)
    assert summary and 'tabindex="-1"' in summary.group(0)
    assert html.index("data-error-summary") < html.index('<form method="post"')
    # A required field in error: marked for assistive technology and drawn with the border.
    name = re.search(r'<input [^>]*name="requester_name"[^>]*>', html)
    assert name and 'aria-invalid="true"' in name.group(0)
    wrapper = re.findall(r'<div class="utrecht-form-field[ "][^>]*>', html[: name.start()])[-1]
    assert "utrecht-form-field--invalid" in wrapper
    # The consent's label is a sentence: its error follows without ".:".
    assert "beschreven. Zonder" in html and ".:" not in html
    # In English too.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert title(client.post(url, {"requester_name": ""}).text).startswith("Error: ")


@pytest.mark.django_db
def test_a_failed_form_on_the_own_page_and_a_staff_page_has_the_error_title(world, client):
    jan = Participant.objects.create(
        case=world.case, name="Jan de Vries", category="resident", language="en"
    )
    url = reverse("portal", args=[links.issue(jan)])
    assert not title(client.get(url).text).startswith("Error:")
    response = client.post(url, {"action": "suggest", "name": "", "category": "family"})
    assert response.status_code == 400
    assert title(response.text).startswith("Error: ")
    assert "data-error-summary" in response.text

    client.force_login(world.coordinator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    circle = reverse("circle", args=[world.case.reference])
    assert not title(client.get(circle).text).startswith("Error:")
    failed = client.post(circle, {"name": "", "category": "resident", "language": "nl"})
    assert failed.status_code == 400
    assert title(failed.text).startswith("Error: ")


def test_the_stylesheet_shows_server_errors_arrows_and_focus():
    css = (Path(settings.BASE_DIR) / "kring/static/kring/kring.css").read_text()
    # The rule that hides the border of an untouched required field spares server errors.
    hiding = [rule for rule in css.splitlines() if ":invalid:not(:user-invalid)" in rule]
    assert hiding and all(':not([aria-invalid="true"])' in rule for rule in hiding)
    assert '.utrecht-textbox[aria-invalid="true"]' in css
    # The select arrow overrides Utrecht's appearance:none rule with the same selector.
    assert (
        '.utrecht-select--html-select:not([multiple]) { background-image: url("select-arrow.svg")'
        in css
    )
    assert (Path(settings.BASE_DIR) / "kring/static/kring/select-arrow.svg").exists()
    assert ".utrecht-checkbox--html-input:focus-visible" in css


def test_the_error_summary_is_focused_by_a_script_of_our_own():
    script = (Path(settings.BASE_DIR) / "kring/static/kring/kring.js").read_text()
    assert "[data-error-summary]" in script and ".focus()" in script
