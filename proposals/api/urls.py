from django.urls import path

from . import views

urlpatterns = [
    path("funding-calls/", views.FundingCallList.as_view(), name="funding-call-list"),
    path("funding-calls/<int:pk>/", views.FundingCallDetail.as_view(), name="funding-call-detail"),
    path("funding-calls/<int:pk>/phase/", views.FundingCallPhase.as_view(), name="funding-call-phase"),
    path("funding-calls/<int:pk>/select/", views.FundingCallSelect.as_view(), name="funding-call-select"),
    path("funding-calls/<int:pk>/selection/", views.FundingCallSelection.as_view(), name="funding-call-selection"),
    path("funding-calls/<int:pk>/proposals/", views.FundingCallProposals.as_view(), name="funding-call-proposals"),
    path("funding-calls/<int:pk>/votes/", views.FundingCallVote.as_view(), name="funding-call-votes"),
    path("proposals/<int:pk>/", views.ProposalDetail.as_view(), name="proposal-detail"),
    path("proposals/<int:pk>/eligibility/", views.ProposalEligibility.as_view(), name="proposal-eligibility"),
    path("proposals/<int:pk>/override/", views.ProposalOverride.as_view(), name="proposal-override"),
    path("projects/", views.ProjectList.as_view(), name="project-list"),
    path("projects/<int:pk>/", views.ProjectDetail.as_view(), name="project-detail"),
    path("projects/<int:pk>/ledger/", views.ProjectLedger.as_view(), name="project-ledger"),
    path("tranches/<int:pk>/pay/", views.TranchePay.as_view(), name="tranche-pay"),
]
