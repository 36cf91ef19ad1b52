"""The staff's start page.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.work import views

urlpatterns: list[URLPattern] = [
    path("werk/", views.start, name="start"),
]

case_urlpatterns: list[URLPattern] = []
