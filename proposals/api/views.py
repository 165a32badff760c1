"""Funding REST API, one view per operation. Public lists use AllowAny and public serializers; the city's staff get
more fields; a city the caller may not act in answers 404 for everything that is not public. Rules live in
services; these views translate."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..models import FundingCall, Project, Tranche
from ..permissions import (
    call_for_staff,
    can_see_proposal,
    can_view_funding,
    city_for_funding_staff,
    project_for_team_or_staff,
    proposal_for_reader,
    proposal_for_staff,
    proposal_for_team_or_staff,
    public_proposals,
    tranche_for_manager,
)
from . import serializers as s


class FundingAPIView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def staff_call(self, pk: int, *, manage: bool = False) -> FundingCall:
        """The call, for staff of its city (managers when manage); 404 for everybody else."""
        return call_for_staff(self.request.user, pk, manage=manage)


CITY_PARAM = OpenApiParameter("city", str, description="Only this city (slug).")
# Serializer context for the staff of the proposal's city: every challenge of source.challenges, with its status.
STAFF = {"city_staff": True}


class FundingCallList(FundingAPIView):
    def get_permissions(self):
        return [permissions.AllowAny()] if self.request.method == "GET" else [permissions.IsAuthenticated()]

    @extend_schema(parameters=[CITY_PARAM], responses=s.FundingCallSerializer(many=True), auth=[])
    def get(self, request):
        calls = FundingCall.objects.select_related("city").order_by("city__slug", "-submission_deadline", "-id")
        if request.query_params.get("city"):
            calls = calls.filter(city__slug=request.query_params["city"])
        data = [
            (s.FundingCallStaffSerializer if can_view_funding(request.user, c.city) else s.FundingCallSerializer)(
                c
            ).data
            for c in calls
        ]
        return Response(data)

    @extend_schema(request=s.FundingCallCreate, responses={201: s.FundingCallStaffSerializer})
    def post(self, request):
        data = s.FundingCallCreate(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        city = city_for_funding_staff(request.user, fields.pop("city"), manage=True)
        call = services.call_create(city=city, actor=request.user, **fields)
        return Response(s.FundingCallStaffSerializer(call).data, status=status.HTTP_201_CREATED)


class FundingCallDetail(FundingAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.FundingCallSerializer, auth=[])
    def get(self, request, pk):
        call = get_object_or_404(FundingCall.objects.select_related("city"), pk=pk)
        serializer = (
            s.FundingCallStaffSerializer if can_view_funding(request.user, call.city) else s.FundingCallSerializer
        )
        return Response(serializer(call).data)


class FundingCallPhase(FundingAPIView):
    @extend_schema(request=s.FundingPhaseRequest, responses=s.FundingCallStaffSerializer)
    def post(self, request, pk):
        call = self.staff_call(pk, manage=True)
        data = s.FundingPhaseRequest(data=request.data)
        data.is_valid(raise_exception=True)
        call = services.call_set_phase(call=call, phase=data.validated_data["phase"], actor=request.user)
        return Response(s.FundingCallStaffSerializer(call).data)


class FundingCallSelect(FundingAPIView):
    @extend_schema(request=None, responses=s.SelectionDecisionSerializer(many=True))
    def post(self, request, pk):
        call = self.staff_call(pk, manage=True)
        services.call_select_projects(call=call, actor=request.user)
        return Response(s.SelectionDecisionSerializer(selectors.selection_results(call), many=True).data)


class FundingCallSelection(FundingAPIView):
    """The selection result with why each proposal was or was not funded: public once the selection has run."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.SelectionDecisionSerializer(many=True), auth=[])
    def get(self, request, pk):
        call = get_object_or_404(FundingCall, pk=pk)
        if call.selected_at is None:
            return Response([])
        return Response(s.SelectionDecisionSerializer(selectors.selection_results(call), many=True).data)


