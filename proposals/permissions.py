"""Who may do what with funding calls and projects: plain predicates over cities.permissions."""

from cities.models import Role
from cities.permissions import has_city_role, is_city_staff

from .models import FundingCall, Project, ProjectProposal

# Facilitators run calls (phases, eligibility, selection, projects, payments); administrators may do all of it.
MANAGE_ROLES = (Role.FACILITATOR,)
# Every staff role of the city may read the non-public parts (team members, reviews, ledger).
VIEW_ROLES = (Role.FACILITATOR, Role.ANALYST, Role.SECRETARIAT)


def can_manage_funding(user, city) -> bool:
    return has_city_role(user, city, *MANAGE_ROLES)


def can_view_funding(user, city) -> bool:
    return is_city_staff(user, city)


def can_review(user, call: FundingCall) -> bool:
    """Jury members are the city's facilitators and analysts (and administrators)."""
    return has_city_role(user, call.city, Role.FACILITATOR, Role.ANALYST)


def is_team_lead(user, proposal: ProjectProposal) -> bool:
    return bool(getattr(user, "is_authenticated", False) and proposal.lead_id == user.pk)


def can_see_proposal(user, proposal: ProjectProposal) -> bool:
    """The whole proposal (team members, attachments): its team lead and the city's staff."""
    return is_team_lead(user, proposal) or can_view_funding(user, proposal.call.city)


def can_report_progress(user, project: Project) -> bool:
    return is_team_lead(user, project.proposal) or can_manage_funding(user, project.city)


PUBLIC_PROPOSAL_STATUSES = ("eligible", "funded", "not_funded")
PUBLIC_FROM_PHASE = ("vote", "selection", "implementation", "closed")


def proposal_is_public(proposal: ProjectProposal) -> bool:
    """From the youth vote on, eligible proposals are public (title, summary, team name; never member names)."""
    return proposal.call.phase in PUBLIC_FROM_PHASE and proposal.status in PUBLIC_PROPOSAL_STATUSES
