from django.urls import path

from . import views

urlpatterns = [
    path("cities/", views.CityList.as_view(), name="city-list"),
    path("me/", views.Me.as_view(), name="me"),
]

from .exports import ExportList, ExportRun  # noqa: E402

urlpatterns += [
    path("exports/", ExportList.as_view(), name="export-list"),
    path("exports/<slug:identifier>", ExportRun.as_view(), name="export-run"),
]
