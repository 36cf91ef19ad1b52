"""The front page and the site's fixed pages.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.core import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path(
        "toegankelijkheidsverklaring/",
        views.accessibility_statement,
        name="accessibility_statement",
    ),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
]

case_urlpatterns: list[URLPattern] = []
