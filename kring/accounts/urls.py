"""A staff member's own profile and settings.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.accounts import views

urlpatterns: list[URLPattern] = [
    path("profiel/", views.coordinator_profile, name="coordinator_profile"),
    path("profiel/dagoverzicht/", views.digest_setting, name="digest_setting"),
]

case_urlpatterns: list[URLPattern] = []
