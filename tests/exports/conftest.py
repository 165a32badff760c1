"""Known data for the exporters: a consultation of Fes with 30 participants and fixed ballots, a council with a
meeting and a closed election, a funding call with a selection and a funded project, a network of two cities."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from cities.models import Network
from consultations.models import Ballot, ItemStatus, Theme
from councils import services as council_services
from proposals import services as funding_services
from proposals.models import CallPhase, LedgerKind
from tests.councils.factories import add_member, make_council
from tests.factories import (
    ConsultationFactory,
    ItemFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
)
from tests.proposals.conftest import move_to
from tests.proposals.factories import FundingCallFactory, ProjectProposalFactory


@dataclass
class Summary:
    consultation: object
    session: object
    water: object  # challenge, theme "Environment", 20 supporters (1 point each)
    jobs: object  # challenge, theme "Work", 10 supporters
    park: object  # proposal, no theme, 30 supporters
    pending: object  # challenge still waiting for moderation (never exported)


@pytest.fixture
def summary_data(city_a) -> Summary:
    """30 participants: 26 women, 4 men; ages 18-24 (all); districts: 25 Fes-Medina, 5 not given."""
    c = ConsultationFactory(city=city_a, title="Youth and the city", starts_on=datetime.date(2026, 3, 1))
    s = SessionFactory(consultation=c, title="Evening session", place="Dar Batha")
    env = Theme.objects.create(consultation=c, name="Environment")
    work = Theme.objects.create(consultation=c, name="Work")
    medina = city_a.districts.get(name="Fes-Medina")
    people = [
        ParticipantFactory(
            session=s,
            gender="female" if i < 26 else "male",
            age_band="18_24",
            district=medina if i < 25 else None,
        )
        for i in range(30)
    ]
    water = ItemFactory(session=s, kind="challenge", text="Clean water", theme=env, status=ItemStatus.APPROVED)
    jobs = ItemFactory(session=s, kind="challenge", text="=cmd|'/c calc'!A1", theme=work, status=ItemStatus.APPROVED)
    park = ItemFactory(session=s, kind="proposal", text="A park by the river", status=ItemStatus.APPROVED)
    pending = ItemFactory(session=s, kind="challenge", text="Unmoderated words", status=ItemStatus.PENDING)
    ballots = [Ballot(session=s, participant=p, item=water) for p in people[:20]]
    ballots += [Ballot(session=s, participant=p, item=jobs) for p in people[20:30]]
    ballots += [Ballot(session=s, participant=p, item=park) for p in people]
    Ballot.objects.bulk_create(ballots)
    return Summary(c, s, water, jobs, park, pending)


@pytest.fixture
def council_data(city_a, secretariat):
    council = make_council(city_a, actor=secretariat)
    term = council.terms.get()
    members = [
        add_member(term, actor=secretariat, full_name=f"Member {i}", email=f"m{i}@example.org") for i in range(4)
    ]
    meeting = council_services.meeting_schedule(
        council=council,
        title="Plenary",
        scheduled_at=timezone.make_aware(datetime.datetime(2026, 6, 1, 18, 0)),
        actor=secretariat,
    )
    for m in members[:3]:
        council_services.attendance_record(meeting=meeting, membership=m, actor=secretariat)
    election = council_services.election_create(
        council=council, term=term, title="President", role="president", candidates=members[:2], actor=secretariat
    )
    council_services.election_open(election=election, actor=secretariat)
    from councils.models import BallotCode

    codes = {c.membership_id: c.code for c in BallotCode.objects.filter(election=election)}
    for voter in members:
        council_services.ballot_cast(code=codes[voter.pk], choice=members[0])
    council_services.election_close(election=election, actor=secretariat)
    return {"council": council, "term": term, "members": members, "meeting": meeting, "election": election}


@pytest.fixture
def funding_data(city_a, facilitator):
    call = FundingCallFactory(
        city=city_a, title="Seed fund 2026", budget=Decimal("5000.00"), cap_per_project=Decimal("5000.00")
    )
    first = ProjectProposalFactory(
        call=call, title="Library corner", status="eligible", requested_amount=Decimal("3000.00")
    )
    second = ProjectProposalFactory(
        call=call, title="Football league", status="eligible", requested_amount=Decimal("2500.00")
    )
    refused = ProjectProposalFactory(call=call, title="Too late", status="ineligible")
    refused.eligibility_note = "Team too small"
    refused.save()
    move_to(call, CallPhase.VOTE)
    voter = UserFactory()
    funding_services.vote_cast(call=call, choices={first.pk: 1, second.pk: 1}, user=voter)
    funding_services.vote_cast(call=call, choices={first.pk: 1}, user=UserFactory())
    move_to(call, CallPhase.SELECTION)
    funding_services.call_select_projects(call=call, actor=facilitator)
    project = first.project
    tranche = funding_services.tranche_plan(
        project=project, amount=Decimal("2000.00"), planned_on=datetime.date(2026, 7, 1), actor=facilitator
    )
    funding_services.tranche_plan(
        project=project, amount=Decimal("1000.00"), planned_on=datetime.date(2026, 9, 1), actor=facilitator
    )
    funding_services.tranche_pay(tranche=tranche, actor=facilitator)
    funding_services.ledger_record(
        project=project, kind=LedgerKind.EXPENSE, amount=Decimal("750.50"), description="Books", actor=facilitator
    )
    done = funding_services.milestone_add(
        project=project, title="Shelves", due_on=datetime.date(2026, 8, 1), actor=facilitator
    )
    funding_services.milestone_update(milestone=done, status="done", progress=100, actor=facilitator)
    funding_services.milestone_add(
        project=project, title="Opening", due_on=datetime.date(2026, 10, 1), actor=facilitator
    )
    return {"call": call, "first": first, "second": second, "refused": refused, "project": project}


@pytest.fixture
def network_admin(db):
    return UserFactory(email="network@example.org")


@pytest.fixture
def network(city_a, city_b, network_admin):
    n = Network.objects.create(name="Mediterranean youth cities", slug="med")
    n.cities.add(city_a, city_b)
    n.administrators.add(network_admin)
    return n
