"""Every refusal a phone can meet is worded in the phone's language, at every door.

The one road (consultations/live/ingest.py) words a refusal in the language active where its answer is built, also
when the writer refused it in its own thread. So: every refusal of join, submit, vote and withdraw, taken through the
road in English, Arabic and French, reads differently in each (a message missing from a catalogue, or worded before
the request's language was active, reads in English). Then each door (the ASGI fast path, the API's views, the pages)
is checked to hand the road the phone's language, whether the phone says it by its language cookie (the page's
language, chosen with ?lang= or the language switcher) or only by its browser's Accept-Language.
"""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing.http import HttpCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from rest_framework.test import APIClient

from consultations import services
from consultations.live import ingest, limits
from consultations.live.hub import hub
from consultations.models import Ballot, VotingMethod
from consultations.tokens import browser_remember, participant_token

from .conftest import Phase, join, to_phase

pytestmark = pytest.mark.django_db(transaction=True)

COOKIE = settings.LANGUAGE_COOKIE_NAME
PHONES = ["ar", "fr"]


@pytest.fixture
def room(live_session):
    """A dot-voting session (5 points, at most 3 on one item) with two approved challenges, a participant who has
    put 3 points on the first, and a participant of another session."""
    session = live_session
    session.challenge_voting_method = VotingMethod.DOT
    session.dot_points, session.dot_max_per_item = 5, 3
    session.save(update_fields=["challenge_voting_method", "dot_points", "dot_max_per_item"])
    author = join(session)
    to_phase(session, Phase.CHALLENGES)
    first = services.item_submit(participant=author, kind="challenge", text="Buses stop at eight")
    second = services.item_submit(participant=author, kind="challenge", text="No study rooms open at night")
    to_phase(session, Phase.CHALLENGE_VOTING)
    voter = join(session)
    services.vote_cast(participant=voter, item_id=first.pk, points=3)
    other = services.session_create(
        consultation=session.consultation, title="Other", created_by=session.consultation.created_by
    )
    stranger = join(other)
    return {"session": session, "first": first, "second": second, "voter": voter, "stranger": stranger}


def _as(participant, code=None) -> ingest.Caller:
    return ingest.Caller(
        code=code or participant.session.join_code, participant=(participant.pk, participant.session_id)
    )


