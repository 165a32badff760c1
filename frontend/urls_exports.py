from django.urls import path

from frontend.views import exports

urlpatterns = [
    path("staff/<slug:city_slug>/exports/", exports.exports_page, name="exports"),
    path("staff/<slug:city_slug>/exports/<slug:identifier>/report/", exports.report_page, name="exports_report"),
    path("staff/exports/download/<str:token>/", exports.download, name="exports_download"),
    path("staff/networks/<slug:network_slug>/exports/", exports.network_exports_page, name="network_exports"),
    path(
        "staff/networks/<slug:network_slug>/exports/<slug:identifier>/report/",
        exports.network_report_page,
        name="network_exports_report",
    ),
]
