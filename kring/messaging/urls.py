"""The outbox, for administrators.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.messaging import views

urlpatterns: list[URLPattern] = [
    path("beheer/berichten/", views.outbox_list, name="outbox_list"),
    path("beheer/berichten/<int:pk>/", views.outbox_message, name="outbox_message"),
    path("beheer/berichten/<int:pk>/opnieuw/", views.outbox_retry, name="outbox_retry"),
    path("beheer/berichten/<int:pk>/html/", views.outbox_message_html, name="outbox_message_html"),
    path(
        "beheer/berichten/<int:pk>/bijlagen/<int:attachment>/",
        views.outbox_attachment,
        name="outbox_attachment",
    ),
]

case_urlpatterns: list[URLPattern] = []
