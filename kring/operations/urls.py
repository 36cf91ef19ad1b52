"""Health checks and metrics.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.operations import views

urlpatterns: list[URLPattern] = [
    path("gezond/live", views.live, name="health_live"),
    path("gezond/klaar", views.ready, name="health_ready"),
    path("gezond/metrics", views.prometheus, name="metrics"),
]

case_urlpatterns: list[URLPattern] = []
