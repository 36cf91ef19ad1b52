"""Health checks, metrics and the outbox (for administrators).

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.operations import outbox_views, views

urlpatterns: list[URLPattern] = [
    path("gezond/live", views.live, name="health_live"),
    path("gezond/klaar", views.ready, name="health_ready"),
    path("gezond/metrics", views.prometheus, name="metrics"),
    path("beheer/berichten/", outbox_views.outbox_list, name="outbox_list"),
    path("beheer/berichten/<int:pk>/", outbox_views.outbox_message, name="outbox_message"),
    path("beheer/berichten/<int:pk>/opnieuw/", outbox_views.outbox_retry, name="outbox_retry"),
    path(
        "beheer/berichten/<int:pk>/html/",
        outbox_views.outbox_message_html,
        name="outbox_message_html",
    ),
    path(
        "beheer/berichten/<int:pk>/bijlagen/<int:attachment>/",
        outbox_views.outbox_attachment,
        name="outbox_attachment",
    ),
]

case_urlpatterns: list[URLPattern] = []
