"""The conference, the plan, its distribution and the aftercare.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.plans import conference_views, distribution_views, portal, views

urlpatterns: list[URLPattern] = [
    path("p/<str:token>/plan.pdf", portal.plan_pdf, name="portal_plan_pdf"),
]

case_urlpatterns: list[URLPattern] = [
    path("conferentie/", conference_views.conference, name="conference"),
    path("plan/", views.plan, name="plan"),
    path("plan/controle/", views.plan_check, name="plan_check"),
    path("plan/<str:kind>/nieuw/", views.item_add, name="plan_item_add"),
    path("plan/<str:kind>/<int:pk>/", views.item_edit, name="plan_item"),
    path("plan/<str:kind>/<int:pk>/verwijderen/", views.item_remove, name="plan_item_remove"),
    path("plan/<str:kind>/<int:pk>/verplaatsen/", views.item_move, name="plan_item_move"),
    path("plan-vaststellen/", views.plan_finalise, name="plan_finalise"),
    path("plan-uitkomst/", conference_views.plan_outcome, name="plan_outcome"),
    path("plan-instemming/", conference_views.endorsements, name="plan_endorsements"),
    path("plan-voorwaarden/<int:pk>/", conference_views.bottom_line_check, name="plan_bottom_line"),
    path("plan-versie/<int:number>.pdf", distribution_views.plan_pdf, name="plan_pdf"),
    path("plan-verspreiden/", distribution_views.distribution, name="plan_distribution"),
    path("plan-verspreiden/<int:pk>/brief.pdf", distribution_views.plan_letter, name="plan_letter"),
    path(
        "plan-verspreiden/<int:pk>/verstuurd/",
        distribution_views.plan_letter_posted,
        name="plan_letter_posted",
    ),
    path("plan-verspreiden/<int:pk>/opnieuw/", distribution_views.plan_resend, name="plan_resend"),
    path(
        "plan-verspreiden/<int:pk>/ook/",
        distribution_views.plan_recipient_add,
        name="plan_recipient_add",
    ),
    path("nazorg/", conference_views.aftercare, name="aftercare"),
]
