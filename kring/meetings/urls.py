"""Dates, the meeting, its costs and invitations; the own page's calendar file.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.meetings import portal, views

urlpatterns: list[URLPattern] = [
    path("p/<str:token>/agenda.ics", portal.calendar, name="portal_calendar"),
]

case_urlpatterns: list[URLPattern] = [
    path("kring/<int:pk>/brief.pdf", views.letter, name="letter"),
    path("datum/", views.dates, name="dates"),
    path("datum/antwoord/", views.date_answer, name="date_answer"),
    path("datum/<int:pk>/kiezen/", views.date_choose, name="date_choose"),
    path("datum/<int:pk>/intrekken/", views.date_remove, name="date_remove"),
    path("bijeenkomst/", views.meeting, name="meeting"),
    path("bijeenkomst/kosten/", views.cost_add, name="cost_add"),
    path("bijeenkomst/kosten/<int:pk>/verwijderen/", views.cost_remove, name="cost_remove"),
    path("bijeenkomst/uitnodigen/", views.invitations_send, name="invitations_send"),
    path("bijeenkomst/wijziging-versturen/", views.updates_send, name="updates_send"),
    path("bijeenkomst/afgelasten/", views.meeting_cancel, name="meeting_cancel"),
]
