"""Races with real parallel requests on PostgreSQL: one ballot per participant and item."""

import pytest
from rest_framework.test import APIClient

from consultations import services
from consultations.models import Ballot, Participant
from consultations.tokens import participant_token
from tests.consultations.conftest import in_parallel, voting_session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _parallel(n, target):
    return in_parallel([lambda i=i: target(i) for i in range(n)])


@pytest.fixture
def voting(city_a, facilitator):
    return voting_session(city_a, facilitator, items=4, challenge_voting_method="dot", dot_points=3, dot_max_per_item=3)


@pytest.fixture(params=[False, True], ids=["direct", "group-commit"])
def group_commit(request, settings):
    settings.MAJLIS_BALLOT_GROUP_COMMIT = request.param


def test_the_same_ballot_sent_in_parallel_is_counted_once(voting, group_commit):
    session, items = voting
    participant = services.participant_join(code=session.join_code, consent=True)
    token = participant_token(participant)

    def vote(_i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Participant {token}")
        return client.post(
            f"/api/v1/sessions/{session.join_code}/votes", {"item": items[0].pk, "points": 2}, format="json"
        ).status_code

    statuses, errors = _parallel(12, vote)
    assert errors == []
    assert set(statuses) <= {200, 201} and statuses.count(201) == 1
    assert Ballot.objects.filter(participant=participant, item=items[0]).count() == 1


def test_parallel_ballots_of_one_person_never_exceed_their_points(voting):
    session, items = voting
    participant = services.participant_join(code=session.join_code, consent=True)

    def vote(i):
        try:
            services.vote_cast(participant=participant, item_id=items[i % 4].pk, points=2)
            return "ok"
        except Exception as exc:
            return type(exc).__name__

    outcomes, errors = _parallel(8, vote)
    assert errors == []
    total = sum(Ballot.objects.filter(participant=participant).values_list("points", flat=True))
    assert total <= 3
    assert outcomes.count("ok") >= 1 and set(outcomes) <= {"ok", "TooManyPoints"}


def test_many_participants_voting_at_once_are_all_counted_exactly_once(voting, group_commit):
    session, items = voting
    tokens = [participant_token(services.participant_join(code=session.join_code, consent=True)) for _ in range(40)]

    def vote(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Participant {tokens[i // 2]}")
        # each participant sends its ballot twice, from two threads
        return client.post(
            f"/api/v1/sessions/{session.join_code}/votes", {"item": items[1].pk, "points": 1}, format="json"
        ).status_code

    statuses, errors = _parallel(80, vote)
    assert errors == [] and set(statuses) <= {200, 201}
    assert Ballot.objects.filter(item=items[1]).count() == 40
    assert Participant.objects.filter(session=session).count() == 41


def test_headcount_cap_holds_under_parallel_joins(voting, facilitator):
    session, _ = voting
    services.session_configure(session=session, actor=facilitator, capacity=10)

    def join(_i):
        try:
            services.participant_join(code=session.join_code, consent=True)
            return "joined"
        except Exception as exc:
            return type(exc).__name__

    outcomes, errors = _parallel(20, join)
    assert errors == []
    assert Participant.objects.filter(session=session).count() == 10
    assert outcomes.count("joined") == 9 and outcomes.count("RoomFull") == 11


def test_one_device_joining_in_parallel_is_one_participant(voting, group_commit):
    session, _items = voting
    before = Participant.objects.filter(session=session).count()

    def join(_i):
        response = APIClient().post(
            f"/api/v1/sessions/{session.join_code}/join", {"consent": True, "device": "one-phone"}, format="json"
        )
        assert response.status_code == 201, response.content
        return response.json()["participant"]

    results, errors = _parallel(12, join)
    assert not errors, errors
    assert len(set(results)) == 1
    assert Participant.objects.filter(session=session).count() == before + 1


def test_one_card_used_in_parallel_admits_one_participant(voting, group_commit, facilitator):
    from consultations import joins

    session, _items = voting
    session = services.session_configure(session=session, actor=facilitator, join_policy="cards")
    (card,) = joins.cards_create(session=session, count=1, actor=facilitator)
    before = Participant.objects.filter(session=session).count()

    def join(i):
        body = {"consent": True, "card": card.code, "device": f"phone-{i}"}
        response = APIClient().post(f"/api/v1/sessions/{session.join_code}/join", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()["participant"]

    results, errors = _parallel(12, join)
    assert not errors, errors
    assert len(set(results)) == 1
    assert Participant.objects.filter(session=session).count() == before + 1
