"""The vote fast path answers exactly like the DRF views it shadows (docs/api.md is the contract)."""

import json
import re

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing.http import HttpCommunicator
from django.core.cache import cache
from rest_framework.test import APIClient

from config.asgi import application
from consultations import services
from consultations.live.hub import hub
from consultations.models import Ballot
from consultations.tokens import participant_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest_asyncio.fixture(autouse=True)
async def fresh_hub():
    """Requests through the full application start the process's hub on this test's loop: stop it on the same
    loop (with Redis, its receive task would otherwise outlive the loop's teardown)."""
    yield
    await hub.stop()


@pytest.fixture(params=[True, False], ids=["group-commit", "direct"])
def box(request, settings):
    settings.MAJLIS_BALLOT_GROUP_COMMIT = request.param
    settings.MAJLIS_VOTE_FAST_PATH = True


@database_sync_to_async
def _world(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Fast", created_by=facilitator, participants_may_be_minors=False
    )
    session = services.session_create(consultation=consultation, title="Fast", created_by=facilitator)
    author = services.participant_join(code=session.join_code, consent=True)
    services.session_set_phase(session=session, phase="challenges", actor=facilitator)
    item = services.item_submit(participant=author, kind="challenge", text="Fast item")
    services.session_set_phase(session=session, phase="challenge_voting", actor=facilitator)
    other = services.session_create(consultation=consultation, title="Other", created_by=facilitator)
    stranger = services.participant_join(code=other.join_code, consent=True)
    return session, item, stranger


@database_sync_to_async
def _join(session):
    return participant_token(services.participant_join(code=session.join_code, consent=True))


async def _asgi(method, path, token=None, body=None, language="en"):
    headers = [(b"host", b"testserver"), (b"accept-language", language.encode())]
    if token:
        headers.append((b"authorization", token.encode()))
    raw = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else (body or b"")
    if raw:
        headers.append((b"content-type", b"application/json"))
    communicator = HttpCommunicator(application, method, path, body=raw, headers=headers)
    response = await communicator.get_response()
    await communicator.wait()  # let Django finish the request (request_finished closes its database connection)
    return response["status"], json.loads(response["body"] or b"null")


@database_sync_to_async
def _drf(method, path, token=None, body=None, language="en"):
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=token)
    call = getattr(client, method.lower())
    kwargs = {"HTTP_ACCEPT_LANGUAGE": language}
    if isinstance(body, bytes):
        response = call(path, body, content_type="application/json", **kwargs)
    else:
        response = call(path, body, format="json", **kwargs) if body is not None else call(path, **kwargs)
    return response.status_code, response.json()


@database_sync_to_async
def _version(session):
    return type(session).objects.get(pk=session.pk).version


@database_sync_to_async
def _ballots(item):
    return list(Ballot.objects.filter(item=item).values_list("participant_id", "points"))


async def test_votes_through_the_fast_path_follow_the_contract(box, city_a, facilitator):
    session, item, _ = await _world(city_a, facilitator)
    token = f"Participant {await _join(session)}"
    url = f"/api/v1/sessions/{session.join_code}/votes"
    status, body = await _asgi("POST", url, token, {"item": item.pk})
    version = await _version(session)  # the vote's commit raised it: the answer gives that version
    assert (status, body) == (201, {"item": item.pk, "points": 1, "changed": True, "version": version})
    assert await _asgi("POST", url, token, {"item": item.pk, "points": 1}) == (
        200,
        {"item": item.pk, "points": 1, "changed": False, "version": None},
    )
    assert len(await _ballots(item)) == 1
    assert await _asgi("DELETE", f"{url}/{item.pk}", token) == (200, {"item": item.pk, "withdrawn": True})
    assert await _ballots(item) == []


async def test_fast_path_and_drf_view_give_the_same_answers(box, city_a, facilitator):
    session, item, stranger = await _world(city_a, facilitator)
    url = f"/api/v1/sessions/{session.join_code}/votes"
    stranger_token = f"Participant {participant_token(stranger)}"
    cases = [
        ("no credentials", None, {"item": item.pk}, "en"),
        ("forged token", "Participant forged", {"item": item.pk}, "en"),
        ("other session", stranger_token, {"item": item.pk}, "en"),
        ("unknown item", "JOIN", {"item": 999999}, "en"),
        ("item not integer", "JOIN", {"item": "x"}, "en"),
        ("item missing", "JOIN", {"points": 1}, "fr"),
        ("item null", "JOIN", {"item": None}, "en"),
        ("too many points", "JOIN", {"item": item.pk, "points": 3}, "ar"),
    ]
    for name, token, body, language in cases:
        if token == "JOIN":
            token = f"Participant {await _join(session)}"
        fast = await _asgi("POST", url, token, body, language)
        drf = await _drf("POST", url, token, body, language)
        assert fast[0] == drf[0], name
        assert fast[1].get("code") == drf[1].get("code"), name
        assert fast[1]["detail"] == drf[1]["detail"], name
    assert await _ballots(item) == []
    missing = "/api/v1/sessions/AAAAAA/votes"
    token = f"Participant {await _join(session)}"
    assert (await _asgi("POST", missing, token, {"item": item.pk}))[0] == (
        await _drf("POST", missing, token, {"item": item.pk})
    )[0]


