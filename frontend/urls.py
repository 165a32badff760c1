"""Every HTML page. Each area keeps its views in frontend/views/<area>.py."""

from django.urls import include, path

from .views import public, staff

app_name = "frontend"

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("join/", public.join_by_code, name="join_by_code"),
    path("staff/", staff.dashboard, name="dashboard"),
    path("staff/tokens/", staff.api_tokens, name="api_tokens"),
    path("staff/tokens/<int:token_id>/revoke/", staff.api_token_revoke_view, name="api_token_revoke"),
    path("", include("frontend.urls_sessions")),
    path("", include("frontend.urls_councils")),
    path("", include("frontend.urls_projects")),
    path("", include("frontend.urls_exports")),
]
