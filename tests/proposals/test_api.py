from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from consultations.models import ItemKind
from proposals import services
from proposals.models import CallPhase, Project
from tests.conftest import token_client
from tests.factories import ConsultationFactory, ItemFactory, SessionFactory, UserFactory

from .conftest import eligible, move_to
from .factories import ProjectFactory, ProjectProposalFactory


@pytest.fixture
def funded_project(call_a, facilitator):
    project = ProjectFactory(proposal__call=call_a, proposal__team_name="Roof Rangers")
    tranche = services.tranche_plan(project=project, amount="1000", planned_on=date(2026, 12, 1), actor=facilitator)
    services.tranche_pay(tranche=tranche, actor=facilitator)
    return project


def test_anonymous_callers_list_funding_calls_with_public_fields(api_client, call_a, call_b):
    response = api_client.get("/api/v1/funding-calls/")
    assert response.status_code == 200
    by_city = {row["city"]: row for row in response.json()}
    assert set(by_city) == {"fes", "saida"}
    row = by_city["fes"]
    assert row["id"] == call_a.pk
    assert row["title"] == call_a.title
    assert row["budget"] == "10000.00"
    assert row["currency"] == "MAD"
    assert row["phase"] == "submission"
    assert "proposal_count" not in row


def test_staff_see_staff_fields_of_their_city_only(call_a, call_b, facilitator):
    rows = {r["city"]: r for r in token_client(facilitator).get("/api/v1/funding-calls/").json()}
    assert "proposal_count" in rows["fes"]
    assert "proposal_count" not in rows["saida"]


def test_funding_calls_filter_by_city(api_client, call_a, call_b):
    rows = api_client.get("/api/v1/funding-calls/?city=saida").json()
    assert [r["id"] for r in rows] == [call_b.pk]


def test_anonymous_callers_list_projects_with_progress_and_no_money_details(api_client, funded_project):
    funded_project.milestones.create(title="Buy plants", due_on=date(2027, 1, 1), progress=50)
    funded_project.milestones.create(title="Plant", due_on=date(2027, 2, 1), progress=0)
    [row] = api_client.get("/api/v1/projects/").json()
    assert row["id"] == funded_project.pk
    assert row["city"] == "fes"
    assert row["title"] == funded_project.title
    assert row["funding_call"] == funded_project.call_id
    assert row["grant"] == "3000.00"
    assert row["currency"] == "MAD"
    assert row["progress"] == 25
    assert row["team_name"] == "Roof Rangers"
    assert "balance" not in row
    assert "Amina" not in str(row)


def test_staff_of_the_city_see_project_money(funded_project, analyst):
    [row] = token_client(analyst).get("/api/v1/projects/").json()
    assert row["balance"] == "1000.00"
    assert row["disbursed"] == "1000.00"


def test_charlie_is_refused_everything_non_public_of_city_a(funded_project, charlie, call_a):
    client = token_client(charlie)
    [row] = client.get("/api/v1/projects/").json()
    assert "balance" not in row
    assert "balance" not in client.get(f"/api/v1/projects/{funded_project.pk}/").json()
    assert client.get(f"/api/v1/projects/{funded_project.pk}/ledger/").status_code == 404
    submitted = ProjectProposalFactory(call=call_a)
    assert client.get(f"/api/v1/proposals/{submitted.pk}/").status_code == 404
    assert client.get(f"/api/v1/funding-calls/{call_a.pk}/proposals/").json() == []
    assert client.post(f"/api/v1/funding-calls/{call_a.pk}/phase/", {"phase": "review"}).status_code == 404
    assert client.post(f"/api/v1/funding-calls/{call_a.pk}/select/").status_code == 404
    assert client.post(f"/api/v1/proposals/{submitted.pk}/eligibility/", {"eligible": True}).status_code == 404
    assert client.post(f"/api/v1/proposals/{submitted.pk}/override/", {"fund": True, "reason": "x"}).status_code == 404
    tranche = funded_project.tranches.first()
    assert client.post(f"/api/v1/tranches/{tranche.pk}/pay/").status_code == 404
    response = client.post(
        "/api/v1/funding-calls/",
        {
            "city": "fes",
            "title": "x",
            "budget": "1",
            "cap_per_project": "1",
            "submission_deadline": "2030-01-01T00:00Z",
        },
    )
    assert response.status_code == 404
    call_a.refresh_from_db()
    assert call_a.phase == CallPhase.SUBMISSION


def test_anonymous_callers_are_refused_writes(api_client, call_a):
    assert api_client.post(f"/api/v1/funding-calls/{call_a.pk}/select/").status_code in (401, 403)
    assert api_client.post(f"/api/v1/funding-calls/{call_a.pk}/proposals/", {}).status_code in (401, 403)


