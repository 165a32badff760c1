"""Live sockets are capped per participant and per client address (consultations/live/sockets.py, docs/realtime.md).

Before, 12,000 sockets opened with one token from one address were all accepted and held. Now a process holds at
most MAJLIS_SOCKET_LIMITS["per_participant"] authenticated sockets of one participant and ["per_address"] sockets
of one address; more are closed with 4429, and every count is given back when its socket closes.
"""

import asyncio
import gc
import json
import threading

import pytest
import websockets
from channels.testing.websocket import WebsocketCommunicator

from config.asgi import application
from consultations import services
from consultations.live.hub import hub
from consultations.live.sockets import CLOSE_TOO_MANY, SessionSocket, open_sockets
from consultations.tokens import participant_claims, participant_token
from tests.live_server import uvicorn_in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@pytest.fixture
def live(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Caps", created_by=facilitator, participants_may_be_minors=False
    )
    session = services.session_create(consultation=consultation, title="Caps", created_by=facilitator)
    participant = services.participant_join(code=session.join_code, consent=True)
    other = services.participant_join(code=session.join_code, consent=True)
    return session, participant_token(participant), participant_token(other)


async def _open(session, address: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/sessions/{session.join_code}/", headers=[ORIGIN])
    communicator.scope["client"] = (address, 50000)  # as the server reports the peer
    connected, _ = await communicator.connect()
    assert connected  # accepted, so that a refusal can say why with its close code
    return communicator


async def _hello(communicator, token: str) -> dict:
    """The first message after a hello: a state, or the close that refused it."""
    await communicator.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    output = await communicator.receive_output(timeout=5)
    if output["type"] == "websocket.send":
        return json.loads(output["text"])
    return output


def _nothing_held(session_id: int) -> bool:
    return not open_sockets.by_address and not open_sockets.by_participant and not hub.screens.get(session_id)


@pytest.mark.asyncio
async def test_one_participant_gets_a_few_sockets_and_the_rest_are_closed_with_4429(live, settings):
    session, token, other_token = live
    settings.MAJLIS_SOCKET_LIMITS = {"per_address": 100, "per_participant": 3}
    try:
        sockets = [await _open(session, "203.0.113.5") for _ in range(6)]
        answers = [await _hello(ws, token) for ws in sockets]
        assert [a["type"] for a in answers[:3]] == ["state"] * 3
        assert answers[3:] == [{"type": "websocket.close", "code": CLOSE_TOO_MANY}] * 3
        assert open_sockets.by_participant == {(session.pk, participant_claims(token)[0]): 3}
        # Another participant of the same address is not affected.
        other = await _open(session, "203.0.113.5")
        assert (await _hello(other, other_token))["type"] == "state"
        # A socket closed gives its place back.
        await sockets[0].disconnect()
        again = await _open(session, "203.0.113.5")
        assert (await _hello(again, token))["type"] == "state"
        for ws in [*sockets[1:3], other, again]:
            await ws.disconnect()
        await asyncio.sleep(0.05)
        assert _nothing_held(session.pk)
    finally:
        await hub.stop()


@pytest.mark.asyncio
async def test_one_address_gets_a_bounded_number_of_sockets_and_others_are_unaffected(live, settings):
    session, token, _ = live
    settings.MAJLIS_SOCKET_LIMITS = {"per_address": 4, "per_participant": 100}
    try:
        # Sockets that never authenticate count too: they are what a flood holds open.
        held = [await _open(session, "203.0.113.5") for _ in range(4)]
        refused = await _open(session, "203.0.113.5")
        assert await refused.receive_output(timeout=5) == {"type": "websocket.close", "code": CLOSE_TOO_MANY}
        elsewhere = await _open(session, "198.51.100.7")
        assert (await _hello(elsewhere, token))["type"] == "state"
        assert open_sockets.by_address == {"203.0.113.5": 4, "198.51.100.7": 1}
        await held[0].disconnect()
        await asyncio.sleep(0.05)
        assert (await _hello(await _open(session, "203.0.113.5"), token))["type"] == "state"
    finally:
        await hub.stop()


# --- through a real server: the flood of the finding, on one token from one address ------------------------


@pytest.fixture
def server():
    """uvicorn in a thread of this process (it shares the test database), websockets-sansio as in production."""
    yield from uvicorn_in_thread()


async def _flood(url: str, token: str, count: int) -> tuple[int, list[int]]:
    """Open count sockets with one token from one address; (how many got a state, the others' close codes)."""

    async def one():
        ws = await websockets.connect(url, origin="http://127.0.0.1:8000", open_timeout=20)
        await ws.send(json.dumps({"type": "hello", "token": token}))
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return ws, message["type"]
        except websockets.ConnectionClosed as closed:
            return ws, closed.rcvd.code

    results = await asyncio.gather(*(one() for _ in range(count)))
    states = sum(1 for _, answer in results if answer == "state")
    codes = sorted(answer for _, answer in results if answer != "state")
    await asyncio.gather(*(ws.close() for ws, _ in results))
    return states, codes


def _in_thread(coroutine):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", asyncio.run(coroutine)))
    thread.start()
    thread.join(120)
    return result["value"]


def test_a_flood_on_one_token_holds_five_sockets_and_gives_everything_back(live, server):
    session, token, _ = live
    states, codes = _in_thread(_flood(f"{server}/ws/sessions/{session.join_code}/", token, 200))
    assert states == 5  # the default per participant
    assert codes == [CLOSE_TOO_MANY] * 195
    for _ in range(100):  # the server notices the closes
        if _nothing_held(session.pk):
            break
        threading.Event().wait(0.05)
    assert _nothing_held(session.pk)
    gc.collect()
    # type(), not isinstance(): gc.get_objects() may hold dead weak proxies, which isinstance() trips over.
    assert not [obj for obj in gc.get_objects() if type(obj) is SessionSocket and obj.session_id == session.pk]