# (name, phase the session must be in, operation, caller, data) for every refusal of the four operations.
def _cases(room) -> list:
    session, voter, first, second = room["session"], room["voter"], room["first"], room["second"]
    code = session.join_code
    voting, collecting = Phase.CHALLENGE_VOTING, Phase.CHALLENGES
    api_join = ingest.JoinHeaders(content_type="application/json", origin=None, scheme="http", host="testserver")
    return [
        ("vote: no credentials", voting, ingest.VOTE, ingest.Caller(code=code), {"item": first.pk}),
        ("vote: another session's token", voting, ingest.VOTE, _as(room["stranger"], code), {"item": first.pk}),
        ("vote: unknown session", voting, ingest.VOTE, _as(voter, "ZZZZZZ"), {"item": first.pk}),
        ("vote: unknown item", voting, ingest.VOTE, _as(voter), {"item": 999999}),
        ("vote: item not a number", voting, ingest.VOTE, _as(voter), {"item": "x"}),
        ("vote: item missing", voting, ingest.VOTE, _as(voter), {"points": 1}),
        ("vote: points not a number", voting, ingest.VOTE, _as(voter), {"item": first.pk, "points": "¹"}),
        ("vote: too many on one item", voting, ingest.VOTE, _as(voter), {"item": second.pk, "points": 4}),
        ("vote: more than the points left", voting, ingest.VOTE, _as(voter), {"item": second.pk, "points": 3}),
        ("vote: no point", voting, ingest.VOTE, _as(voter), {"item": second.pk, "points": 0}),
        ("vote: malformed JSON", voting, ingest.VOTE, _as(voter), b"{not json"),
        ("vote: not an object", voting, ingest.VOTE, _as(voter), b"[1]"),
        ("vote: too large", voting, ingest.VOTE, _as(voter), b"{" + b" " * (ingest.MAX_BODY + 1) + b"}"),
        ("vote: not in a voting phase", collecting, ingest.VOTE, _as(voter), {"item": first.pk}),
        ("withdraw: unknown item", voting, ingest.WITHDRAW, _as(voter), {"item": 999999}),
        ("withdraw: not in a voting phase", collecting, ingest.WITHDRAW, _as(voter), {"item": first.pk}),
        ("withdraw: no credentials", voting, ingest.WITHDRAW, ingest.Caller(code=code), {"item": first.pk}),
        ("submit: not collecting", voting, ingest.SUBMIT, _as(voter), {"kind": "challenge", "text": "Too late now"}),
        ("submit: too short", collecting, ingest.SUBMIT, _as(voter), {"kind": "challenge", "text": "ab"}),
        ("submit: too long", collecting, ingest.SUBMIT, _as(voter), {"kind": "challenge", "text": "a" * 501}),
        ("submit: unknown kind", collecting, ingest.SUBMIT, _as(voter), {"kind": "poem", "text": "A kind unknown"}),
        ("submit: text missing", collecting, ingest.SUBMIT, _as(voter), {"kind": "challenge"}),
        (
            "submit: unknown theme",
            collecting,
            ingest.SUBMIT,
            _as(voter),
            {"kind": "challenge", "text": "Abc", "theme": 999999},
        ),
        (
            "submit: no credentials",
            collecting,
            ingest.SUBMIT,
            ingest.Caller(code=code),
            {"kind": "challenge", "text": "Abc"},
        ),
        ("join: unknown session", voting, ingest.JOIN, ingest.Caller(code="ZZZZZZ"), {"consent": True}),
        ("join: no consent", voting, ingest.JOIN, ingest.Caller(code=code), {"consent": False}),
        ("join: consent missing", voting, ingest.JOIN, ingest.Caller(code=code), {}),
        ("join: not an answer", voting, ingest.JOIN, ingest.Caller(code=code), {"consent": True, "age_band": "x"}),
        (
            "join: not JSON",
            voting,
            ingest.JOIN,
            ingest.Caller(code=code, join_headers=ingest.JoinHeaders("text/plain", None, "http", "testserver")),
            {"consent": True},
        ),
        (
            "join: another site",
            voting,
            ingest.JOIN,
            ingest.Caller(
                code=code,
                join_headers=ingest.JoinHeaders("application/json", "https://evil.example", "http", "testserver"),
            ),
            {"consent": True},
        ),
        ("join: from the API, well formed", voting, ingest.JOIN, ingest.Caller(code=code, join_headers=api_join), None),
    ]


def _answer(language: str, operation, caller, data) -> ingest.Answer:
    with translation.override(language):
        answer = ingest.perform(operation, caller, data)
        return answer, json.dumps(answer.body, ensure_ascii=False)


@pytest.mark.parametrize("group_commit", [True, False], ids=["group-commit", "direct"])
def test_every_refusal_of_the_road_is_worded_in_arabic_and_french(room, settings, group_commit):
    settings.MAJLIS_BALLOT_GROUP_COMMIT = group_commit
    session = room["session"]
    refused = 0
    for name, phase, operation, caller, data in _cases(room):
        if data is None:
            continue  # a well-formed join: not a refusal
        if session.phase != phase:
            to_phase(session, phase)
            session.refresh_from_db()
        english, _ = _answer("en", operation, caller, data)
        assert not english.ok, name
        for language in PHONES:
            answer, _ = _answer(language, operation, caller, data)
            assert answer.status == english.status, name
            assert answer.body["detail"] != english.body["detail"], (name, language, answer.body["detail"])
            for field, messages in answer.body.get("errors", {}).items():
                assert messages != english.body["errors"][field], (name, language, field)
        refused += 1
    assert refused == 30
    assert Ballot.objects.filter(participant=room["voter"]).count() == 1  # nothing was cast by the refusals


