"""Clients retry: a submission sent again with the same Idempotency-Key returns the first result and creates nothing;
a ballot sent again changes nothing (it sets the points on an item). Parallel retries run on PostgreSQL."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from consultations import services
from consultations.models import Ballot, Item, Phase
from consultations.tokens import participant_token


@pytest.fixture
def room(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Fes youth priorities", created_by=facilitator, participants_may_be_minors=False
    )
    session = services.session_create(consultation=consultation, title="Session 1", created_by=facilitator)
    services.session_set_phase(session=session, phase=Phase.CHALLENGES, actor=None)
    return session


def _client(participant) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(participant)}")
    return client


def _submit(client, session, text, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        f"/api/v1/sessions/{session.join_code}/items", {"kind": "challenge", "text": text}, format="json", **headers
    )


def _join(session):
    return services.participant_join(code=session.join_code, consent=True)


def test_a_retried_submission_returns_the_first_item_and_creates_nothing(room):
    client = _client(_join(room))
    first = _submit(client, room, "No bus after 8 pm", key="k-1")
    again = _submit(client, room, "No  bus after 8 pm ", key="k-1")  # the same text, however spaced
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Item.objects.filter(session=room).count() == 1


def test_a_retry_after_the_phase_moved_on_still_gets_its_item(room):
    client = _client(_join(room))
    first = _submit(client, room, "No bus after 8 pm", key="k-1")
    services.session_set_phase(session=room, phase=Phase.CHALLENGE_VOTING, actor=None)
    again = _submit(client, room, "No bus after 8 pm", key="k-1")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert _submit(client, room, "Another text", key="k-2").status_code == 409  # a new submission: wrong phase


def test_the_same_key_with_another_text_is_refused_and_changes_nothing(room):
    client = _client(_join(room))
    _submit(client, room, "No bus after 8 pm", key="k-1")
    response = _submit(client, room, "Something else entirely", key="k-1")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert list(Item.objects.values_list("text", flat=True)) == ["No bus after 8 pm"]


def test_keys_belong_to_one_participant(room):
    first = _submit(_client(_join(room)), room, "No bus after 8 pm", key="same")
    second = _submit(_client(_join(room)), room, "No bus after 8 pm", key="same")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"] and Item.objects.count() == 2


def test_without_a_key_each_request_is_a_new_submission(room):
    client = _client(_join(room))
    assert _submit(client, room, "No bus after 8 pm").status_code == 201
    assert _submit(client, room, "No bus after 8 pm").status_code == 201
    assert Item.objects.count() == 2


@pytest.mark.parametrize("key", ["", "   ", "x" * 256])
def test_an_empty_or_overlong_key_is_refused_and_changes_nothing(room, key):
    response = _submit(_client(_join(room)), room, "No bus after 8 pm", key=key)
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    assert not Item.objects.exists()


def test_the_key_is_stored_as_a_digest(room):
    _submit(_client(_join(room)), room, "No bus after 8 pm", key="my-device-42-attempt-1")
    stored = Item.objects.get().submission_key
    assert len(stored) == 64 and "my-device" not in stored


def test_a_resent_ballot_changes_nothing_and_counts_once(room):
    participant = _join(room)
    client = _client(participant)
    item = _submit(client, room, "No bus after 8 pm").json()["id"]
    services.session_set_phase(session=room, phase=Phase.CHALLENGE_VOTING, actor=None)
    url = f"/api/v1/sessions/{room.join_code}/votes"
    first = client.post(url, {"item": item, "points": 1}, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    again = client.post(url, {"item": item, "points": 1}, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    version = type(room).objects.get(pk=room.pk).version
    assert first.status_code == 201 and first.json() == {"item": item, "points": 1, "changed": True, "version": version}
    assert again.status_code == 200 and again.json() == {"item": item, "points": 1, "changed": False, "version": None}
    assert Ballot.objects.filter(item_id=item).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_retries_of_one_submission_create_one_item(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Fes youth priorities", created_by=facilitator, participants_may_be_minors=False
    )
    room = services.session_create(consultation=consultation, title="Session 1", created_by=facilitator)
    services.session_set_phase(session=room, phase=Phase.CHALLENGES, actor=None)
    participants = [_join(room) for _ in range(5)]
    answers: list[tuple[int, int, int]] = []
    barrier = threading.Barrier(20)

    def retry(participant, n):
        try:
            client = _client(participant)
            barrier.wait(timeout=30)
            response = _submit(client, room, f"Not enough places to study, says {participant.pk}", key=f"key-{n}")
            answers.append((participant.pk, response.status_code, response.json().get("id")))
        finally:
            connection.close()

    # Each of 5 participants sends the same submission 4 times at once, all with one key per participant.
    threads = [threading.Thread(target=retry, args=(p, i)) for i, p in enumerate(participants) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == 20 and {status for _, status, _ in answers} == {201}
    for participant in participants:
        ids = {item_id for pk, _, item_id in answers if pk == participant.pk}
        assert len(ids) == 1
        assert Item.objects.filter(author=participant).count() == 1
