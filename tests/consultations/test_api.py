"""The public contract of docs/api.md, as an external client sees it."""

import pytest

from consultations.models import Ballot, Item, Participant

from .conftest import join, to_phase

pytestmark = pytest.mark.django_db


def _join(api_client, session, **body):
    response = api_client.post(f"/api/v1/sessions/{session.join_code}/join", {"consent": True, **body}, format="json")
    assert response.status_code == 201, response.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Participant {response.json()['token']}")
    return response.json()


def test_join_returns_a_token_that_authorises_later_calls(api_client, live_session):
    body = _join(api_client, live_session, age_band="15_17", gender="unsaid")
    assert body["session"]["code"] == live_session.join_code
    state = api_client.get(f"/api/v1/sessions/{live_session.join_code}/state")
    assert state.status_code == 200
    assert set(state.json()) >= {"version", "phase", "participants", "items"}
    assert state.json()["participants"] == 1 and state.json()["phase"] == "lobby"


def test_join_without_consent_is_a_translated_400_and_creates_nobody(api_client, live_session):
    response = api_client.post(
        f"/api/v1/sessions/{live_session.join_code}/join", {"consent": False}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    assert "accepter" in response.json()["detail"] or response.json()["detail"]
    assert Participant.objects.count() == 0


def test_unknown_code_is_404(api_client, db):
    assert api_client.post("/api/v1/sessions/AAAAAA/join", {"consent": True}, format="json").status_code == 404


def test_state_without_credentials_is_refused(api_client, live_session):
    assert api_client.get(f"/api/v1/sessions/{live_session.join_code}/state").status_code == 401


def test_participant_submits_and_sees_only_approved_items_without_votes_until_results(
    api_client, live_session, facilitator, facilitator_api
):
    live_session.premoderation = True
    live_session.save()
    _join(api_client, live_session)
    code = live_session.join_code
    assert (
        facilitator_api.post(f"/api/v1/sessions/{code}/phase", {"phase": "challenges"}, format="json").status_code
        == 200
    )
    created = api_client.post(
        f"/api/v1/sessions/{code}/items", {"kind": "challenge", "text": "No youth centre"}, format="json"
    )
    assert created.status_code == 201
    item_id = created.json()["id"]
    assert api_client.get(f"/api/v1/sessions/{code}/state").json()["items"] == []
    staff_items = facilitator_api.get(f"/api/v1/sessions/{code}/state").json()["items"]
    assert [(i["id"], i["status"]) for i in staff_items] == [(item_id, "pending")]

    moderation = facilitator_api.post(
        f"/api/v1/sessions/{code}/items/{item_id}/moderation", {"action": "approve"}, format="json"
    )
    assert moderation.status_code == 200
    facilitator_api.post(f"/api/v1/sessions/{code}/phase", {"phase": "challenge_voting"}, format="json")
    vote = api_client.post(f"/api/v1/sessions/{code}/votes", {"item": item_id, "points": 1}, format="json")
    assert vote.status_code == 201
    again = api_client.post(f"/api/v1/sessions/{code}/votes", {"item": item_id, "points": 1}, format="json")
    assert again.status_code == 200 and again.json()["changed"] is False
    public = api_client.get(f"/api/v1/sessions/{code}/state").json()
    assert public["items"][0]["votes"] is None
    assert facilitator_api.get(f"/api/v1/sessions/{code}/state").json()["items"][0]["votes"] == 1
    facilitator_api.post(f"/api/v1/sessions/{code}/phase", {"phase": "results"}, format="json")
    assert api_client.get(f"/api/v1/sessions/{code}/state").json()["items"][0]["votes"] == 1


def test_vote_withdraw_by_delete(api_client, live_session, facilitator):
    item = _open_vote(live_session, facilitator)
    _join(api_client, live_session)
    code = live_session.join_code
    api_client.post(f"/api/v1/sessions/{code}/votes", {"item": item.pk}, format="json")
    response = api_client.delete(f"/api/v1/sessions/{code}/votes/{item.pk}")
    assert response.status_code == 200 and response.json()["withdrawn"] is True
    assert not Ballot.objects.exists()


def _open_vote(session, facilitator):
    author = join(session)
    to_phase(session, "challenges", facilitator)
    from consultations import services

    item = services.item_submit(participant=author, kind="challenge", text="Public transport at night")
    to_phase(session, "challenge_voting", facilitator)
    return item


@pytest.mark.parametrize(
    ("body", "status"),
    [({"item": 999999}, 404), ({"item": "x"}, 400), ({"item": None}, 400), ({"points": 1}, 400)],
)
def test_bad_votes_are_4xx_and_change_nothing(api_client, live_session, facilitator, body, status):
    _open_vote(live_session, facilitator)
    _join(api_client, live_session)
    response = api_client.post(f"/api/v1/sessions/{live_session.join_code}/votes", body, format="json")
    assert response.status_code == status
    assert "detail" in response.json()
    assert not Ballot.objects.exists()


def test_too_many_points_and_wrong_phase_are_4xx_with_message(api_client, live_session, facilitator):
    item = _open_vote(live_session, facilitator)
    _join(api_client, live_session)
    code = live_session.join_code
    response = api_client.post(
        f"/api/v1/sessions/{code}/votes", {"item": item.pk, "points": 3}, format="json", HTTP_ACCEPT_LANGUAGE="ar"
    )
    assert response.status_code == 400 and response.json()["code"] == "too_many_points"
    to_phase(live_session, "results", facilitator)
    response = api_client.post(f"/api/v1/sessions/{code}/votes", {"item": item.pk}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "wrong_phase"
    assert not Ballot.objects.exists()


def test_participant_of_another_session_is_refused(api_client, live_session, consultation, facilitator):
    from consultations import services

    other = services.session_create(consultation=consultation, title="Other", created_by=facilitator)
    _join(api_client, other)
    assert api_client.get(f"/api/v1/sessions/{live_session.join_code}/state").status_code == 403


def test_staff_operations_refuse_participants_and_other_cities(api_client, live_session, charlie_api):
    code = live_session.join_code
    assert charlie_api.post(f"/api/v1/sessions/{code}/phase", {"phase": "challenges"}, format="json").status_code == 404
    assert charlie_api.get(f"/api/v1/sessions/{code}/state").status_code == 404
    _join(api_client, live_session)
    assert api_client.post(f"/api/v1/sessions/{code}/phase", {"phase": "challenges"}, format="json").status_code == 401
    live_session.refresh_from_db()
    assert live_session.phase == "lobby"


def test_phase_not_used_by_session_is_409(facilitator_api, consultation, facilitator):
    from consultations import services

    session = services.session_create(
        consultation=consultation, title="S", created_by=facilitator, phases=["challenges"]
    )
    response = facilitator_api.post(
        f"/api/v1/sessions/{session.join_code}/phase", {"phase": "proposals"}, format="json"
    )
    assert response.status_code == 409


def test_proposal_answers_challenges(api_client, live_session, facilitator):
    item = _open_vote(live_session, facilitator)
    to_phase(live_session, "proposals", facilitator)
    _join(api_client, live_session)
    response = api_client.post(
        f"/api/v1/sessions/{live_session.join_code}/items",
        {"kind": "proposal", "text": "Night buses on weekends", "answers": [item.pk]},
        format="json",
    )
    assert response.status_code == 201
    assert list(Item.objects.get(pk=response.json()["id"]).answers.all()) == [item]


def test_me_lists_own_ballots_and_points_left(api_client, live_session, facilitator):
    item = _open_vote(live_session, facilitator)
    _join(api_client, live_session)
    api_client.post(f"/api/v1/sessions/{live_session.join_code}/votes", {"item": item.pk}, format="json")
    me = api_client.get(f"/api/v1/sessions/{live_session.join_code}/me").json()
    assert me["ballots"] == [{"item": item.pk, "points": 1, "kind": "challenge"}]


def test_version_rises_with_each_change_and_is_the_same_in_rest(api_client, live_session, facilitator_api):
    _join(api_client, live_session)
    code = live_session.join_code
    v1 = api_client.get(f"/api/v1/sessions/{code}/state").json()["version"]
    facilitator_api.post(f"/api/v1/sessions/{code}/phase", {"phase": "challenges"}, format="json")
    v2 = api_client.get(f"/api/v1/sessions/{code}/state").json()["version"]
    assert v2 > v1
    live_session.refresh_from_db()
    assert live_session.version == v2


def test_consultation_and_session_creation_through_the_api(facilitator_api, charlie_api, city_a):
    created = facilitator_api.post("/api/v1/consultations/", {"city": "fes", "title": "Budget 2026"}, format="json")
    assert created.status_code == 201
    cid = created.json()["id"]
    session = facilitator_api.post(f"/api/v1/consultations/{cid}/sessions/", {"title": "Evening"}, format="json")
    assert session.status_code == 201 and len(session.json()["join_code"]) == 6
    assert charlie_api.post(f"/api/v1/consultations/{cid}/sessions/", {"title": "x"}, format="json").status_code == 404
    assert charlie_api.post("/api/v1/consultations/", {"city": "fes", "title": "x"}, format="json").status_code == 404
    assert charlie_api.get("/api/v1/consultations/").json() == []


def test_openapi_schema_is_served(api_client, db):
    response = api_client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/sessions/{code}/votes" in response.content
