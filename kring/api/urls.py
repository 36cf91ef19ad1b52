from django.urls import path

from kring.api import views
from kring.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("beheer/api-clients/", views.clients, name="api_clients"),
    path("beheer/api-clients/<int:pk>/intrekken/", views.revoke, name="api_client_revoke"),
]
