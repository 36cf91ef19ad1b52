"""The Django admin as an administrator meets it: the row checkboxes keep the admin's own class
(so "select all" and the actions work), and a Dutch administrator reads no English app or
model names."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kring.accounts.models import Region

NL = {"HTTP_ACCEPT_LANGUAGE": "nl"}
# Names the admin showed in English before Kring named them.
ENGLISH = [
    "Tasks Database Backend",
    "Task Results",
    "Authenticators",
    "Accounts",
    "MFA",
    "Background tasks",
    "Second factor",
    "Sign-in",
]


@pytest.mark.django_db
def test_each_row_checkbox_has_one_class_with_action_select(client, world):
    client.force_login(world.administrator)
    response = client.get(reverse("admin:accounts_region_changelist"), **NL)
    assert response.status_code == 200
    boxes = re.findall(r'<input[^>]*name="_selected_action"[^>]*>', response.content.decode())
    assert len(boxes) == Region.objects.count() == 2
    for box in boxes:
        classes = re.findall(r'\sclass="([^"]*)"', box)
        assert len(classes) == 1, box
        assert "action-select" in classes[0].split(), box
    # Kring's own widgets keep their look next to the admin's class.
    assert all("utrecht-checkbox" in box for box in boxes)


@pytest.mark.django_db
def test_a_widget_with_its_own_class_renders_one_class_attribute():
    from django import forms

    class Form(forms.Form):
        text = forms.CharField(widget=forms.TextInput(attrs={"class": "vTextField"}))
        choice = forms.ChoiceField(
            choices=[("a", "A")], widget=forms.Select(attrs={"class": "admin-select"})
        )
        note = forms.CharField(widget=forms.Textarea(attrs={"class": "vLargeTextField"}))

    html = str(Form())
    for tag in re.findall(r"<(?:input|select|textarea)[^>]*>", html):
        assert len(re.findall(r"\sclass=", tag)) == 1, tag
    assert 'class="utrecht-textbox utrecht-textbox--html-input vTextField"' in html
    assert 'class="utrecht-select utrecht-select--html-select admin-select"' in html
    assert 'class="utrecht-textarea utrecht-textarea--html-textarea vLargeTextField"' in html


@pytest.mark.django_db
def test_the_dutch_admin_index_names_every_app_and_model_in_dutch(client, world):
    client.force_login(world.administrator)
    response = client.get(reverse("admin:index"), **NL)
    assert response.status_code == 200
    text = response.content.decode()
    apps = [name.strip() for name in re.findall(r"<caption>\s*<a[^>]*>([^<]*)</a>", text)]
    models = [
        name.strip() for name in re.findall(r'<th scope="row"[^>]*>\s*<a[^>]*>([^<]*)</a>', text)
    ]
    assert "Tweede factor" in apps
    assert "Achtergrondtaken" in apps
    assert "Inloggen" in apps
    assert "Tweede factoren" in models
    for english in ENGLISH:
        assert english not in apps, english
        assert english not in models, english
    # The sidebar and the app pages use the same names.
    page = client.get(reverse("admin:app_list", args=["mfa"]), **NL).content.decode()
    assert "Tweede factoren" in page
    assert "Authenticators" not in page


@pytest.mark.django_db
def test_the_admin_is_linked_as_technical_settings(client, world):
    client.force_login(world.administrator)
    page = client.get(reverse("start"), **NL).content.decode()
    assert f'<a href="{reverse("admin:index")}">Technische instellingen (beheer)</a>' in page
    assert "Technische instellingen (beheer)</h3>" in page
    for name in (
        "admin:accounts_region_changelist",
        "admin:accounts_coordinatorprofile_changelist",
    ):
        assert f'href="{reverse(name)}"' in page
    client.force_login(world.coordinator)
    assert "Technische instellingen" not in client.get(reverse("start"), **NL).content.decode()
