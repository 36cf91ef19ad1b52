"""The circle: participants, contact, information needs; and the participant's own page.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.circle import link_views, views

urlpatterns: list[URLPattern] = [
    path("p/nieuwe-link/", link_views.new_link, name="new_link"),
    path("code/", link_views.letter_code, name="portal_code"),
]

case_urlpatterns: list[URLPattern] = [
    path("kring/", views.circle, name="circle"),
    path("kring/<int:pk>/", views.participant_detail, name="participant_detail"),
    path("kring/<int:pk>/contact/", views.participant_contact, name="participant_contact"),
    path("kring/<int:pk>/geinformeerd/", views.participant_informed, name="participant_informed"),
    path("kring/<int:pk>/deelname/", views.participant_willingness, name="participant_willingness"),
    path("kring/<int:pk>/link/", views.participant_link, name="participant_link"),
    path(
        "kring/<int:pk>/links-intrekken/",
        views.participant_links_revoke,
        name="participant_links_revoke",
    ),
    path("kring/<int:pk>/verwijderen/", views.participant_remove, name="participant_remove"),
    path("kring/<int:pk>/samenvoegen/", views.participant_merge, name="participant_merge"),
    path(
        "kring/<int:pk>/informatiebrief.pdf",
        views.participant_information_letter,
        name="participant_information_letter",
    ),
    path("informatie/", views.information_need_add, name="information_need_add"),
    path(
        "informatie/<int:pk>/verwijderen/",
        views.information_need_remove,
        name="information_need_remove",
    ),
]
