"""Every REST path lives under /api/v1/; each app keeps its own api/urls.py."""

from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from .api_schema import SchemaView

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),  # generated once per language (config/api_schema.py)
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include("cities.api.urls")),
    path("", include("consultations.api.urls")),
    path("", include("councils.api.urls")),
    path("", include("proposals.api.urls")),
]
