"""Youth council pages: the secretariat's area under /staff/<city>/council/, and the public pages members and
participants use (ballot /e/<code>/, meeting check-in /m/<token>/, opt-in /s/<join_code>/council/)."""

from django.urls import path

from .views import councils as v

P = "staff/<slug:city_slug>/council/"

urlpatterns = [
    path(P, v.council_home, name="council_home"),
    path(P + "settings/", v.council_settings, name="council_settings"),
    path(P + "composition/", v.council_composition, name="council_composition"),
    path(P + "members/add/", v.council_member_add, name="council_member_add"),
    path(P + "members/<int:pk>/", v.council_member, name="council_member"),
    path(P + "members/<int:pk>/edit/", v.council_member_edit, name="council_member_edit"),
    path(P + "members/<int:pk>/end/", v.council_member_end, name="council_member_end"),
    path(P + "members/<int:pk>/export.json", v.council_member_export, name="council_member_export"),
    path(P + "members/<int:pk>/erase/", v.council_member_erase, name="council_member_erase"),
    path(P + "candidates/", v.council_candidates, name="council_candidates"),
    path(P + "import/", v.council_import, name="council_import"),
    path(P + "export.<str:fmt>", v.council_export, name="council_export"),
    path(P + "meetings/", v.council_meetings, name="council_meetings"),
    path(P + "meetings/<int:pk>/", v.council_meeting, name="council_meeting"),
    path(P + "elections/", v.council_elections, name="council_elections"),
    path(P + "elections/<int:pk>/", v.council_election, name="council_election"),
    path(P + "elections/<int:pk>/codes/", v.council_election_codes, name="council_election_codes"),
    path("e/", v.council_vote_lookup, name="council_vote_lookup"),
    path("e/register/<str:token>/", v.council_election_register, name="council_election_register"),
    path("e/<str:code>/", v.council_vote, name="council_vote"),
    path("m/<str:token>/", v.council_checkin, name="council_checkin"),
    path("s/<str:join_code>/council/", v.council_opt_in, name="council_opt_in"),
]
