"""The access helpers of funding (proposals/permissions.py), role by role: each hands the object to the roles that
may act on it and answers 404 to everybody else, the outsider (charlie) and anonymous visitors included, as for an
object that does not exist."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from proposals.models import Attachment, CallPhase, Milestone, ProjectProposal, Tranche
from proposals.permissions import (
    attachment_for_team_or_staff,
    call_for_staff,
    call_proposal,
    city_for_funding_staff,
    project_for_staff,
    project_for_team_lead,
    project_for_team_or_staff,
    project_milestone,
    project_tranche,
    proposal_for_reader,
    proposal_for_staff,
    proposal_for_team_lead,
    proposal_for_team_or_staff,
    public_proposals,
    tranche_for_manager,
)
from tests.factories import UserFactory

from .conftest import eligible, move_to
from .factories import ProjectFactory, ProjectProposalFactory

pytestmark = pytest.mark.django_db

STAFF = ("facilitator", "analyst", "secretariat", "city_admin")
MANAGERS = ("facilitator", "city_admin")


@pytest.fixture
def person(request):
    if request.param == "anonymous":
        return AnonymousUser()
    if request.param == "team_lead":
        return request.getfixturevalue("project").proposal.lead
    if request.param == "stranger":
        return UserFactory()
    return request.getfixturevalue(request.param)


@pytest.fixture
def project(call_a):
    project = ProjectFactory(proposal__call=call_a)
    Tranche.objects.create(project=project, number=1, amount="100.00", planned_on="2027-01-01")
    Milestone.objects.create(project=project, title="Open", due_on="2027-01-01")
    Attachment.objects.create(proposal=project.proposal, file="x.pdf", kind="pdf", size=10, original_name="x.pdf")
    return project


def _refused(helper, *args, **kwargs):
    with pytest.raises(Http404):
        helper(*args, **kwargs)
    return True


@pytest.mark.parametrize("person", [*STAFF, "charlie", "anonymous", "team_lead", "stranger"], indirect=True)
def test_calls_go_to_the_staff_of_their_city_and_managing_ones_to_its_facilitators(call_a, person, request):
    role = request.node.callspec.params["person"]
    if role in STAFF:
        assert call_for_staff(person, call_a.pk) == call_a
        assert call_for_staff(person, str(call_a.pk), city_slug="fes") == call_a
        assert city_for_funding_staff(person, "fes") == call_a.city
    else:
        assert _refused(call_for_staff, person, call_a.pk)
        assert _refused(city_for_funding_staff, person, "fes")
    if role in MANAGERS:
        assert call_for_staff(person, call_a.pk, manage=True) == call_a
        assert city_for_funding_staff(person, "fes", manage=True) == call_a.city
    else:
        assert _refused(call_for_staff, person, call_a.pk, manage=True)
        assert _refused(city_for_funding_staff, person, "fes", manage=True)


def test_a_call_is_not_found_under_another_city_or_a_malformed_id(call_a, facilitator, city_b):
    assert _refused(call_for_staff, facilitator, call_a.pk, city_slug=city_b.slug)
    for pk in (0, None, "", "abc"):
        assert _refused(call_for_staff, facilitator, pk)


def test_call_proposal_finds_only_proposals_of_that_call(call_a, call_b):
    mine, theirs = ProjectProposalFactory(call=call_a), ProjectProposalFactory(call=call_b)
    assert call_proposal(call_a, mine.pk) == mine
    assert _refused(call_proposal, call_a, theirs.pk)
    assert _refused(call_proposal, call_a, "abc")


@pytest.mark.parametrize("person", [*STAFF, "charlie", "anonymous", "team_lead", "stranger"], indirect=True)
def test_proposals_go_to_their_team_lead_and_the_city_s_staff(project, person, request):
    role = request.node.callspec.params["person"]
    proposal = project.proposal
    attachment = proposal.attachments.get()
    if role in STAFF:
        assert proposal_for_staff(person, proposal.pk, city_slug="fes") == proposal
    else:
        assert _refused(proposal_for_staff, person, proposal.pk)
    if role in MANAGERS:
        assert proposal_for_staff(person, proposal.pk, manage=True) == proposal
    else:
        assert _refused(proposal_for_staff, person, proposal.pk, manage=True)
    if role == "team_lead":
        assert proposal_for_team_lead(person, proposal.pk) == proposal
    else:
        assert _refused(proposal_for_team_lead, person, proposal.pk)
    if role in (*STAFF, "team_lead"):
        assert proposal_for_team_or_staff(person, proposal.pk) == proposal
        assert attachment_for_team_or_staff(person, attachment.pk) == attachment
    else:
        assert _refused(proposal_for_team_or_staff, person, proposal.pk)
        assert _refused(attachment_for_team_or_staff, person, attachment.pk)


def test_anybody_reads_a_proposal_once_it_is_public_and_nobody_else_before(call_a, charlie):
    proposal = eligible(call_a)
    for reader in (AnonymousUser(), charlie):
        assert _refused(proposal_for_reader, reader, proposal.pk)
    move_to(call_a, CallPhase.VOTE)
    for reader in (AnonymousUser(), charlie, proposal.lead):
        assert proposal_for_reader(reader, proposal.pk) == proposal
    submitted = ProjectProposalFactory(call=call_a)
    assert _refused(proposal_for_reader, charlie, submitted.pk)
    assert proposal_for_reader(submitted.lead, submitted.pk) == submitted


def test_the_public_proposals_of_a_call_are_its_eligible_and_decided_ones_from_the_vote_on(call_a):
    shown = [eligible(call_a), ProjectProposalFactory(call=call_a, status="funded")]
    ProjectProposalFactory(call=call_a)  # submitted, not yet checked
    ProjectProposalFactory(call=call_a, status="ineligible")
    assert list(public_proposals(call_a, ProjectProposal.objects.all())) == []
    for phase in (CallPhase.VOTE, CallPhase.SELECTION, CallPhase.IMPLEMENTATION, CallPhase.CLOSED):
        move_to(call_a, phase)
        assert set(public_proposals(call_a, ProjectProposal.objects.all())) == set(shown)


@pytest.mark.parametrize("person", [*STAFF, "charlie", "anonymous", "team_lead", "stranger"], indirect=True)
def test_projects_go_to_the_city_s_staff_and_their_team_lead(project, person, request):
    role = request.node.callspec.params["person"]
    tranche = project.tranches.get()
    if role in STAFF:
        assert project_for_staff(person, project.pk, city_slug="fes") == project
    else:
        assert _refused(project_for_staff, person, project.pk)
    if role == "team_lead":
        assert project_for_team_lead(person, project.pk) == project
    else:
        assert _refused(project_for_team_lead, person, project.pk)
    if role in (*STAFF, "team_lead"):
        assert project_for_team_or_staff(person, project.pk) == project
    else:
        assert _refused(project_for_team_or_staff, person, project.pk)
    if role in MANAGERS:
        assert tranche_for_manager(person, tranche.pk) == tranche
    else:
        assert _refused(tranche_for_manager, person, tranche.pk)


def test_tranches_and_milestones_are_found_only_in_their_project(project, call_a):
    other = ProjectFactory(proposal__call=call_a)
    tranche, milestone = project.tranches.get(), project.milestones.get()
    assert project_tranche(project, tranche.pk) == tranche
    assert project_milestone(project, str(milestone.pk)) == milestone
    assert _refused(project_tranche, other, tranche.pk)
    assert _refused(project_milestone, other, milestone.pk)
    assert _refused(project_tranche, project, "abc")