def test_a_signed_in_youth_submits_and_edits_a_proposal_through_the_api(call_a):
    client = APIClient()
    client.force_authenticate(UserFactory())  # any signed-in account (django-allauth session)
    response = client.post(
        f"/api/v1/funding-calls/{call_a.pk}/proposals/",
        {
            "title": "Street library",
            "summary": "Book boxes in three squares.",
            "team_name": "Readers",
            "requested_amount": "1200.50",
            "members": [{"name": "Salma", "age": 16}, {"name": "Omar", "age": 18}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    proposal_id = response.json()["id"]
    assert response.json()["requested_amount"] == "1200.50"
    response = client.patch(f"/api/v1/proposals/{proposal_id}/", {"title": "Street libraries"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Street libraries"
    too_much = client.patch(f"/api/v1/proposals/{proposal_id}/", {"requested_amount": "9000"}, format="json")
    assert too_much.status_code == 400
    assert "detail" in too_much.json()


def test_public_proposal_shows_team_name_and_provenance_but_no_members(api_client, call_a, city_a):
    session = SessionFactory(consultation=ConsultationFactory(city=city_a), title="Medina evening")
    challenge = ItemFactory(session=session, kind=ItemKind.CHALLENGE, text="Dark streets")
    item = ItemFactory(session=session, kind=ItemKind.PROPOSAL, text="Solar lamps")
    item.answers.add(challenge)
    proposal = eligible(call_a, source_item=item, team_name="Light Crew")
    assert api_client.get(f"/api/v1/proposals/{proposal.pk}/").status_code == 404  # not public before the vote
    move_to(call_a, CallPhase.VOTE)
    body = api_client.get(f"/api/v1/proposals/{proposal.pk}/").json()
    assert body["team_name"] == "Light Crew"
    assert body["source"]["session_title"] == "Medina evening"
    assert body["source"]["challenges"] == [{"id": challenge.pk, "text": "Dark streets"}]
    assert "members" not in body and "lead_email" not in body and "Amina" not in str(body)


def test_select_over_the_api_then_public_selection_explains_each_outcome(api_client, call_a, facilitator):
    move_to(call_a, CallPhase.SELECTION)
    big = eligible(call_a, requested_amount=Decimal("5000"))
    eligible(call_a, requested_amount=Decimal("5000"))
    late = eligible(call_a, requested_amount=Decimal("5000"))
    response = token_client(facilitator).post(f"/api/v1/funding-calls/{call_a.pk}/select/")
    assert response.status_code == 200
    again = token_client(facilitator).post(f"/api/v1/funding-calls/{call_a.pk}/select/")
    assert again.status_code == 409 and again.json()["detail"]
    rows = {r["proposal"]: r for r in api_client.get(f"/api/v1/funding-calls/{call_a.pk}/selection/").json()}
    assert rows[big.pk]["funded"] is True
    assert rows[late.pk]["outcome"] == "does_not_fit"
    assert rows[late.pk]["remaining_before"] == "0.00"
    assert Project.objects.count() == 2


def test_voting_over_the_api_with_a_code_and_an_account(api_client, call_a, facilitator):
    proposal = eligible(call_a)
    move_to(call_a, CallPhase.VOTE)
    [code] = services.voter_codes_issue(call=call_a, count=1, actor=facilitator)
    url = f"/api/v1/funding-calls/{call_a.pk}/votes/"
    body = {"code": code, "choices": {str(proposal.pk): "1"}}
    assert api_client.post(url, body, format="json").status_code == 201
    assert api_client.post(url, body, format="json").status_code == 409
    assert api_client.post(url, {"choices": {str(proposal.pk): "1"}}, format="json").status_code == 403
    voter = token_client(UserFactory())
    assert voter.post(url, {"choices": {str(proposal.pk): "1"}}, format="json").status_code == 201
    assert voter.post(url, {"choices": {str(proposal.pk): "1"}}, format="json").status_code == 409


def test_ledger_over_the_api(funded_project, facilitator):
    client = token_client(facilitator)
    url = f"/api/v1/projects/{funded_project.pk}/ledger/"
    assert client.post(url, {"kind": "expense", "amount": "400", "description": "Soil"}).status_code == 201
    overspend = client.post(url, {"kind": "expense", "amount": "600.01", "description": "Pots"})
    assert overspend.status_code == 409
    body = client.get(url).json()
    assert body["balance"] == "600.00"
    assert [e["amount"] for e in body["entries"]] == ["1000.00", "-400.00"]
