"""The site's addresses, by phase: each app lists its own in its ``urls.py`` — ``urlpatterns``
at the root and ``case_urlpatterns`` under ``zaken/<reference>/`` — and this module only puts
them in order (tests/site/test_urls_by_app.py checks that every route lives in its view's app)."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import set_language

from kring.accounts import urls as accounts
from kring.cases import urls as cases
from kring.circle import urls as circle
from kring.core import urls as core
from kring.followup import urls as followup
from kring.meetings import urls as meetings
from kring.operations import urls as operations
from kring.operations import views as operations_views
from kring.plans import urls as plans
from kring.portal import urls as portal
from kring.privacy import urls as privacy
from kring.research import urls as research
from kring.work import urls as work

# The admin signs in through the same page as the rest of Kring.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Kring"
admin.site.site_title = "Kring"

# The phases of a case, in order: a case's pages live under zaken/<reference>/.
PHASES = [cases, privacy, circle, meetings, plans, followup]

urlpatterns = [
    path("", include("kring.api.urls")),
    path("taal/", set_language, name="set_language"),
    path("account/", include("allauth.urls")),
    *core.urlpatterns,
    *work.urlpatterns,
    *operations.urlpatterns,
    *accounts.urlpatterns,
    # Before zaken/<reference>/: the case list, a new case and the question check.
    *cases.urlpatterns,
    path(
        "zaken/<str:reference>/",
        include([pattern for phase in PHASES for pattern in phase.case_urlpatterns]),
    ),
    *privacy.urlpatterns,
    *circle.urlpatterns,
    *portal.urlpatterns,
    *meetings.urlpatterns,
    *plans.urlpatterns,
    *followup.urlpatterns,
    *research.urlpatterns,
    path("admin/", admin.site.urls),
]

handler404 = "kring.core.views.not_found"
handler500 = "kring.core.views.server_error"

# A bare view behind the same middleware, for `manage.py bench_serve` only.
if settings.KRING_BENCH_VIEW:
    urlpatterns.append(path("bench/bare/", operations_views.bare, name="bench_bare"))