@pytest.mark.parametrize("language", PHONES)
def test_a_rate_limit_is_worded_in_the_phone_s_language(language):
    english = ingest.refusal(limits.RateLimited(limit="vote_participant", retry_after=7))
    with translation.override(language):
        answer = ingest.refusal(limits.RateLimited(limit="vote_participant", retry_after=7))
        body = dict(answer.body)
    assert answer.status == 429 and answer.headers == {"Retry-After": "7"}
    assert body["detail"] != english.body["detail"] and "7" in body["detail"]


# --- The doors: each reads the phone's language from its cookie, else from Accept-Language ------------------------


def _expected(language: str, msgid: str, **params) -> str:
    with translation.override(language):
        return translation.gettext(msgid) % params if params else translation.gettext(msgid)


OVER = "At most %(n)d points can go to one item."


def _api(language: str, how: str) -> APIClient:
    if how == "cookie":  # the page's language; the browser itself asks for English
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.cookies[COOKIE] = language
        return client
    return APIClient(HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize("how", ["cookie", "accept-language"])
@pytest.mark.parametrize("language", PHONES)
def test_the_api_views_answer_in_the_phone_s_language(room, language, how):
    session, voter, second = room["session"], room["voter"], room["second"]
    client = _api(language, how)
    client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(voter)}")
    base = f"/api/v1/sessions/{session.join_code}"
    vote = client.post(f"{base}/votes", {"item": second.pk, "points": 4}, format="json")
    assert vote.json()["detail"] == _expected(language, OVER, n=3)
    withdraw = client.delete(f"{base}/votes/999999")
    assert withdraw.json()["detail"] == _expected(language, "This item does not exist in this session.")
    submit = client.post(f"{base}/items", {"kind": "challenge", "text": "Too late"}, format="json")
    assert submit.json()["detail"] == _expected(language, "The session is not collecting this kind of submission now.")
    anonymous = _api(language, how)
    joined = anonymous.post(f"{base}/join", {"consent": False}, format="json")
    assert joined.status_code == 400
    assert joined.json()["detail"] == _expected(language, "Please accept the terms of participation to join.")
    nobody = anonymous.get(f"{base}/me")
    with translation.override(language):
        from rest_framework.exceptions import NotAuthenticated

        assert nobody.json()["detail"] == str(NotAuthenticated.default_detail)


