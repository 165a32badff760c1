from django.urls import path

from . import views

urlpatterns = [
    path("councils/", views.CouncilList.as_view(), name="council-list"),
    path("councils/<int:pk>/members/", views.CouncilMemberList.as_view(), name="council-member-list"),
]
