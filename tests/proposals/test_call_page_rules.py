"""What the staff page of a call offers comes from the domain, which the services enforce: whether the selection
may run (selectors.selection_refusal, raised by services.call_select_projects), the phase the call moves to next
(FundingCall.next_phase) and when voting codes are handed out (FundingCall.accepts_votes)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from proposals import selectors, services
from proposals.errors import AlreadySelected, SelectionBlocked, WrongPhase
from proposals.models import PHASE_ORDER, CallPhase

from .conftest import eligible, move_to
from .factories import FundingCallFactory, ProjectProposalFactory

pytestmark = pytest.mark.django_db

RUN = 'name="action" value="select"'


def _call_page(user, call) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("frontend:funding_call_detail", args=["fes", call.pk])).content.decode()


@pytest.mark.parametrize("phase", [p for p in PHASE_ORDER if p != CallPhase.SELECTION])
def test_the_selection_runs_only_in_the_selection_phase(call_a, phase):
    move_to(call_a, phase)
    assert isinstance(selectors.selection_refusal(call_a), WrongPhase)


def test_the_selection_waits_until_every_proposal_was_checked_for_eligibility(selection_call):
    eligible(selection_call)
    ProjectProposalFactory(call=selection_call)  # submitted, not checked yet
    refusal = selectors.selection_refusal(selection_call)
    assert isinstance(refusal, SelectionBlocked)
    assert refusal.detail == "1 proposals have not been checked for eligibility yet."


def test_the_selection_runs_once(selection_call, facilitator):
    eligible(selection_call)
    assert selectors.selection_refusal(selection_call) is None
    services.call_select_projects(call=selection_call, actor=facilitator)
    selection_call.refresh_from_db()
    assert isinstance(selectors.selection_refusal(selection_call), AlreadySelected)


@pytest.mark.parametrize("state", ["review", "unchecked", "done"])
def test_the_service_refuses_with_the_selector_s_reason(call_a, facilitator, state):
    move_to(call_a, CallPhase.REVIEW if state == "review" else CallPhase.SELECTION)
    ProjectProposalFactory(call=call_a, status="submitted" if state == "unchecked" else "eligible")
    if state == "done":
        call_a.selected_at = timezone.now()
        call_a.save(update_fields=["selected_at"])
    refusal = selectors.selection_refusal(call_a)
    with pytest.raises(type(refusal)) as raised:
        services.call_select_projects(call=call_a, actor=facilitator)
    assert raised.value.detail == refusal.detail and raised.value.status_code == refusal.status_code


def test_the_page_offers_the_selection_only_when_it_may_run_and_says_why_not(selection_call, facilitator):
    unchecked = ProjectProposalFactory(call=selection_call)
    page = _call_page(facilitator, selection_call)
    assert RUN not in page
    assert "1 proposals have not been checked for eligibility yet." in page
    unchecked.status = "eligible"
    unchecked.save(update_fields=["status"])
    page = _call_page(facilitator, selection_call)
    assert RUN in page and 'id="selection-refusal"' not in page


def test_the_page_says_why_in_the_reader_s_language(call_a, facilitator):
    client = Client()
    client.force_login(facilitator)
    url = reverse("frontend:funding_call_detail", args=["fes", call_a.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "La sélection se fait pendant la phase de sélection de l&#x27;appel." in page and RUN not in page


def test_a_call_moves_to_the_phase_after_its_own_and_a_closed_one_nowhere(call_a):
    for phase, following in zip(PHASE_ORDER, [*PHASE_ORDER[1:], None], strict=True):
        assert move_to(call_a, phase).next_phase == following


def test_the_page_offers_the_next_phase_only(call_a, facilitator):
    page = _call_page(facilitator, call_a)
    assert page.count('name="action" value="phase"') == 1
    assert 'name="phase" value="review"' in page
    move_to(call_a, CallPhase.CLOSED)
    assert 'name="action" value="phase"' not in _call_page(facilitator, call_a)


@pytest.mark.parametrize("phase", PHASE_ORDER)
def test_voting_codes_are_offered_while_the_call_accepts_votes(call_a, facilitator, phase):
    move_to(call_a, phase)
    assert ('name="action" value="codes"' in _call_page(facilitator, call_a)) == call_a.accepts_votes


# --- The youth's pages -----------------------------------------------------------------------------------------


def test_the_open_calls_are_those_that_accept_submissions_or_votes(call_a, call_b, city_a):
    past = FundingCallFactory(city=city_a, submission_deadline=timezone.now() - timedelta(minutes=1))
    move_to(call_b, CallPhase.VOTE)
    calls = (call_a, call_b, past)
    assert [c.accepts_submissions for c in calls] == [True, False, False]
    assert list(selectors.calls_open_for_submission()) == [call_a]
    assert [c.accepts_votes for c in calls] == [False, True, False]
    assert list(selectors.calls_open_for_votes()) == [call_b]


def test_voters_choose_among_the_eligible_proposals_while_the_call_accepts_votes(call_a):
    shown = eligible(call_a, title="A skate park")
    ProjectProposalFactory(call=call_a, title="Not checked yet")
    ProjectProposalFactory(call=call_a, title="Out of scope", status="ineligible")
    url = reverse("frontend:team_vote", args=[call_a.pk])
    for phase in PHASE_ORDER:
        move_to(call_a, phase)
        assert list(selectors.ballot_proposals(call_a)) == ([shown] if call_a.accepts_votes else [])
        page = Client().get(url).content.decode()
        assert ("A skate park" in page) == call_a.accepts_votes, phase
        assert "Not checked yet" not in page and "Out of scope" not in page
