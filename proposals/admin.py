"""Django admin for funding calls and projects. Money fields are read-only here: they change through services,
and ledger entries can be neither changed nor deleted (append-only)."""

from django.contrib import admin

from .models import (
    Attachment,
    Criterion,
    FundingCall,
    LedgerEntry,
    Milestone,
    ProgressReport,
    Project,
    ProjectProposal,
    SelectionDecision,
    TeamMember,
    Tranche,
)


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(FundingCall)
class FundingCallAdmin(admin.ModelAdmin):
    list_display = ["title", "city", "phase", "budget", "allocated", "currency"]
    list_filter = ["city", "phase"]
    readonly_fields = ["allocated", "selected_at", "phase"]
    inlines = [CriterionInline]


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["kind", "size", "original_name"]


@admin.register(ProjectProposal)
class ProjectProposalAdmin(admin.ModelAdmin):
    list_display = ["title", "team_name", "call", "status", "requested_amount"]
    list_filter = ["call__city", "status"]
    readonly_fields = ["status", "source_item"]
    raw_id_fields = ["lead"]
    inlines = [TeamMemberInline, AttachmentInline]


@admin.register(SelectionDecision)
class SelectionDecisionAdmin(admin.ModelAdmin):
    list_display = ["proposal", "call", "rank", "support", "jury_score", "outcome"]
    list_filter = ["call__city", "outcome"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TrancheInline(admin.TabularInline):
    model = Tranche
    extra = 0
    readonly_fields = ["status", "paid_on"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "amount", "balance_after", "description", "recorded_by", "recorded_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "city", "call", "grant", "disbursed", "spent", "balance", "status"]
    list_filter = ["city", "status"]
    readonly_fields = ["proposal", "call", "city", "grant", "currency", "disbursed", "spent", "balance"]
    inlines = [TrancheInline, MilestoneInline, LedgerInline]

    def has_add_permission(self, request):
        return False  # projects are created by the selection (services.call_select_projects)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Append-only: entries are listed, never added, changed or deleted here (services post them)."""

    list_display = ["project", "kind", "amount", "balance_after", "recorded_at", "recorded_by"]
    list_filter = ["project__city", "kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(ProgressReport)
