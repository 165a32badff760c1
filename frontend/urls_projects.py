"""Seed-funding pages: public accountability and results, youth team pages, staff pages under /staff/<city>/funding/."""

from django.urls import path

from .views import projects

urlpatterns = [
    path("c/<slug:city_slug>/projects/", projects.city_projects, name="city_projects"),
    path("c/<slug:city_slug>/funding/<int:call_id>/results/", projects.selection_results, name="selection_results"),
    path("funding/", projects.team_calls, name="team_calls"),
    path("funding/<int:call_id>/submit/", projects.team_submit, name="team_submit"),
    path("funding/<int:call_id>/vote/", projects.team_vote, name="team_vote"),
    path("funding/proposals/<int:proposal_id>/", projects.team_proposal_edit, name="team_proposal_edit"),
    path("funding/projects/<int:project_id>/", projects.team_project, name="team_project"),
    path("funding/attachments/<int:attachment_id>/", projects.attachment_download, name="funding_attachment"),
    path("staff/<slug:city_slug>/funding/", projects.funding_call_list, name="funding_call_list"),
    path("staff/<slug:city_slug>/funding/<int:call_id>/", projects.funding_call_detail, name="funding_call_detail"),
    path(
        "staff/<slug:city_slug>/funding/<int:call_id>/action/",
        projects.funding_call_action,
        name="funding_call_action",
    ),
    path(
        "staff/<slug:city_slug>/funding/proposals/<int:proposal_id>/",
        projects.funding_proposal,
        name="funding_proposal",
    ),
    path("staff/<slug:city_slug>/funding/projects/<int:project_id>/", projects.funding_project, name="funding_project"),
]
