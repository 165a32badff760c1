from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from cities.models import AuditEntry
from proposals import selectors, services
from proposals.errors import AlreadySelected, BudgetExceeded, InvalidInput, NotAllowed, SelectionBlocked, WrongPhase
from proposals.models import CallPhase, Criterion, FundingCall, Outcome, Project, ProjectProposal, YouthVote
from tests.factories import UserFactory

from .conftest import eligible, move_to
from .factories import ProjectProposalFactory


def votes(proposal, n):
    for _ in range(n):
        YouthVote.objects.create(call=proposal.call, proposal=proposal, voter=UserFactory())


def test_most_supported_are_funded_first_and_a_misfit_is_skipped(selection_call, facilitator):
    # budget 10,000: A 4,000 (5 votes), B 5,000 (4 votes), C 3,000 (3 votes), D 1,000 (1 vote)
    a = eligible(selection_call, requested_amount=Decimal("4000"))
    b = eligible(selection_call, requested_amount=Decimal("5000"))
    c = eligible(selection_call, requested_amount=Decimal("3000"))
    d = eligible(selection_call, requested_amount=Decimal("1000"))
    for proposal, n in ((a, 5), (b, 4), (c, 3), (d, 1)):
        votes(proposal, n)
    decisions = {d.proposal_id: d for d in services.call_select_projects(call=selection_call, actor=facilitator)}
    assert [decisions[p.pk].outcome for p in (a, b, c, d)] == [
        Outcome.FUNDED,
        Outcome.FUNDED,
        Outcome.DOES_NOT_FIT,  # 1,000 left when C (3,000) came
        Outcome.FUNDED,
    ]
    assert decisions[c.pk].remaining_before == Decimal("1000.00")
    assert [decisions[p.pk].rank for p in (a, b, c, d)] == [1, 2, 3, 4]
    selection_call.refresh_from_db()
    assert selection_call.allocated == Decimal("10000.00")
    assert set(Project.objects.values_list("proposal_id", flat=True)) == {a.pk, b.pk, d.pk}
    assert ProjectProposal.objects.get(pk=c.pk).status == "not_funded"


def test_ties_are_broken_by_jury_score_then_earlier_submission_then_lower_id(selection_call, facilitator):
    criterion = Criterion.objects.create(call=selection_call, name="Impact", weight=1, max_score=5)
    early = eligible(selection_call)
    late = eligible(selection_call)
    late.submitted_at = early.submitted_at + timedelta(hours=1)
    late.save()
    scored = eligible(selection_call)
    scored.submitted_at = late.submitted_at + timedelta(hours=1)
    scored.save()
    same_time = eligible(selection_call)
    same_time.submitted_at = early.submitted_at
    same_time.save()
    move_to(selection_call, CallPhase.REVIEW)
    services.review_submit(proposal=scored, reviewer=facilitator, scores={criterion.pk: 4})
    move_to(selection_call, CallPhase.SELECTION)
    order = [r.proposal.pk for r in selectors.selection_ranking(selection_call)]
    assert order == [scored.pk, early.pk, same_time.pk, late.pk]


def test_selection_never_allocates_more_than_the_budget(selection_call, facilitator):
    for _ in range(6):
        eligible(selection_call, requested_amount=Decimal("4999.99"))
    services.call_select_projects(call=selection_call, actor=facilitator)
    selection_call.refresh_from_db()
    grants = sum(Project.objects.filter(call=selection_call).values_list("grant", flat=True))
    assert grants == selection_call.allocated == Decimal("9999.98")
    assert selection_call.allocated <= selection_call.budget


def test_the_database_refuses_an_allocation_above_the_budget(call_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingCall.objects.filter(pk=call_a.pk).update(allocated=Decimal("10000.01"))


def test_selection_runs_once(selection_call, facilitator):
    eligible(selection_call)
    services.call_select_projects(call=selection_call, actor=facilitator)
    with pytest.raises(AlreadySelected):
        services.call_select_projects(call=selection_call, actor=facilitator)
    assert Project.objects.count() == 1


def test_selection_waits_for_every_eligibility_check(selection_call, facilitator):
    ProjectProposalFactory(call=selection_call, status="submitted")
    with pytest.raises(SelectionBlocked):
        services.call_select_projects(call=selection_call, actor=facilitator)
    assert not Project.objects.exists()


def test_selection_outside_the_selection_phase_is_refused(call_a, facilitator):
    with pytest.raises(WrongPhase):
        services.call_select_projects(call=call_a, actor=facilitator)


@pytest.mark.parametrize("persona", ["analyst", "secretariat", "charlie"])
def test_only_facilitators_and_admins_of_the_city_run_the_selection(selection_call, persona, request):
    with pytest.raises(NotAllowed):
        services.call_select_projects(call=selection_call, actor=request.getfixturevalue(persona))


def test_ineligible_proposals_get_a_decision_saying_so(selection_call, facilitator):
    refused = ProjectProposalFactory(call=selection_call, status="ineligible")
    services.call_select_projects(call=selection_call, actor=facilitator)
    assert refused.decision.outcome == Outcome.INELIGIBLE


def test_override_funds_a_skipped_proposal_with_a_recorded_reason_within_the_budget(selection_call, city_admin):
    big = eligible(selection_call, requested_amount=Decimal("5000"))
    votes(big, 3)
    other = eligible(selection_call, requested_amount=Decimal("4000"))
    votes(other, 2)
    small = eligible(selection_call, requested_amount=Decimal("2000"))
    services.call_select_projects(call=selection_call, actor=city_admin)
    assert small.decision.outcome == Outcome.DOES_NOT_FIT
    with pytest.raises(InvalidInput):
        services.selection_override(proposal=small, actor=city_admin, fund=True, reason="  ")
    with pytest.raises(BudgetExceeded):
        services.selection_override(proposal=small, actor=city_admin, fund=True, reason="Jury favourite")
    decision = services.selection_override(
        proposal=small, actor=city_admin, fund=True, reason="Reduced scope", grant="1000"
    )
    assert decision.outcome == Outcome.OVERRIDE_FUNDED
    assert decision.override_reason == "Reduced scope"
    selection_call.refresh_from_db()
    assert selection_call.allocated == Decimal("10000.00")
    assert AuditEntry.objects.filter(action="funding_call.override", data__reason="Reduced scope").exists()


def test_override_can_withdraw_funding_before_any_payment_and_frees_the_budget(selection_call, facilitator):
    funded = eligible(selection_call, requested_amount=Decimal("3000"))
    services.call_select_projects(call=selection_call, actor=facilitator)
    decision = services.selection_override(proposal=funded, actor=facilitator, fund=False, reason="Team dissolved")
    assert decision.outcome == Outcome.OVERRIDE_REFUSED
    selection_call.refresh_from_db()
    assert selection_call.allocated == Decimal("0.00")
    assert not Project.objects.exists()


def test_selection_is_reproducible_from_votes_and_budget(selection_call, facilitator):
    proposals = [eligible(selection_call, requested_amount=Decimal(x)) for x in ("3000", "3000", "3000", "3000")]
    for proposal, n in zip(proposals, (1, 3, 2, 3), strict=True):
        votes(proposal, n)
    before = [r.proposal.pk for r in selectors.selection_ranking(selection_call)]
    decisions = services.call_select_projects(call=selection_call, actor=facilitator)
    ranked = [d.proposal_id for d in sorted((d for d in decisions if d.rank), key=lambda d: d.rank)]
    assert ranked == before
    assert [d.outcome for d in sorted(decisions, key=lambda d: d.rank)] == ["funded"] * 3 + ["does_not_fit"]
