from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from consultations.models import ItemKind
from proposals import services
from proposals.models import CallPhase, LedgerEntry, Project, ProjectProposal, YouthVote
from tests.factories import ConsultationFactory, ItemFactory, SessionFactory, UserFactory

from .conftest import eligible, move_to
from .factories import ProjectFactory


@pytest.fixture
def project_from_session(call_a, city_a, facilitator):
    session = SessionFactory(consultation=ConsultationFactory(city=city_a, title="Fes speaks"), title="Medina night")
    challenge = ItemFactory(session=session, kind=ItemKind.CHALLENGE, text="Nowhere to read at night")
    item = ItemFactory(session=session, kind=ItemKind.PROPOSAL, text="A night reading room")
    item.answers.add(challenge)
    project = ProjectFactory(
        proposal__call=call_a,
        proposal__source_item=item,
        proposal__team_name="Night Readers",
        proposal__members=[("Salma Bennani", 16), ("Omar Alaoui", 17)],
    )
    milestone = services.milestone_add(
        project=project, title="Open the room", due_on=date(2027, 1, 1), actor=facilitator
    )
    services.milestone_update(milestone=milestone, status="in_progress", progress=40, actor=facilitator)
    return project


def test_public_page_shows_projects_with_progress_and_provenance_without_member_names(client, project_from_session):
    response = client.get(reverse("frontend:city_projects", args=["fes"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Night Readers" in html
    assert "Medina night" in html and "Fes speaks" in html
    assert "Nowhere to read at night" in html
    assert 'value="40"' in html
    assert "Salma" not in html and "Omar" not in html
    assert project_from_session.proposal.lead.email not in html


def test_public_page_renders_right_to_left_in_arabic(client, project_from_session):
    response = client.get("/c/fes/projects/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200
    assert 'dir="rtl"' in response.content.decode()


def test_public_page_of_an_unknown_city_is_404(client, db):
    assert client.get("/c/nowhere/projects/").status_code == 404


def test_selection_results_page_explains_each_outcome(client, call_a, facilitator):
    move_to(call_a, CallPhase.SELECTION)
    funded = eligible(call_a, requested_amount=Decimal("5000"), title="Skate park")
    eligible(call_a, requested_amount=Decimal("5000"))
    skipped = eligible(call_a, requested_amount=Decimal("5000"), title="Radio")
    services.call_select_projects(call=call_a, actor=facilitator)
    html = client.get(reverse("frontend:selection_results", args=["fes", call_a.pk])).content.decode()
    assert "Skate park" in html and "Radio" in html
    assert "Did not fit in the remaining budget" in html
    assert funded.pk and skipped.pk


def test_staff_landing_lists_calls_for_city_staff(client, call_a, analyst):
    client.force_login(analyst)
    response = client.get(reverse("frontend:funding_call_list", args=["fes"]))
    assert response.status_code == 200
    assert call_a.title in response.content.decode()
    assert "Open a new funding call" not in response.content.decode()  # analysts read, facilitators manage


@pytest.mark.parametrize(
    "name,args",
    [
        ("frontend:funding_call_list", lambda p: ["fes"]),
        ("frontend:funding_call_detail", lambda p: ["fes", p.call_id]),
        ("frontend:funding_proposal", lambda p: ["fes", p.proposal_id]),
        ("frontend:funding_project", lambda p: ["fes", p.pk]),
    ],
)
def test_charlie_is_refused_every_staff_page_of_city_a(client, charlie, project_from_session, name, args):
    client.force_login(charlie)
    assert client.get(reverse(name, args=args(project_from_session))).status_code == 404
    assert client.post(reverse(name, args=args(project_from_session)), {"action": "ledger"}).status_code == 404


def test_charlie_cannot_post_call_actions_or_download_attachments(client, charlie, call_a):
    move_to(call_a, CallPhase.SELECTION)
    client.force_login(charlie)
    url = reverse("frontend:funding_call_action", args=["fes", call_a.pk])
    assert client.post(url, {"action": "select"}).status_code == 404
    call_a.refresh_from_db()
    assert call_a.selected_at is None


def test_anonymous_visitors_are_sent_to_sign_in_for_staff_and_team_pages(client, call_a):
    for url in (reverse("frontend:funding_call_list", args=["fes"]), reverse("frontend:team_submit", args=[call_a.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_facilitator_creates_a_call_then_runs_phases_and_selection_from_the_pages(client, facilitator, city_a):
    client.force_login(facilitator)
    response = client.post(
        reverse("frontend:funding_call_list", args=["fes"]),
        {
            "title": "Fonds 2027",
            "budget": "100000",
            "cap_per_project": "20000",
            "submission_deadline": "2030-01-01T10:00",
            "min_age": 15,
            "max_age": 30,
            "min_team_size": 2,
            "max_team_size": 6,
            "vote_method": "approval",
        },
    )
    call = city_a.funding_calls.get(title="Fonds 2027")
    assert response.status_code == 302
    assert call.currency == "MAD"
    proposal = eligible(call, requested_amount=Decimal("15000"))
    action = reverse("frontend:funding_call_action", args=["fes", call.pk])
    for phase in ("review", "vote", "selection"):
        client.post(action, {"action": "phase", "phase": phase})
    client.post(action, {"action": "select"})
    call.refresh_from_db()
    assert call.selected_at is not None
    assert Project.objects.get(proposal=proposal).grant == Decimal("15000.00")
    page = client.get(reverse("frontend:funding_call_detail", args=["fes", call.pk])).content.decode()
    assert "Funded" in page


def test_youth_submits_and_edits_a_proposal_with_the_plain_form(client, call_a):
    lead = UserFactory()
    client.force_login(lead)
    response = client.post(
        reverse("frontend:team_submit", args=[call_a.pk]),
        {
            "title": "Cine-club",
            "summary": "Monthly films and debates.",
            "team_name": "Cinephiles",
            "requested_amount": "1500",
            "beneficiaries_expected": "80",
            "member_name_1": "Lina",
            "member_age_1": "17",
            "member_name_2": "Adam",
            "member_age_2": "18",
        },
    )
    proposal = ProjectProposal.objects.get(lead=lead)
    assert response.status_code == 302
    assert proposal.members.count() == 2
    edit = reverse("frontend:team_proposal_edit", args=[proposal.pk])
    assert "Lina" in client.get(edit).content.decode()
    too_big = client.post(
        edit,
        {
            "title": "Cine-club",
            "summary": "x",
            "team_name": "C",
            "requested_amount": "999999",
            "beneficiaries_expected": 1,
            "member_name_1": "Lina",
            "member_age_1": "17",
            "member_name_2": "Adam",
            "member_age_2": "18",
        },
    )
    assert too_big.status_code == 200 and "maximum" in too_big.content.decode()
    client.force_login(UserFactory())
    assert client.get(edit).status_code == 404


def test_team_lead_sees_open_calls_and_own_proposals(client, call_a):
    lead = UserFactory()
    eligible(call_a, lead=lead, title="My idea")
    client.force_login(lead)
    html = client.get(reverse("frontend:team_calls")).content.decode()
    assert call_a.title in html and "My idea" in html


def test_a_code_holder_votes_once_from_the_plain_form(client, call_a, facilitator):
    proposal = eligible(call_a)
    move_to(call_a, CallPhase.VOTE)
    [code] = services.voter_codes_issue(call=call_a, count=1, actor=facilitator)
    url = reverse("frontend:team_vote", args=[call_a.pk])
    assert client.post(url, {"code": code, "approve": [proposal.pk]}).status_code == 302
    again = client.post(url, {"code": code, "approve": [proposal.pk]})
    assert again.status_code == 200 and "already been used" in again.content.decode()
    assert YouthVote.objects.filter(proposal=proposal).count() == 1


def test_staff_pay_a_tranche_and_record_spending_from_the_project_page(client, facilitator, project_from_session):
    client.force_login(facilitator)
    url = reverse("frontend:funding_project", args=["fes", project_from_session.pk])
    client.post(url, {"action": "tranche_plan", "amount": "1000", "planned_on": "2026-12-01"})
    tranche = project_from_session.tranches.get()
    client.post(url, {"action": "tranche_pay", "tranche": tranche.pk, "paid_on": "2026-12-02"})
    client.post(url, {"action": "ledger", "kind": "expense", "amount": "250", "description": "Chairs"})
    bad = client.post(url, {"action": "tranche_plan", "amount": "10", "planned_on": "not a date"}, follow=True)
    assert "Enter a date" in bad.content.decode()
    project_from_session.refresh_from_db()
    assert project_from_session.balance == Decimal("750.00")
    assert LedgerEntry.objects.filter(project=project_from_session).count() == 2
    html = client.get(url).content.decode()
    assert "Chairs" in html and "Salma" not in html.split("<h1>")[0]


def test_review_page_records_a_conflict_of_interest(client, analyst, call_a):
    criterion = call_a.criteria.create(name="Impact", weight=2)
    proposal = eligible(call_a)
    move_to(call_a, CallPhase.REVIEW)
    client.force_login(analyst)
    url = reverse("frontend:funding_proposal", args=["fes", proposal.pk])
    client.post(url, {"action": "review", f"score_{criterion.pk}": "4", "conflict": "1", "comment": "My cousin"})
    review = proposal.reviews.get()
    assert review.conflict_of_interest and not review.scores.exists()
    assert "Conflict of interest declared" in client.get(url).content.decode()


def test_the_team_lead_reports_progress_on_its_project_and_others_get_404(client, project_from_session):
    url = reverse("frontend:team_project", args=[project_from_session.pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(project_from_session.proposal.lead)
    assert client.get(url).status_code == 200
    client.post(url, {"action": "report", "text": "First workshop held", "beneficiaries_reached": "35"})
    project_from_session.refresh_from_db()
    assert project_from_session.beneficiaries_reached == 35
    assert project_from_session.reports.get().text == "First workshop held"
    client.post(url, {"action": "tranche_plan", "amount": "10", "planned_on": "2027-01-01"})
    assert not project_from_session.tranches.exists()  # paying and planning stay with staff
