"""Nobody votes in another member's name unseen: a code of an election held at a meeting works only for a member
checked in to it; a member told their code was used, or a code tried before its member checked in, is an incident
the chair and the room see on the voters' register; turnout is shown against the members checked in."""

import pytest
from django.test import Client
from django.urls import reverse

from councils import selectors, services
from councils.errors import AlreadyVoted, NotCheckedIn
from councils.models import (
    BallotCode,
    ElectionBallot,
    ElectionIncident,
    ElectionVoter,
    IncidentKind,
    Meeting,
)
from frontend.views.councils import register_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(council):
    from django.utils import timezone

    return Meeting.objects.create(council=council, title="Election sitting", scheduled_at=timezone.now())


@pytest.fixture
def election(council, term, members, meeting, secretariat):
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


def _code(election, member) -> str:
    return BallotCode.objects.get(election=election, membership=member).code


def _check_in(meeting, member):
    meeting.checkin_open = True
    meeting.save()
    services.meeting_checkin(meeting=meeting, member_code=member.member_code)


def test_a_code_works_only_once_its_member_is_checked_in(election, meeting, members):
    with pytest.raises(NotCheckedIn):
        services.ballot_cast(code=_code(election, members[2]), choice=members[0])
    assert not ElectionVoter.objects.exists() and not ElectionBallot.objects.exists()
    incident = ElectionIncident.objects.get()
    assert (incident.membership, incident.kind) == (members[2], IncidentKind.NOT_CHECKED_IN)

    _check_in(meeting, members[2])
    services.ballot_cast(code=_code(election, members[2]), choice=members[0])
    assert ElectionVoter.objects.filter(membership=members[2]).exists()
    assert ElectionBallot.objects.count() == 1


def test_the_member_told_their_code_was_used_is_an_incident_on_the_register(election, meeting, members):
    _check_in(meeting, members[3])
    services.ballot_cast(code=_code(election, members[3]), choice=members[0])  # the slip's printer, say
    for _attempt in range(2):  # the real member, twice
        with pytest.raises(AlreadyVoted):
            services.ballot_code_check(_code(election, members[3]))
    incident = ElectionIncident.objects.get()
    assert (incident.membership, incident.kind, incident.attempts) == (members[3], IncidentKind.CODE_USED, 2)
    register = selectors.election_register(election)
    assert register.incidents[0]["name"] == str(members[3].person) and register.incidents[0]["attempts"] == 2
    assert ElectionBallot.objects.count() == 1  # the refusal changed nothing else


def test_an_election_without_a_meeting_still_records_the_used_code(council, term, members, secretariat):
    election = services.election_create(
        council=council, term=term, title="P", role="president", candidates=members[:2], actor=secretariat
    )
    services.election_open(election=election, actor=secretariat)
    services.ballot_cast(code=_code(election, members[1]), choice=members[0])
    with pytest.raises(AlreadyVoted):
        services.ballot_cast(code=_code(election, members[1]), choice=members[1])
    assert ElectionIncident.objects.filter(membership=members[1], kind=IncidentKind.CODE_USED).exists()
    assert selectors.election_register(election).present is None


def test_turnout_is_shown_against_the_members_checked_in(election, meeting, members, secretariat):
    for member in members[:3]:
        _check_in(meeting, member)
    services.attendance_record(meeting=meeting, membership=members[3], actor=secretariat)
    for member in members:
        services.ballot_cast(code=_code(election, member), choice=members[0])
    register = selectors.election_register(election)
    assert (register.eligible, register.present, register.voted) == (4, 4, 4)
    assert register.present_by_secretariat == 1 and not register.more_ballots_than_present
    assert [line.present_by_secretariat for line in register.lines].count(True) == 1

    # Attendance struck off after the vote: more ballots than members present is flagged.
    services.attendance_remove(meeting=meeting, membership=members[0], actor=secretariat)
    register = selectors.election_register(election)
    assert (register.present, register.voted) == (3, 4) and register.more_ballots_than_present


