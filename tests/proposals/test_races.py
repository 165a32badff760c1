"""Parallel selection and override requests on PostgreSQL, with real threads: the budget is never exceeded."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from proposals import services
from proposals.errors import FundingError
from proposals.models import CallPhase, FundingCall, Outcome, Project, ProjectProposal

from .conftest import eligible, move_to

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(targets):
    barrier = threading.Barrier(len(targets))
    results, errors = [], []

    def runner(target):
        try:
            barrier.wait()
            results.append(target())
        except FundingError as exc:
            errors.append(exc)
        except Exception as exc:  # pragma: no cover - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_parallel_selection_requests_fund_once_and_stay_within_the_budget(call_a, facilitator):
    move_to(call_a, CallPhase.SELECTION)
    for _ in range(8):
        eligible(call_a, requested_amount=Decimal("3000.00"))
    results, errors = run_in_threads(
        [lambda: services.call_select_projects(call=call_a, actor=facilitator) for _ in range(8)]
    )
    assert len(results) == 1
    assert len(errors) == 7 and all(isinstance(e, FundingError) for e in errors)
    call_a.refresh_from_db()
    assert call_a.allocated == Decimal("9000.00")
    assert sum(Project.objects.filter(call=call_a).values_list("grant", flat=True)) == call_a.allocated


def test_parallel_overrides_never_allocate_more_than_the_budget(call_a, city_admin):
    move_to(call_a, CallPhase.SELECTION)
    services.call_select_projects(call=call_a, actor=city_admin)  # nothing eligible yet: allocates nothing
    skipped = []
    for _ in range(10):
        proposal = eligible(call_a, requested_amount=Decimal("2500.00"))
        proposal.status = "not_funded"
        proposal.save()
        skipped.append(proposal)
    results, errors = run_in_threads(
        [
            (lambda p=p: services.selection_override(proposal=p, actor=city_admin, fund=True, reason="Jury pick"))
            for p in skipped
        ]
    )
    assert not [e for e in errors if not isinstance(e, FundingError)]
    call_a = FundingCall.objects.get(pk=call_a.pk)
    assert len(results) == 4  # 4 x 2,500 = 10,000
    assert call_a.allocated == Decimal("10000.00") <= call_a.budget
    assert Project.objects.filter(call=call_a).count() == 4
    assert ProjectProposal.objects.filter(call=call_a, status="funded").count() == 4
    assert all(r.outcome == Outcome.OVERRIDE_FUNDED for r in results)


def test_parallel_http_select_requests_answer_once_200_and_otherwise_409(call_a, facilitator):
    from tests.conftest import token_client

    move_to(call_a, CallPhase.SELECTION)
    for _ in range(5):
        eligible(call_a, requested_amount=Decimal("4000.00"))
    clients = [token_client(facilitator) for _ in range(6)]
    url = f"/api/v1/funding-calls/{call_a.pk}/select/"
    results, errors = run_in_threads([(lambda c=c: c.post(url).status_code) for c in clients])
    assert not errors
    assert sorted(results) == [200, 409, 409, 409, 409, 409]
    call_a.refresh_from_db()
    assert call_a.allocated == Decimal("8000.00") <= call_a.budget
