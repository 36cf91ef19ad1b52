from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import set_language

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
    path("werk/", core_views.start, name="start"),
    path("zaken/", case_views.case_list, name="case_list"),
    path("zaken/<str:reference>/", case_views.case_detail, name="case_detail"),
    path("zaken/<str:reference>/status/", case_views.case_change_status, name="case_change_status"),
    path("beheer/berichten/", messaging_views.outbox_list, name="outbox_list"),
    path("beheer/berichten/<int:pk>/", messaging_views.outbox_message, name="outbox_message"),
    path("beheer/berichten/<int:pk>/opnieuw/", messaging_views.outbox_retry, name="outbox_retry"),
    path("admin/", admin.site.urls),
]

handler404 = "kring.core.views.not_found"
handler500 = "kring.core.views.server_error"
