"""Research: dashboards, the pseudonymised datasets and the financiers' reports.

``urlpatterns`` are at the site's root; ``case_urlpatterns`` under ``zaken/<reference>/``
(kring/urls.py includes them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kring.research import export_views, report_views, views

urlpatterns: list[URLPattern] = [
    path("onderzoek/", views.dashboard, name="dashboard"),
    path("onderzoek/gegevens/", export_views.datasets, name="datasets"),
    path(
        "onderzoek/gegevens/woordenboek/<str:dataset>.csv",
        export_views.dictionary,
        name="dataset_dictionary",
    ),
    path(
        "onderzoek/gegevens/excel-nl/woordenboek/<str:dataset>.csv",
        export_views.dictionary_dutch,
        name="dataset_dictionary_nl",
    ),
    path(
        "onderzoek/gegevens/excel-nl/<str:dataset>.csv",
        export_views.download_dutch,
        name="dataset_download_nl",
    ),
    path(
        "onderzoek/gegevens/<str:dataset>.<str:fmt>", export_views.download, name="dataset_download"
    ),
    path(
        "onderzoek/gegevens/bestanden/",
        export_views.export_file_request,
        name="export_file_request",
    ),
    path("onderzoek/gegevens/bestanden/<int:pk>/", export_views.export_file, name="export_file"),
    path(
        "onderzoek/gegevens/bestanden/<int:pk>/download",
        export_views.export_file_download,
        name="export_file_download",
    ),
    path("onderzoek/financiers/", report_views.financiers, name="financiers"),
    path("onderzoek/financiers/<int:pk>/", report_views.report, name="financier_report"),
    path(
        "onderzoek/financiers/<int:pk>/rapport.pdf",
        report_views.report_pdf,
        name="financier_report_pdf",
    ),
]

case_urlpatterns: list[URLPattern] = []
