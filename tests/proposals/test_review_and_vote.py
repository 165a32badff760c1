from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from proposals import selectors, services
from proposals.errors import AlreadyVoted, InvalidInput, NotAllowed, WrongPhase
from proposals.models import CallPhase, VoteMethod, VoterCode, YouthVote
from tests.factories import UserFactory

from .conftest import eligible, move_to
from .factories import ProjectProposalFactory


@pytest.fixture
def rubric(call_a):
    return [
        call_a.criteria.create(name="Impact", weight=3, max_score=5),
        call_a.criteria.create(name="Feasibility", weight=1, max_score=5),
    ]


def test_jury_score_is_the_weighted_rubric_averaged_over_reviewers(call_a, rubric, facilitator, analyst):
    proposal = eligible(call_a)
    move_to(call_a, CallPhase.REVIEW)
    impact, feasibility = rubric
    services.review_submit(proposal=proposal, reviewer=facilitator, scores={impact.pk: 5, feasibility.pk: 5})
    services.review_submit(proposal=proposal, reviewer=analyst, scores={impact.pk: 0, feasibility.pk: 5})
    # (100 + 100 * 5 / 20) / 2 = 62.5
    assert selectors.jury_scores(call_a)[proposal.pk] == Decimal("62.50")


def test_a_declared_conflict_of_interest_leaves_the_reviewers_score_out(call_a, rubric, facilitator, analyst):
    proposal = eligible(call_a)
    move_to(call_a, CallPhase.REVIEW)
    impact, feasibility = rubric
    services.review_submit(proposal=proposal, reviewer=analyst, scores={impact.pk: 5, feasibility.pk: 5})
    services.review_submit(
        proposal=proposal, reviewer=facilitator, scores={impact.pk: 0, feasibility.pk: 0}, conflict_of_interest=True
    )
    assert selectors.jury_scores(call_a)[proposal.pk] == Decimal("100.00")
    assert proposal.reviews.get(reviewer=facilitator).scores.count() == 0


def test_a_second_review_replaces_the_first(call_a, rubric, analyst):
    proposal = eligible(call_a)
    move_to(call_a, CallPhase.REVIEW)
    impact, feasibility = rubric
    services.review_submit(proposal=proposal, reviewer=analyst, scores={impact.pk: 1, feasibility.pk: 1})
    services.review_submit(proposal=proposal, reviewer=analyst, scores={impact.pk: 5, feasibility.pk: 5}, comment="ok")
    assert proposal.reviews.count() == 1
    assert selectors.jury_scores(call_a)[proposal.pk] == Decimal("100.00")


def test_missing_or_out_of_range_scores_are_refused(call_a, rubric, analyst):
    proposal = eligible(call_a)
    move_to(call_a, CallPhase.REVIEW)
    impact, feasibility = rubric
    for scores in ({impact.pk: 5}, {impact.pk: 6, feasibility.pk: 1}):
        with pytest.raises(InvalidInput):
            services.review_submit(proposal=proposal, reviewer=analyst, scores=scores)
    assert not proposal.reviews.exists()


@pytest.mark.parametrize("persona", ["secretariat", "charlie"])
def test_only_the_citys_jury_reviews(call_a, rubric, persona, request):
    proposal = eligible(call_a)
    move_to(call_a, CallPhase.REVIEW)
    with pytest.raises(NotAllowed):
        services.review_submit(proposal=proposal, reviewer=request.getfixturevalue(persona), scores={})


def test_eligibility_refuses_a_proposal_failing_the_automatic_checks(call_a, facilitator):
    proposal = ProjectProposalFactory(call=call_a, members=[("Solo", 20)])
    with pytest.raises(InvalidInput):
        services.proposal_set_eligibility(proposal=proposal, actor=facilitator, eligible=True)
    with pytest.raises(InvalidInput):
        services.proposal_set_eligibility(proposal=proposal, actor=facilitator, eligible=False, note="")
    services.proposal_set_eligibility(proposal=proposal, actor=facilitator, eligible=False, note="Team of one")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.eligibility_note) == ("ineligible", "Team of one")


def test_an_account_votes_once_per_call(call_a):
    a, b = eligible(call_a), eligible(call_a)
    move_to(call_a, CallPhase.VOTE)
    voter = UserFactory()
    services.vote_cast(call=call_a, choices={a.pk: 1, b.pk: 1}, user=voter)
    with pytest.raises(AlreadyVoted):
        services.vote_cast(call=call_a, choices={a.pk: 1}, user=voter)
    assert YouthVote.objects.filter(voter=voter).count() == 2


def test_a_code_is_single_use(call_a, facilitator):
    a = eligible(call_a)
    move_to(call_a, CallPhase.VOTE)
    [code] = services.voter_codes_issue(call=call_a, count=1, actor=facilitator)
    services.vote_cast(call=call_a, choices={a.pk: 1}, code=code.lower())
    assert VoterCode.objects.get(code=code).used_at is not None
    with pytest.raises(AlreadyVoted):
        services.vote_cast(call=call_a, choices={a.pk: 1}, code=code)
    with pytest.raises(NotAllowed):
        services.vote_cast(call=call_a, choices={a.pk: 1}, code="NOPE1234")
    with pytest.raises(NotAllowed):
        services.vote_cast(call=call_a, choices={a.pk: 1})


def test_the_database_holds_one_vote_per_voter_and_proposal(call_a):
    proposal = eligible(call_a)
    voter = UserFactory()
    YouthVote.objects.create(call=call_a, proposal=proposal, voter=voter)
    with pytest.raises(IntegrityError), transaction.atomic():
        YouthVote.objects.create(call=call_a, proposal=proposal, voter=voter)
    code = VoterCode.objects.create(call=call_a, code="ACDEFGHJ")
    YouthVote.objects.create(call=call_a, proposal=proposal, voter_code=code)
    with pytest.raises(IntegrityError), transaction.atomic():
        YouthVote.objects.create(call=call_a, proposal=proposal, voter_code=code)


def test_votes_only_for_eligible_proposals_and_only_in_the_vote_phase(call_a):
    refused = ProjectProposalFactory(call=call_a, status="ineligible")
    ok = eligible(call_a)
    with pytest.raises(WrongPhase):
        services.vote_cast(call=call_a, choices={ok.pk: 1}, user=UserFactory())
    move_to(call_a, CallPhase.VOTE)
    with pytest.raises(InvalidInput):
        services.vote_cast(call=call_a, choices={refused.pk: 1}, user=UserFactory())
    assert not YouthVote.objects.exists()


def test_budget_allocation_spreads_at_most_the_budget_and_counts_as_support(call_a):
    call_a.vote_method = VoteMethod.BUDGET
    call_a.save()
    a, b = eligible(call_a), eligible(call_a)
    move_to(call_a, CallPhase.VOTE)
    with pytest.raises(InvalidInput):
        services.vote_cast(call=call_a, choices={a.pk: "6000", b.pk: "4000.01"}, user=UserFactory())
    services.vote_cast(call=call_a, choices={a.pk: "6000", b.pk: "4000"}, user=UserFactory())
    services.vote_cast(call=call_a, choices={b.pk: "3000"}, user=UserFactory())
    support = selectors.youth_support(call_a)
    assert (support[a.pk], support[b.pk]) == (Decimal("6000.00"), Decimal("7000.00"))
    assert [r.proposal.pk for r in selectors.selection_ranking(call_a)] == [b.pk, a.pk]