class FundingCallProposals(FundingAPIView):
    def get_permissions(self):
        return [permissions.AllowAny()] if self.request.method == "GET" else [permissions.IsAuthenticated()]

    @extend_schema(responses=s.ProposalPublicSerializer(many=True), auth=[])
    def get(self, request, pk):
        call = get_object_or_404(FundingCall.objects.select_related("city"), pk=pk)
        proposals = selectors.proposals_with_details().filter(call=call)
        if can_view_funding(request.user, call.city):
            return Response(s.ProposalStaffSerializer(proposals, many=True, context=STAFF).data)
        return Response(s.ProposalPublicSerializer(public_proposals(call, proposals), many=True).data)

    @extend_schema(request=s.ProposalSubmit, responses={201: s.ProposalStaffSerializer})
    def post(self, request, pk):
        call = get_object_or_404(FundingCall, pk=pk)
        data = s.ProposalSubmit(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.proposal_submit(call=call, lead=request.user, **data.validated_data)
        return Response(s.ProposalStaffSerializer(proposal).data, status=status.HTTP_201_CREATED)


class ProposalDetail(FundingAPIView):
    def get_permissions(self):
        return [permissions.AllowAny()] if self.request.method == "GET" else [permissions.IsAuthenticated()]

    @extend_schema(
        responses=OpenApiResponse(
            s.ProposalPublicSerializer,
            description="The public fields; staff of the proposal's city and its team lead also get the fields of "
            "ProposalStaff (lead_email, members, attachments, eligibility_note, ...).",
        ),
        auth=[],
    )
    def get(self, request, pk):
        proposal = proposal_for_reader(request.user, pk)
        if can_see_proposal(request.user, proposal):
            context = STAFF if can_view_funding(request.user, proposal.call.city) else {}
            return Response(s.ProposalStaffSerializer(proposal, context=context).data)
        return Response(s.ProposalPublicSerializer(proposal).data)

    @extend_schema(request=s.ProposalUpdate, responses=s.ProposalStaffSerializer)
    def patch(self, request, pk):
        proposal = proposal_for_team_or_staff(request.user, pk)
        data = s.ProposalUpdate(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        proposal = services.proposal_update(proposal=proposal, user=request.user, **data.validated_data)
        context = STAFF if can_view_funding(request.user, proposal.call.city) else {}
        proposal = selectors.proposals_with_details().get(pk=proposal.pk)
        return Response(s.ProposalStaffSerializer(proposal, context=context).data)


class ProposalEligibility(FundingAPIView):
    @extend_schema(request=s.EligibilityRequest, responses=s.ProposalStaffSerializer)
    def post(self, request, pk):
        proposal = proposal_for_staff(request.user, pk, manage=True)
        data = s.EligibilityRequest(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_set_eligibility(proposal=proposal, actor=request.user, **data.validated_data)
        proposal = selectors.proposals_with_details().get(pk=proposal.pk)
        return Response(s.ProposalStaffSerializer(proposal, context=STAFF).data)


class ProposalOverride(FundingAPIView):
    @extend_schema(request=s.OverrideRequest, responses=s.SelectionDecisionSerializer)
    def post(self, request, pk):
        proposal = proposal_for_staff(request.user, pk, manage=True)
        data = s.OverrideRequest(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.selection_override(proposal=proposal, actor=request.user, **data.validated_data)
        return Response(s.SelectionDecisionSerializer(decision).data)


class FundingCallVote(FundingAPIView):
    """A signed-in account (session or token) or a single-use code casts a ballot."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=s.FundingVoteRequest, responses={201: None}, auth=[])
    def post(self, request, pk):
        call = get_object_or_404(FundingCall, pk=pk)
        data = s.FundingVoteRequest(data=request.data)
        data.is_valid(raise_exception=True)
        votes = services.vote_cast(
            call=call,
            choices=data.validated_data["choices"],
            user=request.user if request.user.is_authenticated else None,
            code=data.validated_data["code"],
        )
        return Response({"votes": len(votes)}, status=status.HTTP_201_CREATED)


def _projects():
    return selectors.projects_with_progress().prefetch_related(
        "milestones", Prefetch("tranches", queryset=Tranche.objects.order_by("number"))
    )


class ProjectList(FundingAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[CITY_PARAM], responses=s.ProjectSerializer(many=True), auth=[])
    def get(self, request):
        projects = _projects().exclude(status="cancelled").order_by("city__slug", "id")
        if request.query_params.get("city"):
            projects = projects.filter(city__slug=request.query_params["city"])
        return Response(
            [
                (s.ProjectStaffSerializer if can_view_funding(request.user, p.city) else s.ProjectSerializer)(p).data
                for p in projects
            ]
        )


class ProjectDetail(FundingAPIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=s.ProjectSerializer, auth=[])
    def get(self, request, pk):
        project = get_object_or_404(_projects(), pk=pk)
        serializer = s.ProjectStaffSerializer if can_view_funding(request.user, project.city) else s.ProjectSerializer
        return Response(serializer(project).data)


class ProjectLedger(FundingAPIView):
    """The project's ledger: the city's staff read it; they and the team lead record spending and refunds."""

    def project(self, pk: int) -> Project:
        return project_for_team_or_staff(self.request.user, pk)

    @extend_schema(responses=s.LedgerSerializer)
    def get(self, request, pk):
        project = self.project(pk)
        return Response(
            {
                "balance": str(project.balance),
                "entries": s.LedgerEntrySerializer(project.ledger.order_by("id"), many=True).data,
            }
        )

    @extend_schema(request=s.LedgerRecordRequest, responses={201: s.LedgerEntrySerializer})
    def post(self, request, pk):
        project = self.project(pk)
        data = s.LedgerRecordRequest(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.ledger_record(project=project, actor=request.user, **data.validated_data)
        return Response(s.LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TranchePay(FundingAPIView):
    @extend_schema(request=s.TranchePayRequest, responses={201: s.LedgerEntrySerializer})
    def post(self, request, pk):
        tranche = tranche_for_manager(request.user, pk)
        data = s.TranchePayRequest(data=request.data)
        data.is_valid(raise_exception=True)
        if not request.user.is_authenticated:  # pragma: no cover - IsAuthenticated already refused
            raise exceptions.NotAuthenticated()
        entry = services.tranche_pay(tranche=tranche, actor=request.user, **data.validated_data)
        return Response(s.LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
