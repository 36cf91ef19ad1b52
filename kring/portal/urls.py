"""The participant's own page (its downloads are their phases': the calendar, the plan).

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.portal import views

urlpatterns: list[URLPattern] = [
    path("p/<str:token>/", views.portal, name="portal"),
]

case_urlpatterns: list[URLPattern] = []
