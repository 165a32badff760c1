from django.urls import path, re_path

from . import views

CODE = r"sessions/(?P<code>[A-Za-z0-9-]{1,16})"

urlpatterns = [
    re_path(rf"^{CODE}/join/?$", views.SessionJoin.as_view(), name="session-join"),
    re_path(rf"^{CODE}/state/?$", views.SessionState.as_view(), name="session-state"),
    re_path(rf"^{CODE}/me/?$", views.ParticipantMe.as_view(), name="session-me"),
    re_path(rf"^{CODE}/items/?$", views.ItemSubmit.as_view(), name="session-items"),
    re_path(rf"^{CODE}/items/moderation/?$", views.ItemsModeration.as_view(), name="items-moderation"),
    re_path(rf"^{CODE}/moderation/?$", views.ModerationBoard.as_view(), name="session-moderation"),
    re_path(rf"^{CODE}/merges/(?P<merge_id>\d+)/undo/?$", views.MergeUndo.as_view(), name="merge-undo"),
    re_path(rf"^{CODE}/items/(?P<item_id>\d+)/moderation/?$", views.ItemModeration.as_view(), name="item-moderation"),
    re_path(rf"^{CODE}/items/(?P<item_id>\d+)/edit/?$", views.ItemEdit.as_view(), name="item-edit"),
    re_path(rf"^{CODE}/items/(?P<item_id>\d+)/merge/?$", views.ItemMerge.as_view(), name="item-merge"),
    re_path(rf"^{CODE}/votes/?$", views.VoteCast.as_view(), name="session-votes"),
    re_path(rf"^{CODE}/votes/(?P<item_id>\d+)/?$", views.VoteWithdraw.as_view(), name="session-vote-withdraw"),
    re_path(rf"^{CODE}/phase/?$", views.SessionPhase.as_view(), name="session-phase"),
    re_path(rf"^{CODE}/lock/?$", views.SessionLock.as_view(), name="session-lock"),
    re_path(rf"^{CODE}/results-visible/?$", views.SessionResultsVisibility.as_view(), name="session-results-visible"),
    re_path(rf"^{CODE}/rotate-code/?$", views.SessionRotateCode.as_view(), name="session-rotate-code"),
    re_path(rf"^{CODE}/publish/?$", views.SessionPublish.as_view(), name="session-publish"),
    re_path(rf"^{CODE}/results/?$", views.SessionResults.as_view(), name="session-results"),
    re_path(rf"^{CODE}/join-policy/?$", views.SessionJoinPolicy.as_view(), name="session-join-policy"),
    re_path(rf"^{CODE}/cards/?$", views.SessionCards.as_view(), name="session-cards"),
    re_path(rf"^{CODE}/room-code/?$", views.SessionRoomCode.as_view(), name="session-room-code"),
    re_path(rf"^{CODE}/join-clusters/?$", views.SessionJoinClusters.as_view(), name="session-join-clusters"),
    re_path(rf"^{CODE}/set-aside/?$", views.SessionSetAside.as_view(), name="session-set-aside"),
    path("consultations/", views.ConsultationList.as_view(), name="consultation-list"),
    path("consultations/<int:pk>/sessions/", views.ConsultationSessions.as_view(), name="consultation-sessions"),
]