async def test_votes_without_a_participant_token_are_answered_by_django(box, city_a, facilitator, charlie):
    """A staff token or no credentials at all: not the fast path's business; Django answers as for every
    participant operation (staff of another city: 404, as in tests/hardening/test_refusals.py)."""
    from cities.services import api_token_issue

    session, item, _ = await _world(city_a, facilitator)
    url = f"/api/v1/sessions/{session.join_code}/votes"
    _row, key = await database_sync_to_async(api_token_issue)(user=charlie, name="test")
    for token in (None, f"Token {key}"):
        fast = await _asgi("POST", url, token, {"item": item.pk})
        drf = await _drf("POST", url, token, {"item": item.pk})
        assert fast == drf, token
        assert fast[0] == (401 if token is None else 404)
    assert await _ballots(item) == []


async def test_malformed_json_is_a_400(box, city_a, facilitator):
    session, item, _ = await _world(city_a, facilitator)
    token = f"Participant {await _join(session)}"
    status, body = await _asgi("POST", f"/api/v1/sessions/{session.join_code}/votes", token, b"{not json")
    assert status == 400 and body["detail"]
    assert await _ballots(item) == []


async def test_other_paths_still_go_through_django(box, city_a, facilitator):
    session, _, _ = await _world(city_a, facilitator)
    token = f"Participant {await _join(session)}"
    status, body = await _asgi("GET", f"/api/v1/sessions/{session.join_code}/state", token)
    assert status == 200 and body["phase"] == "challenge_voting"


async def test_the_fast_path_applies_the_vote_rate_limits_like_the_view(box, settings, city_a, facilitator):
    settings.MAJLIS_RATE_LIMITS_ENABLED = True
    settings.MAJLIS_RATE_LIMITS = {**settings.MAJLIS_RATE_LIMITS, "vote_participant": "2/h"}
    await database_sync_to_async(cache.clear)()  # counters of earlier tests' participants (ids are reused)
    session, item, _ = await _world(city_a, facilitator)
    url = f"/api/v1/sessions/{session.join_code}/votes"
    fast_token, drf_token = f"Participant {await _join(session)}", f"Participant {await _join(session)}"
    for _ in range(2):
        assert (await _asgi("POST", url, fast_token, {"item": item.pk}))[0] in (200, 201)
        assert (await _drf("POST", url, drf_token, {"item": item.pk}))[0] in (200, 201)
    communicator = HttpCommunicator(
        application,
        "POST",
        url,
        body=json.dumps({"item": item.pk, "points": 0}).encode(),
        headers=[
            (b"host", b"testserver"),
            (b"accept-language", b"fr"),
            (b"authorization", fast_token.encode()),
            (b"content-type", b"application/json"),
        ],
    )
    response = await communicator.get_response()
    await communicator.wait()
    drf = await _drf("POST", url, drf_token, {"item": item.pk, "points": 0}, "fr")
    assert response["status"] == drf[0] == 429
    fast = json.loads(response["body"])
    # The same answer, but for the seconds left in the window: a second may tick between the two requests.
    seconds = [int(re.search(r"\d+", body["detail"])[0]) for body in (fast, drf[1])]
    assert abs(seconds[0] - seconds[1]) <= 1
    assert re.sub(r"\d+", "N", fast["detail"]) == re.sub(r"\d+", "N", drf[1]["detail"])
    assert fast["code"] == drf[1]["code"] == "rate_limited" and "Too many" not in drf[1]["detail"]  # in French
    assert int(dict(response["headers"])[b"retry-after"]) >= 1
    assert len(await _ballots(item)) == 2  # the refused withdrawals changed nothing


