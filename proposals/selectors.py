"""Reads that aggregate: jury scores, youth support, the selection ranking, project progress and the public
accountability list. Serializers and templates use these instead of looping over queries."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cities.errors import DomainError
from cities.models import City
from consultations.models import Item, ItemStatus

from .errors import AlreadySelected, SelectionBlocked, WrongPhase
from .models import (
    ZERO,
    CallPhase,
    Criterion,
    FundingCall,
    LedgerEntry,
    Project,
    ProjectProposal,
    ProposalStatus,
    Review,
    SelectionDecision,
    YouthVote,
)

TWO_PLACES = Decimal("0.01")


def jury_scores(call: FundingCall) -> dict[int, Decimal | None]:
    """Each proposal's jury score from 0 to 100: for every review without a declared conflict of interest, the
    weighted sum of its scores over the weighted maximum, averaged over those reviews. None when nobody scored."""
    criteria = list(Criterion.objects.filter(call=call))
    total_weight = sum(c.weight * c.max_score for c in criteria)
    result: dict[int, Decimal | None] = dict.fromkeys(call.proposals.values_list("pk", flat=True))
    if not total_weight:
        return result
    weights = {c.pk: c.weight for c in criteria}
    per_proposal: dict[int, list[Decimal]] = {}
    reviews = Review.objects.filter(proposal__call=call, conflict_of_interest=False).prefetch_related("scores")
    for review in reviews:
        scores = list(review.scores.all())
        if not scores:
            continue
        weighted = sum(weights.get(s.criterion_id, 0) * s.value for s in scores)
        per_proposal.setdefault(review.proposal_id, []).append(Decimal(100 * weighted) / Decimal(total_weight))
    for proposal_id, values in per_proposal.items():
        result[proposal_id] = (sum(values, Decimal(0)) / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return result


def youth_support(call: FundingCall) -> dict[int, Decimal]:
    """Each proposal's support in the youth vote: the number of approvals, or the sum of the amounts allocated."""
    rows = YouthVote.objects.filter(call=call).values("proposal_id").annotate(total=Sum("amount"))
    support = dict.fromkeys(call.proposals.values_list("pk", flat=True), ZERO)
    # Quantised to cents: SQLite sums decimals as floats, and a float error must never break a tie.
    support.update({row["proposal_id"]: Decimal(row["total"]).quantize(TWO_PLACES) for row in rows})
    return support


def voter_count(call: FundingCall) -> int:
    accounts = YouthVote.objects.filter(call=call, voter__isnull=False).values("voter_id").distinct().count()
    codes = YouthVote.objects.filter(call=call, voter_code__isnull=False).values("voter_code_id").distinct().count()
    return accounts + codes


@dataclass(frozen=True)
class RankedProposal:
    proposal: ProjectProposal
    support: Decimal
    jury_score: Decimal | None


def selection_ranking(call: FundingCall) -> list[RankedProposal]:
    """The eligible proposals in selection order (docs/projects.md): most youth support first; ties broken by the
    higher jury score (no score ranks below any score), then the earlier submission, then the lower id."""
    scores = jury_scores(call)
    support = youth_support(call)
    eligible = call.proposals.filter(status=ProposalStatus.ELIGIBLE)
    ranked = [RankedProposal(p, support.get(p.pk, ZERO), scores.get(p.pk)) for p in eligible]
    ranked.sort(
        key=lambda r: (
            -r.support,
            -(r.jury_score if r.jury_score is not None else Decimal(-1)),
            r.proposal.submitted_at,
            r.proposal.pk,
        )
    )
    return ranked


def selection_refusal(call: FundingCall) -> DomainError | None:
    """Why the selection of call cannot run now (the error services.call_select_projects raises), or None when it
    can: it runs once, in the selection phase, after every proposal was checked for eligibility."""
    if call.selected_at is not None:
        return AlreadySelected()
    if call.phase != CallPhase.SELECTION:
        return WrongPhase(_("The selection runs in the call's selection phase."))
    unchecked = call.proposals.filter(status=ProposalStatus.SUBMITTED).count()
    if unchecked:
        return SelectionBlocked(_("%(n)s proposals have not been checked for eligibility yet.") % {"n": unchecked})
    return None


