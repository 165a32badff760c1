"""Who may read and write a project's ledger over the API (docs/projects.md, "Access" and "REST API").

The team lead reads its own project's ledger (the money paid to the team and what it spent) and records the
team's spending and refunds on it; paying or planning tranches stays with the city's managers, and another
team's ledger answers 404 like anything not visible.
"""

from datetime import date
from decimal import Decimal

import pytest

from proposals import services
from proposals.models import LedgerEntry
from tests.conftest import token_client
from tests.factories import UserFactory

from .factories import ProjectFactory


def _ledger(project):
    return f"/api/v1/projects/{project.pk}/ledger/"


@pytest.fixture
def project_a(call_a, facilitator):
    project = ProjectFactory(proposal__call=call_a, proposal__team_name="Roof Rangers")
    tranche = services.tranche_plan(project=project, amount="1000", planned_on=date(2026, 12, 1), actor=facilitator)
    services.tranche_pay(tranche=tranche, actor=facilitator)
    return project


@pytest.fixture
def project_b(call_a, facilitator):
    project = ProjectFactory(proposal__call=call_a, proposal__team_name="Night Readers")
    tranche = services.tranche_plan(project=project, amount="500", planned_on=date(2026, 12, 1), actor=facilitator)
    services.tranche_pay(tranche=tranche, actor=facilitator)
    return project


def test_team_lead_reads_its_own_projects_ledger(project_a):
    response = token_client(project_a.proposal.lead).get(_ledger(project_a))
    assert response.status_code == 200
    body = response.json()
    assert body["balance"] == "1000.00"
    assert [(e["kind"], e["amount"]) for e in body["entries"]] == [("disbursement", "1000.00")]


def test_team_lead_of_one_project_gets_404_on_another_projects_ledger(project_a, project_b):
    client = token_client(project_a.proposal.lead)
    assert client.get(_ledger(project_b)).status_code == 404
    spend = {"kind": "expense", "amount": "10", "description": "Chairs"}
    assert client.post(_ledger(project_b), spend).status_code == 404
    assert project_b.ledger.count() == 1


@pytest.mark.parametrize("persona", ["facilitator", "analyst", "secretariat"])
def test_staff_of_the_city_read_every_projects_ledger(request, persona, project_a, project_b):
    client = token_client(request.getfixturevalue(persona))
    assert client.get(_ledger(project_a)).status_code == 200
    assert client.get(_ledger(project_b)).status_code == 200


def test_a_signed_in_account_that_leads_nothing_and_charlie_get_404(project_a, charlie):
    assert token_client(UserFactory()).get(_ledger(project_a)).status_code == 404
    assert token_client(charlie).get(_ledger(project_a)).status_code == 404


def test_anonymous_callers_cannot_read_a_ledger(api_client, project_a):
    assert api_client.get(_ledger(project_a)).status_code in (401, 403)


def test_team_lead_records_spending_but_cannot_pay_a_tranche_or_post_money_received(project_a, facilitator):
    client = token_client(project_a.proposal.lead)
    spent = client.post(_ledger(project_a), {"kind": "expense", "amount": "250", "description": "Chairs"})
    assert spent.status_code == 201
    disbursement = {"kind": "disbursement", "amount": "5000", "description": "More"}
    assert client.post(_ledger(project_a), disbursement).status_code == 400
    tranche = services.tranche_plan(project=project_a, amount="500", planned_on=date(2027, 1, 1), actor=facilitator)
    assert client.post(f"/api/v1/tranches/{tranche.pk}/pay/").status_code == 404
    project_a.refresh_from_db()
    assert project_a.balance == Decimal("750.00")
    assert project_a.disbursed == Decimal("1000.00")
    assert list(LedgerEntry.objects.filter(project=project_a).values_list("kind", flat=True).order_by("id")) == [
        "disbursement",
        "expense",
    ]


@pytest.mark.parametrize("persona", ["analyst", "secretariat"])
def test_staff_who_do_not_manage_funding_read_but_do_not_record(request, persona, project_a):
    client = token_client(request.getfixturevalue(persona))
    spend = {"kind": "expense", "amount": "10", "description": "Chairs"}
    assert client.post(_ledger(project_a), spend).status_code == 403
    assert project_a.ledger.count() == 1
