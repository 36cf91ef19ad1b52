"""Requests and cases: the public request form, the case list, and a case's intake, status
and coordinator.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.cases import request_views, views

urlpatterns: list[URLPattern] = [
    path("aanvragen/", request_views.request_form, name="request_form"),
    path("aanvragen/ontvangen/", request_views.request_received, name="request_received"),
    path("privacy/", request_views.privacy, name="privacy"),
    path("zaken/", views.case_list, name="case_list"),
    path("zaken/nieuw/", request_views.case_create, name="case_create"),
    path("zaken/vraagcheck/", views.question_check, name="question_check"),
]

case_urlpatterns: list[URLPattern] = [
    path("", views.case_detail, name="case_detail"),
    path("status/", views.case_change_status, name="case_change_status"),
    path("regio/", views.case_move, name="case_move"),
    path("intake/", views.case_intake, name="case_intake"),
    path("voorwaarden/", views.bottom_line_add, name="bottom_line_add"),
    path("voorwaarden/<int:pk>/verwijderen/", views.bottom_line_remove, name="bottom_line_remove"),
    path("financiering/", views.funding_add, name="funding_add"),
    path("financiering/<int:pk>/", views.funding_edit, name="funding_edit"),
    path("coordinator/", views.case_match, name="case_match"),
    path("belangen/", views.case_conflict, name="case_conflict"),
    path("opdracht/accepteren/", views.assignment_accept, name="assignment_accept"),
    path("opdracht/weigeren/", views.assignment_decline, name="assignment_decline"),
]
