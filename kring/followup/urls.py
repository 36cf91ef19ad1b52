"""The follow-up: the manager's part of a case, a new conference from an old one, and the
researcher's workspace.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.followup import follow_on_views, letter_views, views

urlpatterns: list[URLPattern] = [
    path("vervolg/", views.workspace, name="follow_ups"),
    path("vervolg/code/", views.find_code, name="follow_up_find"),
    path("vervolg/<int:pk>/", views.detail, name="follow_up"),
    path("vervolg/<int:pk>/moment/", views.add_moment, name="follow_up_add"),
    path("vervolg/<int:pk>/sluiten/", views.close, name="follow_up_close"),
    path("vervolg/<int:pk>/<int:respondent>/gesprek/", views.call, name="follow_up_call"),
    path("vervolg/<int:pk>/<int:respondent>/antwoorden/", views.answer, name="follow_up_answer"),
]

case_urlpatterns: list[URLPattern] = [
    path("vervolgconferentie/", follow_on_views.follow_on, name="case_follow_on"),
    path("vervolg/", letter_views.case_follow_up, name="case_follow_up"),
    path("vervolg/<int:pk>/brief.pdf", letter_views.letter, name="follow_up_letter"),
]
