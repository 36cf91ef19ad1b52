"""A staff member's own profile and settings, and whom everyone can reach (the offices).

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.accounts import views

urlpatterns: list[URLPattern] = [
    path("profiel/", views.coordinator_profile, name="coordinator_profile"),
    path("profiel/dagoverzicht/", views.digest_setting, name="digest_setting"),
    path("contact/", views.contact_page, name="contact"),
]

case_urlpatterns: list[URLPattern] = []
