from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import set_language

from kring.cases import request_views
from kring.cases import views as case_views
from kring.core import views as core_views
from kring.messaging import views as messaging_views

# The admin signs in through the same page as the rest of Kring.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Kring"
admin.site.site_title = "Kring"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("taal/", set_language, name="set_language"),
    path("account/", include("allauth.urls")),
    path("aanvragen/", request_views.request_form, name="request_form"),
    path("aanvragen/ontvangen/", request_views.request_received, name="request_received"),
    path("privacy/", request_views.privacy, name="privacy"),
    path("werk/", core_views.start, name="start"),
    path("zaken/", case_views.case_list, name="case_list"),
    path("zaken/nieuw/", request_views.case_create, name="case_create"),
    path("zaken/vraagcheck/", case_views.question_check, name="question_check"),
    path("zaken/<str:reference>/", case_views.case_detail, name="case_detail"),
    path("zaken/<str:reference>/status/", case_views.case_change_status, name="case_change_status"),
    path("zaken/<str:reference>/regio/", case_views.case_move, name="case_move"),
    path("zaken/<str:reference>/intake/", case_views.case_intake, name="case_intake"),
    path(
        "zaken/<str:reference>/voorwaarden/",
        case_views.bottom_line_add,
        name="bottom_line_add",
    ),
    path(
        "zaken/<str:reference>/voorwaarden/<int:pk>/verwijderen/",
        case_views.bottom_line_remove,
        name="bottom_line_remove",
    ),
    path("zaken/<str:reference>/financiering/", case_views.funding_add, name="funding_add"),
    path(
        "zaken/<str:reference>/financiering/<int:pk>/",
        case_views.funding_edit,
        name="funding_edit",
    ),
    path("zaken/<str:reference>/coordinator/", case_views.case_match, name="case_match"),
    path("zaken/<str:reference>/belangen/", case_views.case_conflict, name="case_conflict"),
    path(
        "zaken/<str:reference>/opdracht/accepteren/",
        case_views.assignment_accept,
        name="assignment_accept",
    ),
    path(
        "zaken/<str:reference>/opdracht/weigeren/",
        case_views.assignment_decline,
        name="assignment_decline",
    ),
    path("beheer/berichten/", messaging_views.outbox_list, name="outbox_list"),
    path("beheer/berichten/<int:pk>/", messaging_views.outbox_message, name="outbox_message"),
    path("beheer/berichten/<int:pk>/opnieuw/", messaging_views.outbox_retry, name="outbox_retry"),
    path("admin/", admin.site.urls),
]

handler404 = "kring.core.views.not_found"
handler500 = "kring.core.views.server_error"
