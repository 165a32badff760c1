"""Who may do what with funding calls and projects: plain predicates over cities.permissions, and the access
helpers every view fetches calls, proposals, attachments, projects and tranches through.

A helper answers 404 to anybody without the role, as it does for an object that does not exist: an object of
another city is never disclosed. Public reads (open calls, public proposals, funded projects) need no helper.
"""

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from cities.models import City, Role
from cities.permissions import city_for_staff, has_city_role, is_city_staff

from .models import Attachment, FundingCall, Milestone, Project, ProjectProposal, Tranche
from .selectors import proposals_with_details

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


def public_proposals(call: FundingCall, queryset: QuerySet[ProjectProposal]) -> QuerySet[ProjectProposal]:
    """The proposals of queryset that proposal_is_public lets anybody read: none before the call's youth vote."""
    if call.phase not in PUBLIC_FROM_PHASE:
        return queryset.none()
    return queryset.filter(call=call, status__in=PUBLIC_PROPOSAL_STATUSES)


# --- access helpers -----------------------------------------------------------------------------------------

M = TypeVar("M", bound=Model)


def _get(queryset: QuerySet[M], pk) -> M:
    """The row pk of queryset; Http404 when there is none, pk included that is not a number."""
    try:
        return queryset.get(pk=int(pk))
    except (ObjectDoesNotExist, TypeError, ValueError):
        raise Http404 from None


def _require_staff(user, city: City, *, manage: bool, city_slug: str | None) -> None:
    allowed = can_manage_funding if manage else can_view_funding
    if not allowed(user, city) or city_slug not in (None, city.slug):
        raise Http404


def city_for_funding_staff(user, slug: str, *, manage: bool = False) -> City:
    """The city with slug, for its staff (its facilitators and administrators when manage); Http404 otherwise."""
    return city_for_staff(user, slug, MANAGE_ROLES if manage else None)


def call_for_staff(user, pk, *, manage: bool = False, city_slug: str | None = None) -> FundingCall:
    """The funding call pk, for the staff of its city (its facilitators and administrators when manage), and of
    the city with city_slug when given (pages carry the city in their address); Http404 otherwise."""
    call = _get(FundingCall.objects.select_related("city"), pk)
    _require_staff(user, call.city, manage=manage, city_slug=city_slug)
    return call


def call_proposal(call: FundingCall, pk) -> ProjectProposal:
    """A proposal of call, which the caller was given by an access helper; Http404 for any other."""
    return _get(ProjectProposal.objects.select_related("call__city").filter(call=call), pk)


def proposal_for_staff(user, pk, *, manage: bool = False, city_slug: str | None = None) -> ProjectProposal:
    """The proposal pk with its details, for the staff of its city (its facilitators and administrators when
    manage), and of the city with city_slug when given; Http404 otherwise."""
    proposal = _get(proposals_with_details(), pk)
    _require_staff(user, proposal.call.city, manage=manage, city_slug=city_slug)
    return proposal


def proposal_for_team_lead(user, pk) -> ProjectProposal:
    """The proposal pk, for its team lead only; Http404 otherwise."""
    proposal = _get(proposals_with_details(), pk)
    if not is_team_lead(user, proposal):
        raise Http404
    return proposal


def proposal_for_team_or_staff(user, pk) -> ProjectProposal:
    """The whole proposal pk (team members, attachments), for its team lead and its city's staff; Http404
    otherwise."""
    proposal = _get(proposals_with_details(), pk)
    if not can_see_proposal(user, proposal):
        raise Http404
    return proposal


def proposal_for_reader(user, pk) -> ProjectProposal:
    """The proposal pk, for its team lead and its city's staff, and for anybody once it is public; Http404
    otherwise. Which of its fields the reader gets is can_see_proposal's answer."""
    proposal = _get(proposals_with_details(), pk)
    if not (can_see_proposal(user, proposal) or proposal_is_public(proposal)):
        raise Http404
    return proposal


def attachment_for_team_or_staff(user, pk) -> Attachment:
    """An attachment, for its proposal's team lead and its city's staff; Http404 otherwise."""
    attachment = _get(Attachment.objects.select_related("proposal__call__city"), pk)
    if not can_see_proposal(user, attachment.proposal):
        raise Http404
    return attachment


def _projects(queryset: QuerySet[Project] | None) -> QuerySet[Project]:
    return (queryset if queryset is not None else Project.objects.all()).select_related("city", "proposal")


def project_for_staff(user, pk, *, city_slug: str | None = None, queryset: QuerySet[Project] | None = None) -> Project:
    """The funded project pk (from queryset when given), for its city's staff, and of the city with city_slug when
    given; Http404 otherwise."""
    project = _get(_projects(queryset), pk)
    _require_staff(user, project.city, manage=False, city_slug=city_slug)
    return project


def project_for_team_lead(user, pk, *, queryset: QuerySet[Project] | None = None) -> Project:
    """The funded project pk (from queryset when given), for the team lead of its proposal only; Http404
    otherwise."""
    project = _get(_projects(queryset), pk)
    if not is_team_lead(user, project.proposal):
        raise Http404
    return project


def project_for_team_or_staff(user, pk, *, queryset: QuerySet[Project] | None = None) -> Project:
    """The funded project pk with its ledger, for its city's staff and its team lead; Http404 otherwise."""
    project = _get(_projects(queryset), pk)
    if not (can_view_funding(user, project.city) or is_team_lead(user, project.proposal)):
        raise Http404
    return project


def project_tranche(project: Project, pk) -> Tranche:
    """A tranche of project, which the caller was given by an access helper; Http404 for any other."""
    return _get(Tranche.objects.filter(project=project), pk)


def project_milestone(project: Project, pk) -> Milestone:
    """A milestone of project, which the caller was given by an access helper; Http404 for any other."""
    return _get(Milestone.objects.filter(project=project), pk)


def tranche_for_manager(user, pk) -> Tranche:
    """The tranche pk, for the facilitators and administrators of its project's city; Http404 otherwise."""
    tranche = _get(Tranche.objects.select_related("project__city"), pk)
    _require_staff(user, tranche.project.city, manage=True, city_slug=None)
    return tranche
