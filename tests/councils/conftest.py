import pytest
from django.test import Client
from django.utils import timezone

from councils import services
from councils.models import BallotCode, Meeting
from tests.factories import SessionFactory

from .factories import add_member, make_council


@pytest.fixture
def council(city_a, secretariat):
    return make_council(city_a, secretariat)


@pytest.fixture
def term(council):
    return council.terms.get()


@pytest.fixture
def members(term, secretariat):
    return [add_member(term, secretariat) for _ in range(4)]


@pytest.fixture
def council_b(city_b, charlie):
    return make_council(city_b, charlie, name="Saida Youth Council")


@pytest.fixture
def session_a(city_a):
    return SessionFactory(consultation__city=city_a)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def secretariat_client(secretariat):
    return signed_in(secretariat)


@pytest.fixture
def charlie_client(charlie):
    return signed_in(charlie)


@pytest.fixture
def open_election(council, term, members, secretariat):
    """An open election for president between the first two members, held at a meeting."""
    meeting = Meeting.objects.create(council=council, title="Election sitting", scheduled_at=timezone.now())
    election = services.election_create(
        council=council,
        term=term,
        title="President",
        role="president",
        candidates=members[:2],
        actor=secretariat,
        meeting=meeting,
    )
    return services.election_open(election=election, actor=secretariat)


def ballot_code(election, member) -> str:
    return BallotCode.objects.get(election=election, membership=member).code


def check_in(election, member) -> None:
    """The member checks in at the election's meeting, as they do in the room with their member code."""
    Meeting.objects.filter(pk=election.meeting_id).update(checkin_open=True)
    services.meeting_checkin(meeting=election.meeting, member_code=member.member_code)