def test_a_meeting_of_another_council_is_refused(council, term, members, secretariat, council_b):
    from django.utils import timezone

    from councils.errors import CouncilError

    other = Meeting.objects.create(council=council_b, title="Elsewhere", scheduled_at=timezone.now())
    with pytest.raises(CouncilError):
        services.election_create(
            council=council,
            term=term,
            title="P",
            role="president",
            candidates=members[:1],
            actor=secretariat,
            meeting=other,
        )


# --- Pages ----------------------------------------------------------------------------------------------------


def test_the_ballot_page_asks_a_member_to_check_in_first(election, meeting, members, client):
    response = client.post("/e/", {"code": _code(election, members[2])})
    assert response.status_code == 409
    assert "Check in to the meeting first" in response.content.decode()
    _check_in(meeting, members[2])
    response = client.post("/e/", {"code": _code(election, members[2])})
    assert response.status_code == 200 and 'name="choice"' in response.content.decode()


def test_the_used_code_page_records_an_incident_the_election_page_shows(
    election, meeting, members, client, secretariat_client
):
    _check_in(meeting, members[2])
    code = _code(election, members[2])
    assert client.post("/e/", {"code": code, "choice": str(members[0].pk)}).status_code == 200
    response = Client().post("/e/", {"code": code})
    assert response.status_code == 409 and "tell the chair" in response.content.decode()
    register_link = reverse("frontend:council_election_register", args=[register_token(election)])
    assert f'href="{register_link}"' in response.content.decode()  # the member can check the register
    page = secretariat_client.get(reverse("frontend:council_election", args=["fes", election.pk])).content.decode()
    assert "Incidents" in page and str(members[2].person) in page
    assert "Told that their code had already been used" in page
    assert "Ballots cast: 1 · members checked in: 1" in page


def test_the_public_register_shows_who_voted_while_open_and_only_figures_after(
    election, meeting, members, secretariat, client
):
    _check_in(meeting, members[0])
    services.ballot_cast(code=_code(election, members[0]), choice=members[1])
    url = reverse("frontend:council_election_register", args=[register_token(election)])
    page = client.get(url).content.decode()
    for member in members:
        assert str(member.person) in page
    assert page.count("✓ voted") == 1 and page.count("✓ present") == 1
    assert 'http-equiv="refresh"' in page
    services.election_close(election=election, actor=secretariat)
    page = client.get(url).content.decode()
    assert not any(str(member.person) in page for member in members)
    assert "the names are no longer shown" in page


def test_a_forged_register_link_is_missing(election, client):
    assert client.get(reverse("frontend:council_election_register", args=["forged"])).status_code == 404


def test_the_election_page_flags_more_ballots_than_members_checked_in(
    election, meeting, members, secretariat, secretariat_client
):
    _check_in(meeting, members[0])
    services.ballot_cast(code=_code(election, members[0]), choice=members[1])
    services.attendance_remove(meeting=meeting, membership=members[0], actor=secretariat)
    page = secretariat_client.get(reverse("frontend:council_election", args=["fes", election.pk])).content.decode()
    assert "More ballots than members checked in." in page


def test_the_election_form_takes_the_meeting(council, members, meeting, secretariat_client):
    url = reverse("frontend:council_elections", args=["fes"])
    response = secretariat_client.post(
        url,
        {
            "title": "President",
            "role": "president",
            "candidates": [members[0].pk, members[1].pk],
            "quorum_percent": 50,
            "tie_rule": "tie",
            "meeting": meeting.pk,
        },
    )
    assert response.status_code == 302
    assert council.elections.get().meeting == meeting


def test_the_election_form_proposes_todays_meeting(council, members, meeting, secretariat_client):
    page = secretariat_client.get(reverse("frontend:council_elections", args=["fes"])).content.decode()
    assert f'<option value="{meeting.pk}" selected>' in page
