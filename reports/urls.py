from __future__ import annotations

from django.urls import path, register_converter

from reports import views


class ExportFormatConverter:
    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormatConverter, "exportformat")

app_name = "reports"

urlpatterns = [
    path("selbstbewertung/<int:pk>/", views.assessment_reports, name="assessment_reports"),
    path("selbstbewertung/<int:pk>/panel/", views.assessment_panel, name="assessment_panel"),
    path("selbstbewertung/<int:pk>/anfordern/", views.request_report, name="request"),
    path("selbstbewertung/<int:pk>/bericht/<int:report_pk>/", views.download, name="download"),
    path("selbstbewertung/<int:pk>/export.<exportformat:fmt>", views.export_assessment, name="export_assessment"),
    path("export/selbstbewertungen.<exportformat:fmt>", views.export_all, name="export_all"),
    path("exporte/", views.exports_page, name="exports"),
    path("exporte/panel/", views.export_panel, name="export_panel"),
    path("exporte/anfordern/", views.request_export, name="export_request"),
    path("exporte/<int:job_pk>/datei/", views.export_download, name="export_download"),
    path("uebersicht/", views.office_dashboard, name="dashboard"),
]
