"""Who saw a case, and the rights of the people in the data (access, erasure) and retention.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.privacy import retention_views, views

urlpatterns: list[URLPattern] = [
    path("beheer/wisverzoeken/", views.erasure_requests, name="erasure_requests"),
    path("beheer/bewaartermijnen/", retention_views.retention_overview, name="retention_overview"),
]

case_urlpatterns: list[URLPattern] = [
    path("inzage/", views.case_access, name="case_access"),
    path("rechten/<str:kind>/<int:pk>/", views.person_rights, name="person_rights"),
    path("rechten/<str:kind>/<int:pk>/export.<str:fmt>", views.person_export, name="person_export"),
    path("wissen/<int:request_pk>/bevestigen/", views.erasure_confirm, name="erasure_confirm"),
]