async def _asgi_raw(method, path, body: bytes, headers: list[tuple[bytes, bytes]]):
    headers = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()), *headers]
    communicator = HttpCommunicator(application, method, path, body=body, headers=headers)
    response = await communicator.get_response()
    await communicator.wait()
    return response["status"], json.loads(response["body"] or b"null"), dict(response["headers"])


@database_sync_to_async
def _participants(session):
    return session.participants.count()


async def test_joins_through_the_fast_path_answer_like_the_view(box, city_a, facilitator):
    session, _, _ = await _world(city_a, facilitator)
    url = f"/api/v1/sessions/{session.join_code}/join"
    cases = [
        ("consent refused", {"consent": False}, "en"),
        ("consent missing", {}, "fr"),
        ("unknown age band", {"consent": True, "age_band": "ancient"}, "ar"),
        ("not a dictionary", [1, 2], "en"),
        ("unknown district", {"consent": True, "district": "999999"}, "en"),
    ]
    for name, body, language in cases:
        fast = await _asgi("POST", url, None, body, language)
        drf = await _drf("POST", url, None, body, language)
        assert fast == drf, name
    assert (await _asgi("POST", "/api/v1/sessions/AAAAAA/join", None, {"consent": True})) == (
        await _drf("POST", "/api/v1/sessions/AAAAAA/join", None, {"consent": True})
    )
    before = await _participants(session)
    status, body = await _asgi("POST", url, None, {"consent": True, "gender": "female"})
    drf_status, drf_body = await _drf("POST", url, None, {"consent": True, "gender": "female"})
    assert status == drf_status == 201
    assert body.keys() == drf_body.keys() and body["session"] == drf_body["session"]
    assert body["state_url"] == drf_body["state_url"] and body["websocket_url"] == drf_body["websocket_url"]
    assert await _participants(session) == before + 2
    # The token works: it votes.
    assert (await _asgi("GET", f"/api/v1/sessions/{session.join_code}/state", f"Participant {body['token']}"))[0] == 200


async def test_browsers_and_forms_still_join_through_django(box, city_a, facilitator):
    session, _, _ = await _world(city_a, facilitator)
    url = f"/api/v1/sessions/{session.join_code}/join"
    status, body, _ = await _asgi_raw("POST", url, b"{not json", [(b"content-type", b"application/json")])
    assert status == 400 and body["detail"]  # the fast path's own parse error
    status, body, _ = await _asgi_raw(
        "POST", url, b"consent=true", [(b"content-type", b"application/x-www-form-urlencoded")]
    )
    assert status == 415 and body["code"] == "json_required"  # a form goes through DRF, which refuses it
    status, _, headers = await _asgi_raw(
        "POST", url, b'{"consent": true}', [(b"content-type", b"application/json"), (b"cookie", b"sessionid=x")]
    )
    assert status == 201 and b"X-Frame-Options" in headers  # with a cookie: Django's middleware answered


async def test_the_fast_path_applies_the_join_rate_limit(box, settings, city_a, facilitator):
    settings.MAJLIS_RATE_LIMITS_ENABLED = True
    settings.MAJLIS_RATE_LIMITS = {**settings.MAJLIS_RATE_LIMITS, "join_address": "2/h"}
    await database_sync_to_async(cache.clear)()
    session, _, _ = await _world(city_a, facilitator)
    url = f"/api/v1/sessions/{session.join_code}/join"
    for _ in range(2):
        assert (await _asgi("POST", url, None, {"consent": True}))[0] == 201
    status, body, headers = await _asgi_raw("POST", url, b'{"consent": true}', [(b"content-type", b"application/json")])
    assert status == 429 and body["code"] == "rate_limited" and int(headers[b"retry-after"]) >= 1


