"""The ballot page lets services.ballot_cast decide whether a code may vote when a choice is sent (the service
checks the code under the election's lock; the page does not check it a second time) and shows the service's
refusal; before the ballot is shown, services.ballot_code_check decides."""

import pytest
from django.test import Client
from django.urls import reverse

from councils import selectors, services
from councils.errors import AlreadyVoted, ElectionNotOpen, NotCheckedIn
from councils.models import Election, ElectionIncident, ElectionVoter, IncidentKind
from frontend.views.councils import register_token

from .conftest import ballot_code, check_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(open_election):
    return open_election


def test_a_ballot_sent_is_checked_by_ballot_cast_alone(election, members, monkeypatch):
    check_in(election, members[2])

    def second_check(code):
        raise AssertionError("the page checked the code before ballot_cast")

    monkeypatch.setattr(services, "ballot_code_check", second_check)
    response = Client().post("/e/", {"code": ballot_code(election, members[2]), "choice": str(members[0].pk)})
    assert response.status_code == 200
    assert ElectionVoter.objects.filter(election=election, membership=members[2]).exists()


@pytest.mark.parametrize(
    ("refusal", "shown"),
    [(AlreadyVoted, "tell the chair"), (NotCheckedIn, "Check in to the meeting first"), (ElectionNotOpen, None)],
)
def test_the_page_shows_the_refusal_ballot_cast_gives(election, members, monkeypatch, refusal, shown):
    check_in(election, members[2])

    def refuse(*, code, choice):
        raise refusal()

    monkeypatch.setattr(services, "ballot_cast", refuse)
    response = Client().post("/e/", {"code": ballot_code(election, members[2]), "choice": str(members[0].pk)})
    assert response.status_code == 409
    assert 'name="choice"' not in response.content.decode()
    if shown:
        assert shown in response.content.decode()


def test_a_used_code_sending_a_ballot_is_one_incident_and_no_second_ballot(election, members):
    check_in(election, members[2])
    code = ballot_code(election, members[2])
    assert Client().post("/e/", {"code": code, "choice": str(members[0].pk)}).status_code == 200
    response = Client().post("/e/", {"code": code, "choice": str(members[1].pk)})
    assert response.status_code == 409 and "tell the chair" in response.content.decode()
    incident = ElectionIncident.objects.get(election=election, membership=members[2])
    assert (incident.kind, incident.attempts) == (IncidentKind.CODE_USED, 1)
    assert ElectionVoter.objects.filter(election=election).count() == 1


def test_the_ballot_is_shown_only_to_a_code_that_may_vote(election, members):
    code = ballot_code(election, members[2])
    refused = Client().post("/e/", {"code": code})
    assert refused.status_code == 409 and 'name="choice"' not in refused.content.decode()
    check_in(election, members[2])
    shown = Client().post("/e/", {"code": code})
    assert shown.status_code == 200 and 'name="choice"' in shown.content.decode()


def test_the_register_is_public_from_the_opening_of_the_vote_on(council, term, members, secretariat):
    draft = services.election_create(
        council=council, term=term, title="President", role="president", candidates=members[:2], actor=secretariat
    )
    url = reverse("frontend:council_election_register", args=[register_token(draft)])
    assert not selectors.register_is_public(draft)
    assert Client().get(url).status_code == 404
    for change in (services.election_open, services.election_close):
        election = change(election=Election.objects.get(pk=draft.pk), actor=secretariat)
        assert selectors.register_is_public(election), election.status
        assert Client().get(url).status_code == 200
