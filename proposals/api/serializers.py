"""Response and request shapes of the funding API (docs/projects.md). Public serializers carry no personal data;
the staff variants add what only the city's staff may read."""

from decimal import Decimal

from rest_framework import serializers

from consultations.models import ItemStatus

from .. import selectors
from ..models import CallPhase, FundingCall, LedgerEntry, MilestoneStatus, Project, ProjectProposal, Tranche

MONEY = {"max_digits": 14, "decimal_places": 2, "coerce_to_string": True}


class FundingCallSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    budget = serializers.DecimalField(**MONEY, read_only=True)
    cap_per_project = serializers.DecimalField(**MONEY, read_only=True)
    allocated = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = FundingCall
        fields = [
            "id",
            "city",
            "title",
            "description",
            "budget",
            "currency",
            "cap_per_project",
            "allocated",
            "phase",
            "vote_method",
            "min_age",
            "max_age",
            "min_team_size",
            "max_team_size",
            "submission_deadline",
            "review_ends",
            "vote_starts",
            "vote_ends",
            "selection_on",
            "implementation_ends",
        ]
        read_only_fields = fields


class FundingCallStaffSerializer(FundingCallSerializer):
    proposal_count = serializers.SerializerMethodField()
    selected_at = serializers.DateTimeField(read_only=True)

    class Meta(FundingCallSerializer.Meta):
        fields = [*FundingCallSerializer.Meta.fields, "proposal_count", "selected_at"]
        read_only_fields = fields

    def get_proposal_count(self, call) -> int:
        return call.proposals.count()


class FundingCallCreate(serializers.Serializer):
    city = serializers.SlugField()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    cap_per_project = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    submission_deadline = serializers.DateTimeField()
    vote_method = serializers.ChoiceField(choices=["approval", "budget"], default="approval")


class FundingPhaseRequest(serializers.Serializer):
    phase = serializers.ChoiceField(choices=CallPhase.choices)


class ProvenanceMixin(serializers.Serializer):
    """``source``: the live-session proposal a proposal came from and the challenges it answers. Only approved
    challenges are listed (a challenge hidden or still waiting for moderation never reaches the public), except for
    the staff of the proposal's city: given ``context={"city_staff": True}``, they get every challenge with its
    moderation status."""

    source = serializers.SerializerMethodField()

    def get_source(self, proposal) -> dict | None:
        item = proposal.source_item
        if item is None:
            return None
        if self.context.get("city_staff"):
            challenges = [{"id": c.pk, "text": c.text, "status": c.status} for c in item.answers.all()]
        else:
            challenges = [{"id": c.pk, "text": c.text} for c in item.answers.all() if c.status == ItemStatus.APPROVED]
        return {
            "item": item.pk,
            "text": item.text,
            "session": item.session_id,
            "session_title": item.session.title,
            "consultation": item.session.consultation_id,
            "challenges": challenges,
        }


class ProposalPublicSerializer(ProvenanceMixin, serializers.ModelSerializer):
    requested_amount = serializers.DecimalField(**MONEY, read_only=True)
    currency = serializers.CharField(source="call.currency", read_only=True)
    funding_call = serializers.IntegerField(source="call_id", read_only=True)

    class Meta:
        model = ProjectProposal
        fields = [
            "id",
            "funding_call",
            "title",
            "summary",
            "team_name",
            "requested_amount",
            "currency",
            "status",
            "source",
        ]
        read_only_fields = fields


class TeamMemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    age = serializers.IntegerField(min_value=10, max_value=99)


class ProposalStaffSerializer(ProposalPublicSerializer):
    lead_email = serializers.EmailField(source="lead.email", read_only=True, default=None, allow_null=True)
    members = TeamMemberSerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta(ProposalPublicSerializer.Meta):
        fields = [
            *ProposalPublicSerializer.Meta.fields,
            "lead_email",
            "members",
            "eligibility_note",
            "beneficiaries_expected",
            "submitted_at",
            "attachments",
        ]
        read_only_fields = fields

    def get_attachments(self, proposal) -> list[dict]:
        return [
            {"id": a.pk, "name": a.original_name, "type": a.kind, "size": a.size} for a in proposal.attachments.all()
        ]


class ProposalSubmit(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField()
    team_name = serializers.CharField(max_length=120)
    requested_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    beneficiaries_expected = serializers.IntegerField(min_value=0, default=0)
    members = TeamMemberSerializer(many=True)


class ProposalUpdate(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False)
    team_name = serializers.CharField(max_length=120, required=False)
    requested_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    beneficiaries_expected = serializers.IntegerField(min_value=0, required=False)
    members = TeamMemberSerializer(many=True, required=False)


class EligibilityRequest(serializers.Serializer):
    eligible = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OverrideRequest(serializers.Serializer):
    fund = serializers.BooleanField()
    reason = serializers.CharField()
    grant = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)


class FundingVoteRequest(serializers.Serializer):
    code = serializers.CharField(required=False, allow_blank=True, default="")
    choices = serializers.DictField(child=serializers.DecimalField(max_digits=14, decimal_places=2))


class SelectionDecisionSerializer(serializers.Serializer):
    proposal = serializers.IntegerField(source="proposal_id")
    title = serializers.CharField(source="proposal.title")
    team_name = serializers.CharField(source="proposal.team_name")
    requested_amount = serializers.DecimalField(source="proposal.requested_amount", **MONEY)
    rank = serializers.IntegerField(allow_null=True)
    support = serializers.DecimalField(**MONEY)
    jury_score = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=True, allow_null=True)
    remaining_before = serializers.DecimalField(**MONEY)
    outcome = serializers.CharField()
    funded = serializers.BooleanField()
    explanation = serializers.CharField(source="get_outcome_display")
    override_reason = serializers.CharField()


class ProjectMilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=MilestoneStatus.choices)
    progress = serializers.IntegerField()


class ProjectSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    funding_call = serializers.IntegerField(source="call_id", read_only=True)
    proposal = serializers.IntegerField(source="proposal_id", read_only=True)
    team_name = serializers.CharField(source="proposal.team_name", read_only=True)
    grant = serializers.DecimalField(**MONEY, read_only=True)
    progress = serializers.SerializerMethodField()
    milestones = ProjectMilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "city",
            "title",
            "funding_call",
            "proposal",
            "team_name",
            "grant",
            "currency",
            "progress",
            "status",
            "beneficiaries_reached",
            "milestones",
        ]
        read_only_fields = fields

    def get_progress(self, project) -> int:
        return selectors.project_progress(project)


class TrancheSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = Tranche
        fields = ["id", "number", "amount", "planned_on", "status", "paid_on"]
        read_only_fields = fields


class ProjectStaffSerializer(ProjectSerializer):
    disbursed = serializers.DecimalField(**MONEY, read_only=True)
    spent = serializers.DecimalField(**MONEY, read_only=True)
    balance = serializers.DecimalField(**MONEY, read_only=True)
    tranches = TrancheSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "disbursed", "spent", "balance", "tranches"]
        read_only_fields = fields


class LedgerEntrySerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(**MONEY, read_only=True)
    balance_after = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "amount", "balance_after", "description", "tranche", "recorded_at"]
        read_only_fields = fields


class LedgerSerializer(serializers.Serializer):
    """GET projects/<id>/ledger/: the balance and every entry, oldest first."""

    balance = serializers.DecimalField(**MONEY, read_only=True)
    entries = LedgerEntrySerializer(many=True, read_only=True)


class LedgerRecordRequest(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["expense", "refund"])
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    description = serializers.CharField(max_length=300)


class TranchePayRequest(serializers.Serializer):
    paid_on = serializers.DateField(required=False)