def _browser(participant, language: str, how: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en" if how == "cookie" else language)
    if how == "cookie":
        client.cookies[COOKIE] = language
    if participant is not None:
        store = client.session
        browser_remember(store, participant)
        store.save()
    return client


@pytest.mark.parametrize("how", ["cookie", "accept-language"])
@pytest.mark.parametrize("language", PHONES)
def test_the_pages_answer_in_the_phone_s_language(room, language, how):
    session, voter, second = room["session"], room["voter"], room["second"]
    client = _browser(voter, language, how)
    code = session.join_code
    page = client.post(reverse("frontend:participant_vote", args=[code]), {"item": second.pk, "points": 4}, follow=True)
    assert escape(_expected(language, OVER, n=3)) in page.content.decode()
    page = client.post(
        reverse("frontend:participant_vote", args=[code]), {"item": 999999, "withdraw": "1"}, follow=True
    )
    assert escape(_expected(language, "This item does not exist in this session.")) in page.content.decode()
    to_phase(session, Phase.CHALLENGES)
    page = client.post(reverse("frontend:participant_submit", args=[code]), {"kind": "challenge", "text": "ab"})
    assert page.status_code == 400
    too_short = _expected(language, "Please write a little more (at least %(n)d characters).", n=3)
    assert escape(too_short) in page.content.decode()
    page = client.post(reverse("frontend:participant_submit", args=[code]), {"kind": "challenge", "text": "a" * 501})
    assert escape(_expected(language, "Please keep it under %(n)d characters.", n=500)) in page.content.decode()
    page = client.post(reverse("frontend:participant_submit", args=[code]), {"kind": "proposal", "text": "Not now"})
    not_now = _expected(language, "The session is not collecting this kind of submission now.")
    assert escape(not_now) in page.content.decode()
    page = client.post(reverse("frontend:participant_vote", args=[code]), {"item": second.pk}, follow=True)
    assert escape(_expected(language, "Voting on this kind of item is not open now.")) in page.content.decode()
    page = client.post(
        reverse("frontend:participant_vote", args=[code]), {"item": second.pk, "points": "x"}, follow=True
    )
    choose = _expected(language, "Your vote was not sent: please choose a number of points.")
    assert escape(choose) in page.content.decode()
    services.session_set_lock(session=session, locked=True, actor=None)
    refused = _browser(None, language, how).post(reverse("frontend:join", args=[code]), {"consent": "on"})
    text = refused.content.decode()
    assert escape(_expected(language, "This session is not accepting new participants.")) in text


async def _fast(method, path, *, language, how, token=None, body=None):
    headers = [(b"host", b"testserver"), (b"accept-language", (b"en" if how == "cookie" else language.encode()))]
    if how == "cookie":
        headers.append((b"cookie", f"{COOKIE}={language}".encode()))
    if token:
        headers.append((b"authorization", f"Participant {token}".encode()))
    raw = json.dumps(body).encode() if body is not None else b""
    if raw:
        headers.append((b"content-type", b"application/json"))
    from config.asgi import application

    communicator = HttpCommunicator(application, method, path, body=raw, headers=headers)
    response = await communicator.get_response()
    await communicator.wait()
    return response["status"], json.loads(response["body"] or b"null")


@pytest.mark.asyncio
@pytest.mark.parametrize("how", ["cookie", "accept-language"])
@pytest.mark.parametrize("language", PHONES)
async def test_the_fast_path_answers_in_the_phone_s_language(room, settings, language, how):
    settings.MAJLIS_VOTE_FAST_PATH = True
    try:
        session, second = room["session"], room["second"]
        token = await database_sync_to_async(participant_token)(room["voter"])
        base = f"/api/v1/sessions/{session.join_code}"
        status, body = await _fast(
            "POST", f"{base}/votes", language=language, how=how, token=token, body={"item": second.pk, "points": 4}
        )
        assert (status, body["detail"]) == (400, _expected(language, OVER, n=3))
        status, body = await _fast("DELETE", f"{base}/votes/999999", language=language, how=how, token=token)
        assert (status, body["detail"]) == (404, _expected(language, "This item does not exist in this session."))
        if how == "accept-language":  # a join through the fast path carries no cookie (a browser's goes to Django)
            status, body = await _fast("POST", f"{base}/join", language=language, how=how, body={"consent": False})
            assert body["detail"] == _expected(language, "Please accept the terms of participation to join.")
    finally:
        await hub.stop()


def _http_cases(room, token: str, stranger: str) -> list:
    """(name, method, path, token, body, content type) of every refusal the API's doors give a phone in a vote."""
    code, first, second = room["session"].join_code, room["first"], room["second"]
    base = f"/api/v1/sessions/{code}"
    json_type = "application/json"
    return [
        ("vote: no credentials", "POST", f"{base}/votes", None, {"item": first.pk}, json_type),
        ("vote: forged token", "POST", f"{base}/votes", "forged", {"item": first.pk}, json_type),
        ("vote: another session's token", "POST", f"{base}/votes", stranger, {"item": first.pk}, json_type),
        ("vote: unknown session", "POST", "/api/v1/sessions/ZZZZZZ/votes", token, {"item": first.pk}, json_type),
        ("vote: unknown item", "POST", f"{base}/votes", token, {"item": 999999}, json_type),
        ("vote: item not a number", "POST", f"{base}/votes", token, {"item": "x"}, json_type),
        ("vote: item missing", "POST", f"{base}/votes", token, {"points": 1}, json_type),
        ("vote: too many on one item", "POST", f"{base}/votes", token, {"item": second.pk, "points": 4}, json_type),
        ("vote: more than left", "POST", f"{base}/votes", token, {"item": second.pk, "points": 3}, json_type),
        ("vote: no point", "POST", f"{base}/votes", token, {"item": second.pk, "points": 0}, json_type),
        ("vote: malformed JSON", "POST", f"{base}/votes", token, b"{not json", json_type),
        ("vote: not an object", "POST", f"{base}/votes", token, b"[1]", json_type),
        ("vote: too large", "POST", f"{base}/votes", token, b"{" + b" " * 5000 + b"}", json_type),
        ("withdraw: unknown item", "DELETE", f"{base}/votes/999999", token, None, None),
        ("withdraw: no credentials", "DELETE", f"{base}/votes/{first.pk}", None, None, None),
        ("submit: not collecting", "POST", f"{base}/items", token, {"kind": "challenge", "text": "Late"}, json_type),
        ("submit: unknown kind", "POST", f"{base}/items", token, {"kind": "poem", "text": "A poem"}, json_type),
        ("submit: text missing", "POST", f"{base}/items", token, {"kind": "challenge"}, json_type),
        ("submit: no credentials", "POST", f"{base}/items", None, {"kind": "challenge", "text": "Abc"}, json_type),
        ("me: no credentials", "GET", f"{base}/me", None, None, None),
        ("join: no consent", "POST", f"{base}/join", None, {"consent": False}, json_type),
        ("join: consent missing", "POST", f"{base}/join", None, {}, json_type),
        ("join: not an answer", "POST", f"{base}/join", None, {"consent": True, "age_band": "x"}, json_type),
        ("join: unknown session", "POST", "/api/v1/sessions/ZZZZZZ/join", None, {"consent": True}, json_type),
        ("join: not JSON", "POST", f"{base}/join", None, b"consent=1", "application/x-www-form-urlencoded"),
    ]


async def _through_asgi(method, path, *, language, how, token=None, body=None, content_type=None):
    headers = [(b"host", b"testserver"), (b"accept-language", (b"en" if how == "cookie" else language.encode()))]
    if how == "cookie" and language != "en":
        headers.append((b"cookie", f"{COOKIE}={language}".encode()))
    if token:
        headers.append((b"authorization", f"Participant {token}".encode()))
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    if content_type:
        headers.append((b"content-type", content_type.encode()))
    from config.asgi import application

    communicator = HttpCommunicator(application, method, path, body=raw, headers=headers)
    response = await communicator.get_response()
    await communicator.wait()
    return response["status"], json.loads(response["body"] or b"null")


@pytest.mark.asyncio
@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "api-views"])
@pytest.mark.parametrize("how", ["cookie", "accept-language"])
async def test_every_refusal_of_the_api_doors_is_in_the_phone_s_language(room, settings, how, fast_path):
    """Every refusal a phone's script can meet, through the whole ASGI application (the fast path for votes and
    joins, Django and the API's views for the rest, or for everything with the fast path off)."""
    settings.MAJLIS_VOTE_FAST_PATH = fast_path
    try:
        token = await database_sync_to_async(participant_token)(room["voter"])
        stranger = await database_sync_to_async(participant_token)(room["stranger"])
        for name, method, path, who, body, content_type in _http_cases(room, token, stranger):
            request = {"token": who, "body": body, "content_type": content_type}
            english = await _through_asgi(method, path, language="en", how=how, **request)
            assert english[0] >= 400, name
            for language in PHONES:
                status, answer = await _through_asgi(method, path, language=language, how=how, **request)
                assert status == english[0], name
                assert answer["detail"] != english[1]["detail"], (name, language, answer["detail"])
    finally:
        await hub.stop()
    assert await database_sync_to_async(Ballot.objects.filter(participant=room["voter"]).count)() == 1
