"""Demo seed fund (seed_demo): one funding call per city, run through review, youth vote and selection, with 2-3
funded projects that have tranches, milestones, spending and a progress report. Idempotent: a city whose demo call
exists is left as it is."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cities.models import City, User

from . import services
from .models import CallPhase, FundingCall, ProjectProposal

BUDGETS = {"fes": Decimal("200000.00"), "saida": Decimal("20000.00")}
CURRENCIES = {"fes": "MAD", "saida": "USD"}
TITLES = {"fes": "Fonds jeunesse de Fès 2026", "saida": "Saida Youth Seed Fund 2026"}

# (title, summary, team name, share of the budget requested, approvals in the youth vote)
ONLINE = {
    "fes": [
        (
            "Café-lecture à la Médina",
            "Un espace de lecture et de débat ouvert aux jeunes le soir.",
            "Les Lecteurs",
            "0.35",
            14,
        ),
        ("ورشات برمجة للفتيات", "ورشات أسبوعية لتعليم البرمجة لفتيات الأحياء الهامشية.", "بنات الكود", "0.30", 11),
        ("Tournoi de quartier", "Un tournoi de football mixte entre arrondissements.", "Saiss United", "0.25", 9),
        ("Fresque murale", "Une fresque sur l'histoire de Fès.", "Couleurs de Fès", "0.45", 5),
    ],
    "saida": [
        (
            "Beach clean-up brigade",
            "Monthly clean-ups and recycling bins on the public beach.",
            "Blue Saida",
            "0.35",
            14,
        ),
        ("مكتبة متنقلة", "مكتبة متنقلة في أحياء البلدة القديمة.", "قراء صيدا", "0.30", 11),
        ("Study nights", "A solar-powered study room open at night during power cuts.", "Night Owls", "0.25", 9),
        ("Youth radio", "A weekly youth radio show.", "Saida Waves", "0.45", 5),
    ],
}
PROMOTED_SHARE = Decimal("0.375")
TEAM = [("Demo lead", 21), ("Demo member", 19), ("Demo member", 17)]


def _youth(city: City, n: int) -> User:
    user, _ = User.objects.get_or_create(email=f"team{n}@{city.slug}.example.org", defaults={"name": f"Demo team {n}"})
    return user


@transaction.atomic
def seed_city(*, city: City, staff: dict, context: dict) -> None:
    """Create the city's demo funding call with its proposals, selection and funded projects (once)."""
    title = TITLES.get(city.slug, f"{city.name_en} Youth Seed Fund")
    if FundingCall.objects.filter(city=city, title=title).exists():
        return
    admin, analyst, facilitator = staff["admin"], staff["analyst"], staff["facilitator"]
    budget = BUDGETS.get(city.slug, Decimal("100000.00"))
    call = services.call_create(
        city=city,
        actor=admin,
        title=title,
        description="Seed grants for projects led by young people, chosen with a youth vote.",
        budget=budget,
        currency=CURRENCIES.get(city.slug, city.currency),
        cap_per_project=(budget * Decimal("0.4")).quantize(Decimal("0.01")),
        submission_deadline=timezone.now() + timedelta(days=1),
        min_age=15,
        max_age=30,
        min_team_size=2,
        max_team_size=6,
        criteria=[("Impact", 3), ("Feasibility", 2), ("Youth leadership", 1)],
        review_ends=timezone.localdate() - timedelta(days=50),
        vote_starts=timezone.localdate() - timedelta(days=45),
        vote_ends=timezone.localdate() - timedelta(days=38),
        selection_on=timezone.localdate() - timedelta(days=35),
        implementation_ends=timezone.localdate() + timedelta(days=150),
    )

    def amount(share) -> Decimal:
        return (budget * Decimal(share)).quantize(Decimal("0.01"))

    plan: list[tuple[ProjectProposal, int]] = []
    winners = [i for i in context.get("winning_items") or [] if i.kind == "proposal" and i.status == "approved"]
    for index, item in enumerate(winners[:1]):
        proposal = services.proposal_promote(
            call=call,
            item=item,
            actor=facilitator,
            team_name=f"Participants · {item.session.title[:80]}",
            requested_amount=amount(PROMOTED_SHARE),
        )
        plan.append((proposal, 20 - index))
    for n, (p_title, summary, team, share, approvals) in enumerate(ONLINE.get(city.slug, ONLINE["saida"]), start=1):
        proposal = services.proposal_submit(
            call=call,
            lead=_youth(city, n),
            title=p_title,
            summary=summary,
            team_name=team,
            requested_amount=min(amount(share), call.cap_per_project),
            members=[{"name": f"{name} {n}", "age": age} for name, age in TEAM],
            beneficiaries_expected=100 * n,
        )
        plan.append((proposal, approvals))
    # Pretend the submission period is over.
    FundingCall.objects.filter(pk=call.pk).update(submission_deadline=timezone.now() - timedelta(days=60))
    call.refresh_from_db()

    *eligible_ones, last = plan
    for proposal, _approvals in eligible_ones:
        services.proposal_set_eligibility(proposal=proposal, actor=facilitator, eligible=True)
    services.proposal_set_eligibility(
        proposal=last[0], actor=facilitator, eligible=False, note="The budget plan was missing."
    )
    services.call_set_phase(call=call, phase=CallPhase.REVIEW, actor=admin)
    criteria = list(call.criteria.all())
    for rank, (proposal, _approvals) in enumerate(eligible_ones):
        services.review_submit(
            proposal=proposal,
            reviewer=analyst,
            scores={c.pk: max(1, 5 - rank) for c in criteria},
            comment="Clear plan and a motivated team.",
        )
        if rank == 0:
            services.review_submit(
                proposal=proposal,
                reviewer=facilitator,
                scores={},
                conflict_of_interest=True,
                comment="I coached this team.",
            )
        else:
            services.review_submit(proposal=proposal, reviewer=facilitator, scores={c.pk: 3 for c in criteria})
    services.call_set_phase(call=call, phase=CallPhase.VOTE, actor=admin)
    most = max(approvals for _p, approvals in eligible_ones)
    codes = services.voter_codes_issue(call=call, count=most + 5, actor=facilitator)
    for i, code in enumerate(codes[:most]):
        choices = {p.pk: 1 for p, approvals in eligible_ones if i < approvals}
        services.vote_cast(call=call, choices=choices, code=code)
    services.call_set_phase(call=call, phase=CallPhase.SELECTION, actor=admin)
    services.call_select_projects(call=call, actor=admin)
    services.call_set_phase(call=call, phase=CallPhase.IMPLEMENTATION, actor=admin)

    today = timezone.localdate()
    for n, project in enumerate(call.projects.order_by("id")):
        half = (project.grant / 2).quantize(Decimal("0.01"))
        first = services.tranche_plan(project=project, amount=half, planned_on=today - timedelta(days=30), actor=admin)
        services.tranche_plan(
            project=project, amount=project.grant - half, planned_on=today + timedelta(days=60), actor=admin
        )
        services.tranche_pay(tranche=first, actor=admin, paid_on=today - timedelta(days=28))
        services.ledger_record(
            project=project,
            kind="expense",
            amount=(half * Decimal("0.6")).quantize(Decimal("0.01")),
            description="Equipment and materials",
            actor=facilitator,
        )
        done = services.milestone_add(
            project=project, title="Kick-off with the team", due_on=today - timedelta(days=25), actor=facilitator
        )
        services.milestone_update(milestone=done, status="done", progress=100, actor=facilitator)
        middle = services.milestone_add(
            project=project, title="First public activity", due_on=today + timedelta(days=20), actor=facilitator
        )
        services.milestone_update(milestone=middle, status="in_progress", progress=30 + 20 * n, actor=facilitator)
        services.milestone_add(
            project=project, title="Final event and report", due_on=today + timedelta(days=140), actor=facilitator
        )
        services.report_submit(
            project=project,
            author=project.proposal.lead or facilitator,
            text="The team met every week; the first activity is being prepared with the district youth centre.",
            beneficiaries_reached=40 + 25 * n,
        )
