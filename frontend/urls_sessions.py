"""Live-session pages: join, participant, facilitator console, projector and poster."""

from django.urls import path

from .views import sessions

urlpatterns = [
    path("j/", sessions.join_lookup, name="join_lookup"),
    path("j/<str:code>/", sessions.join, name="join"),
    path("s/<str:code>/", sessions.participant, name="participant"),
    path("s/<str:code>/submit/", sessions.participant_submit, name="participant_submit"),
    path("s/<str:code>/vote/", sessions.participant_vote, name="participant_vote"),
    path("staff/<slug:city>/consultations/", sessions.consultation_list, name="consultation_list"),
    path("staff/<slug:city>/consultations/<int:pk>/", sessions.consultation_detail, name="consultation_detail"),
    path("staff/<slug:city>/sessions/<str:code>/", sessions.session_console, name="session_console"),
    path("staff/<slug:city>/sessions/<str:code>/projector/", sessions.projector, name="projector"),
    path("staff/<slug:city>/sessions/<str:code>/poster/", sessions.poster, name="poster"),
    path("staff/<slug:city>/sessions/<str:code>/cards/print/", sessions.join_cards, name="join_cards"),
    path(
        "staff/<slug:city>/sessions/<str:code>/<slug:action>/",
        sessions.session_action,
        name="session_action",
    ),
]