async def test_requests_the_view_would_refuse_are_counted_first_as_the_view_counts_them(
    box, settings, city_a, facilitator
):
    """DRF counts a request against the limits before the view refuses it: over the limit, a malformed vote, a vote
    on another session's code or an invalid join gets 429 from both, not 400, 403 or 404."""
    settings.MAJLIS_RATE_LIMITS_ENABLED = True
    settings.MAJLIS_RATE_LIMITS = {**settings.MAJLIS_RATE_LIMITS, "vote_participant": "1/h", "join_address": "1/h"}
    await database_sync_to_async(cache.clear)()
    session, item, stranger = await _world(city_a, facilitator)
    votes = f"/api/v1/sessions/{session.join_code}/votes"
    fast, slow = f"Participant {await _join(session)}", f"Participant {await _join(session)}"
    assert (
        (await _asgi("POST", votes, fast, {"item": item.pk}))[0]
        == (await _drf("POST", votes, slow, {"item": item.pk}))[0]
        == 201
    )
    elsewhere = f"/api/v1/sessions/{await _other_code(stranger)}/votes"
    for path, body in [
        (votes, b"{not json"),
        (votes, {"item": "x"}),
        (elsewhere, {"item": item.pk}),
        ("/api/v1/sessions/NOSUCH/votes", {"item": item.pk}),
    ]:
        assert (await _asgi("POST", path, fast, body))[0] == (await _drf("POST", path, slow, body))[0] == 429, path
    joins = f"/api/v1/sessions/{session.join_code}/join"
    assert (await _asgi("POST", joins, None, {"consent": True}))[0] == 201  # the address's one join this hour
    status, body, _headers = await _asgi_raw(
        "POST", joins, b'{"consent": false}', [(b"content-type", b"application/json")]
    )
    assert status == 429 and body["code"] == "rate_limited"  # not the 400 of a join without consent
    assert len(await _ballots(item)) == 2


@database_sync_to_async
def _other_code(participant):
    return participant.session.join_code


async def test_every_door_counts_its_requests_in_the_writer_only(settings, city_a, facilitator, monkeypatch):
    """The fast path and the API's views reach the rate limits by one road: the writer's thread counts them, for a
    valid request and for one refused before it reaches a service (a malformed body) alike."""
    import threading

    from consultations.live import limits

    settings.MAJLIS_BALLOT_GROUP_COMMIT = settings.MAJLIS_VOTE_FAST_PATH = settings.MAJLIS_RATE_LIMITS_ENABLED = True
    await database_sync_to_async(cache.clear)()
    session, item, _ = await _world(city_a, facilitator)
    counted = []
    hit_many = limits.hit_many

    def counting(requests, **kwargs):
        counted.append((threading.current_thread().name, [limit for hits in requests for limit, _ident in hits]))
        return hit_many(requests, **kwargs)

    monkeypatch.setattr(limits, "hit_many", counting)
    token = f"Participant {await _join(session)}"
    votes = f"/api/v1/sessions/{session.join_code}/votes"
    assert (await _asgi("POST", votes, token, {"item": item.pk}))[0] == 201
    assert (await _asgi("POST", votes, token, b"{not json"))[0] == 400
    assert (await _drf("DELETE", f"{votes}/{item.pk}", token))[0] == 200
    assert (await _asgi("POST", f"/api/v1/sessions/{session.join_code}/join", None, {"consent": True}))[0] == 201
    assert {thread for thread, _limits in counted} == {"majlis-ballot-box"}
    assert sorted(limit for _thread, group in counted for limit in group) == sorted(
        ["vote_participant", "vote_session"] * 3 + ["join_address", "join_session"]
    )


async def test_the_fast_path_refuses_another_site_s_origin_as_the_view_does(box, city_a, facilitator):
    session, _, _ = await _world(city_a, facilitator)
    url = f"/api/v1/sessions/{session.join_code}/join"
    before = await _participants(session)
    evil = [(b"content-type", b"application/json"), (b"origin", b"https://evil.example")]
    status, body, _ = await _asgi_raw("POST", url, b'{"consent": true}', evil)
    drf_status, drf_body = await database_sync_to_async(
        lambda: (lambda r: (r.status_code, r.json()))(
            APIClient().post(url, {"consent": True}, format="json", HTTP_ORIGIN="https://evil.example")
        )
    )()
    assert (status, body) == (drf_status, drf_body) == (403, body) and body["code"] == "cross_site"
    same = [(b"content-type", b"application/json"), (b"origin", b"http://testserver")]
    assert (await _asgi_raw("POST", url, b'{"consent": true}', same))[0] == 201
    assert await _participants(session) == before + 1


async def test_the_fast_path_resumes_a_device_s_participant_as_the_view_does(box, city_a, facilitator):
    session, _, _ = await _world(city_a, facilitator)
    url = f"/api/v1/sessions/{session.join_code}/join"
    before = await _participants(session)
    status, first = await _asgi("POST", url, None, {"consent": True, "device": "phone-7"})
    again_status, again = await _asgi("POST", url, None, {"consent": True, "device": "phone-7"})
    drf_status, drf = await _drf("POST", url, None, {"consent": True, "device": "phone-7"})
    assert status == again_status == drf_status == 201
    assert first["participant"] == again["participant"] == drf["participant"]
    assert (first["resumed"], again["resumed"], drf["resumed"]) == (False, True, True)
    assert await _participants(session) == before + 1