def selection_results(call: FundingCall) -> list[SelectionDecision]:
    return list(
        SelectionDecision.objects.filter(call=call)
        .select_related("proposal", "decided_by")
        .order_by(F("rank").asc(nulls_last=True), "proposal__submitted_at", "proposal_id")
    )


def projects_with_progress(queryset: QuerySet[Project] | None = None) -> QuerySet[Project]:
    """Projects annotated with `progress_avg` (mean milestone progress, None without milestones)."""
    queryset = queryset if queryset is not None else Project.objects.all()
    return queryset.select_related("city", "call", "proposal").annotate(progress_avg=Avg("milestones__progress"))


def project_progress(project: Project) -> int:
    """0-100: the mean progress of the project's milestones (0 without milestones), or 100 once completed."""
    if project.status == "completed":
        return 100
    value = getattr(project, "progress_avg", None)
    if value is None and not hasattr(project, "progress_avg"):
        value = project.milestones.aggregate(v=Avg("progress"))["v"]
    return round(value or 0)


def ledger_total(project: Project) -> Decimal:
    """The exact sum of the project's ledger entries (summed in Python: SQLite's SUM of decimals is a float)."""
    return sum(LedgerEntry.objects.filter(project=project).values_list("amount", flat=True), ZERO)


def public_projects_for_city(city: City) -> list[Project]:
    """Funded projects of a city for the accountability page, with their provenance (live-session proposal, its
    session and the approved challenges it answered: never a hidden or unmoderated one) and milestones prefetched.
    Carries no personal data."""
    projects = (
        projects_with_progress(Project.objects.filter(city=city).exclude(status="cancelled"))
        .select_related("proposal__source_item__session__consultation")
        .prefetch_related(
            "milestones",
            Prefetch(
                "proposal__source_item__answers",
                queryset=Item.objects.filter(status=ItemStatus.APPROVED),
                to_attr="answered_challenges",
            ),
        )
        .annotate(report_count=Count("reports", distinct=True))
        .order_by("-call__submission_deadline", "id")
    )
    return list(projects)


def call_overview(city: City) -> QuerySet[FundingCall]:
    return FundingCall.objects.filter(city=city).annotate(
        proposal_count=Count("proposals", distinct=True),
        eligible_count=Count(
            "proposals", filter=Q(proposals__status__in=["eligible", "funded", "not_funded"]), distinct=True
        ),
        project_count=Count("projects", distinct=True),
    )


def proposals_with_details() -> QuerySet[ProjectProposal]:
    """Proposals with what their full page and the staff API show: call and city, lead, team, attachments and the
    live-session proposal they came from with the challenges it answers."""
    return ProjectProposal.objects.select_related("call__city", "lead", "source_item__session").prefetch_related(
        "members", "attachments", "source_item__answers"
    )


def calls_open_for_submission() -> QuerySet[FundingCall]:
    """The calls of every city that accept proposals now (FundingCall.accepts_submissions), soonest deadline first."""
    return (
        FundingCall.objects.filter(phase=CallPhase.SUBMISSION, submission_deadline__gte=timezone.now())
        .select_related("city")
        .order_by("submission_deadline")
    )


def calls_open_for_votes() -> QuerySet[FundingCall]:
    """The calls of every city holding their youth vote now (FundingCall.accepts_votes)."""
    return FundingCall.objects.filter(phase=CallPhase.VOTE).select_related("city")


def ballot_proposals(call: FundingCall) -> QuerySet[ProjectProposal]:
    """The proposals a youth voter chooses among (the eligible ones, which services.vote_cast accepts), in a random
    order so that none gains from its place; none while the call does not accept votes."""
    if not call.accepts_votes:
        return call.proposals.none()
    return call.proposals.filter(status=ProposalStatus.ELIGIBLE).order_by("?")
