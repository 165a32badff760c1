"""Funding exports: the results of a call with why each proposal was or was not funded, and the portfolio of funded
projects with grant, tranches paid, spending from the ledger and milestone progress; and this app's part of the
network key figures. Aggregated in the database (grouped sums and counts), no personal data (team names only)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cities.exports import ALL_FORMATS, BaseExporter, Chart, key_figures_provider, option_object, register

from .models import (
    FundingCall,
    LedgerEntry,
    LedgerKind,
    Milestone,
    MilestoneStatus,
    Outcome,
    Project,
    ProjectProposal,
    ProjectStatus,
    ProposalStatus,
    Tranche,
    TrancheStatus,
)
from .permissions import can_view_funding


def _money(value) -> float:
    return float(round(Decimal(str(value or 0)), 2))


def _why(proposal: ProjectProposal, decision, money: str) -> str:
    """One sentence saying why the proposal was or was not funded."""
    if decision is None:
        if proposal.status == ProposalStatus.INELIGIBLE:
            return gettext("Not eligible: %(note)s") % {"note": proposal.eligibility_note or "—"}
        if proposal.status == ProposalStatus.WITHDRAWN:
            return gettext("Withdrawn by the team.")
        return gettext("No selection has been run for it yet.")
    values = {
        "rank": decision.rank or "—",
        "amount": money.format(proposal.requested_amount),
        "left": money.format(decision.remaining_before),
        "reason": decision.override_reason or "—",
        "note": proposal.eligibility_note or "—",
    }
    sentences = {
        Outcome.FUNDED: gettext(
            "Ranked %(rank)s by youth support; the %(amount)s requested fitted in the %(left)s left."
        ),
        Outcome.DOES_NOT_FIT: gettext(
            "Ranked %(rank)s by youth support; the %(amount)s requested did not fit in the %(left)s left."
        ),
        Outcome.INELIGIBLE: gettext("Not eligible: %(note)s"),
        Outcome.OVERRIDE_FUNDED: gettext("Funded by a staff decision: %(reason)s"),
        Outcome.OVERRIDE_REFUSED: gettext("Not funded by a staff decision: %(reason)s"),
    }
    return sentences.get(decision.outcome, "") % values


@register
class FundingCallResults(BaseExporter):
    identifier = "funding_call_results"
    verbose_name = _("Funding call results")
    description = _("Every proposal of a call: rank, youth support, jury score, outcome and why.")
    permission = staticmethod(can_view_funding)
    formats = ALL_FORMATS
    options = required_options = ("call",)
    option_sources = {"call": (FundingCall.objects, "city_id")}
    labels = {
        "rank": _("Rank"),
        "title": _("Proposal"),
        "team": _("Team"),
        "requested": _("Requested"),
        "currency": _("Currency"),
        "support": _("Youth support"),
        "jury_score": _("Jury score"),
        "budget_left": _("Budget left at its turn"),
        "outcome": _("Outcome"),
        "grant": _("Grant"),
        "why": _("Why"),
    }

    def subject(self, city, options):
        return option_object(FundingCall.objects.filter(city=city), options, "call").title

    def tables(self, city, options):
        call = option_object(FundingCall.objects.filter(city=city), options, "call")
        outcomes, statuses = dict(Outcome.choices), dict(ProposalStatus.choices)
        money = "{} " + call.currency
        proposals = (
            ProjectProposal.objects.filter(call=call)
            .select_related("decision", "project")
            .order_by("decision__rank", "submitted_at", "id")
        )
        rows = []
        for p in proposals:
            decision = getattr(p, "decision", None)
            project = getattr(p, "project", None)
            rows.append(
                {
                    "rank": decision.rank if decision and decision.rank else "",
                    "title": p.title,
                    "team": p.team_name,
                    "requested": _money(p.requested_amount),
                    "currency": call.currency,
                    "support": _money(decision.support) if decision else "",
                    "jury_score": _money(decision.jury_score) if decision and decision.jury_score is not None else "",
                    "budget_left": _money(decision.remaining_before) if decision else "",
                    "outcome": str(outcomes[decision.outcome] if decision else statuses.get(p.status, p.status)),
                    "grant": _money(project.grant) if project else "",
                    "why": _why(p, decision, money),
                }
            )
        rows.sort(key=lambda r: (r["rank"] == "", r["rank"] if r["rank"] != "" else 0))
        yield (
            gettext("Call"),
            [
                {
                    "title": call.title,
                    "currency": call.currency,
                    "budget": _money(call.budget),
                    "allocated": _money(call.allocated),
                    "remaining": _money(call.remaining),
                    "proposals": len(rows),
                    "funded": sum(1 for p in proposals if getattr(p, "project", None) is not None),
                }
            ],
        )
        yield gettext("Proposals and decisions"), rows, Chart("title", "support", limit=12)


@register
class ProjectPortfolio(BaseExporter):
    identifier = "project_portfolio"
    verbose_name = _("Project portfolio")
    description = _("Funded projects: grant, tranches paid, spending from the ledger, milestone progress.")
    permission = staticmethod(can_view_funding)
    formats = ALL_FORMATS
    options = ("call",)
    option_sources = {"call": (FundingCall.objects, "city_id")}
    labels = {
        "project": _("Project"),
        "call": _("Funding call"),
        "team": _("Team"),
        "status": _("Status"),
        "currency": _("Currency"),
        "grant": _("Grant"),
        "tranches_planned": _("Tranches"),
        "tranches_paid": _("Tranches paid"),
        "paid": _("Paid to the team"),
        "spent": _("Spent"),
        "refunded": _("Returned"),
        "balance": _("Balance"),
        "milestones": _("Milestones"),
        "milestones_done": _("Milestones done"),
        "progress": _("Progress (%)"),
        "beneficiaries": _("Beneficiaries reached"),
    }

    def subject(self, city, options):
        if options.get("call") not in (None, ""):
            return option_object(FundingCall.objects.filter(city=city), options, "call").title
        return str(city)

    def tables(self, city, options):
        projects = Project.objects.filter(city=city)
        if options.get("call") not in (None, ""):
            projects = projects.filter(call=option_object(FundingCall.objects.filter(city=city), options, "call"))
        projects = list(projects.select_related("call", "proposal").order_by("call__submission_deadline", "id"))
        ids = [p.pk for p in projects]
        tranches = {
            r["project_id"]: r
            for r in Tranche.objects.filter(project_id__in=ids)
            .values("project_id")
            .annotate(
                planned=Count("id"),
                paid=Count("id", filter=Q(status=TrancheStatus.PAID)),
                amount=Sum("amount", filter=Q(status=TrancheStatus.PAID)),
            )
            .order_by()
        }
        ledger: dict[tuple[int, str], object] = {
            (r["project_id"], r["kind"]): r["total"]
            for r in LedgerEntry.objects.filter(project_id__in=ids)
            .values("project_id", "kind")
            .annotate(total=Sum("amount"))
            .order_by()
        }
        milestones = {
            r["project_id"]: r
            for r in Milestone.objects.filter(project_id__in=ids)
            .values("project_id")
            .annotate(n=Count("id"), done=Count("id", filter=Q(status=MilestoneStatus.DONE)), avg=Avg("progress"))
            .order_by()
        }
        statuses = dict(ProjectStatus.choices)
        rows = []
        for p in projects:
            t, m = tranches.get(p.pk, {}), milestones.get(p.pk, {})
            progress = 100 if p.status == ProjectStatus.COMPLETED else round(m.get("avg") or 0)
            rows.append(
                {
                    "project": p.title,
                    "call": p.call.title,
                    "team": p.proposal.team_name,
                    "status": str(statuses.get(p.status, p.status)),
                    "currency": p.currency,
                    "grant": _money(p.grant),
                    "tranches_planned": t.get("planned", 0),
                    "tranches_paid": t.get("paid", 0),
                    "paid": _money(t.get("amount")),
                    "spent": -_money(ledger.get((p.pk, LedgerKind.EXPENSE))),
                    "refunded": -_money(ledger.get((p.pk, LedgerKind.REFUND))),
                    "balance": _money(p.balance),
                    "milestones": m.get("n", 0),
                    "milestones_done": m.get("done", 0),
                    "progress": progress,
                    "beneficiaries": p.beneficiaries_reached,
                }
            )
        yield gettext("Projects"), rows, Chart("project", "progress", percent=True)


@key_figures_provider
def funding_key_figures(city_ids: list[int]) -> dict[int, dict]:
    """Funded projects (not cancelled) and the budget granted to them, per city and currency."""
    figures: dict[int, dict] = {}
    rows = (
        Project.objects.filter(city_id__in=city_ids)
        .exclude(status=ProjectStatus.CANCELLED)
        .values("city_id", "currency")
        .annotate(n=Count("id"), granted=Sum("grant"))
        .order_by("city_id", "currency")
    )
    for r in rows:
        entry = figures.setdefault(r["city_id"], {"funded_projects": 0, "budget_granted": {}})
        entry["funded_projects"] += r["n"]
        entry["budget_granted"][r["currency"]] = _money(r["granted"])
    return figures
