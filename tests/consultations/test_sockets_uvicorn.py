"""States written as ready-made frames (sockets.SessionSocket.offer) reach a real client through a real uvicorn
(websockets-sansio, as `manage.py serve` runs it), and a client that stops reading still gets the final state
once it reads again (the frames then wait in its sender task, behind flow control)."""

import asyncio
import json
import threading

import pytest
import websockets
from channels.db import database_sync_to_async

from consultations import services
from consultations.live.sockets import SessionSocket
from consultations.tokens import participant_token
from tests.live_server import uvicorn_in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def live_session(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Frames", created_by=facilitator, participants_may_be_minors=False
    )
    session = services.session_create(consultation=consultation, title="Frames", created_by=facilitator)
    author = services.participant_join(code=session.join_code, consent=True)
    services.session_set_phase(session=session, phase="challenges", actor=facilitator)
    item = services.item_submit(participant=author, kind="challenge", text="Frames")
    services.session_set_phase(session=session, phase="challenge_voting", actor=facilitator)
    services.session_show_results(session=session, visible=True, actor=facilitator)
    return session, item


@pytest.fixture
def server():
    """uvicorn in a thread of this process (it shares the test database), websockets-sansio as in production."""
    yield from uvicorn_in_thread()


def _run(coroutine):
    """A loop of its own, in a thread of its own (Playwright's sync API may hold a loop in this one)."""
    result = {}

    def target():
        result["value"] = asyncio.run(coroutine)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    return result["value"]


async def _state(ws, predicate, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), deadline - asyncio.get_running_loop().time())
        assert isinstance(raw, str)  # a text frame, as browsers' JSON.parse(event.data) needs
        message = json.loads(raw)
        if message["type"] == "state" and predicate(message):
            return message


def test_states_reach_the_screens_as_ready_made_frames(server, live_session):
    session, item = live_session
    voters = [services.participant_join(code=session.join_code, consent=True) for _ in range(3)]
    before = SessionSocket.direct_writes

    async def play():
        url = f"{server}/ws/sessions/{session.join_code}/"
        sockets = [await websockets.connect(url) for _ in voters]
        for ws, voter in zip(sockets, voters, strict=True):
            await ws.send(json.dumps({"type": "hello", "token": participant_token(voter)}))
        firsts = [await _state(ws, lambda m: True) for ws in sockets]
        for voter in voters:
            await database_sync_to_async(services.vote_cast)(participant=voter, item_id=item.pk)
        finals = [await _state(ws, lambda m: m["items"][0]["votes"] == 3) for ws in sockets]
        for ws in sockets:
            await ws.close()
        return firsts, finals

    firsts, finals = _run(play())
    assert all(f["participants"] == 4 for f in firsts)
    assert {f["version"] for f in finals} == {max(f["version"] for f in finals)}  # every screen: the same state
    assert SessionSocket.direct_writes - before >= 2 * len(voters)  # first and final states, each as a frame


def test_a_screen_that_stopped_reading_gets_the_final_state_when_it_reads_again(server, live_session):
    session, item = live_session
    reader_voter = services.participant_join(code=session.join_code, consent=True)
    voters = [services.participant_join(code=session.join_code, consent=True) for _ in range(40)]

    async def play():
        url = f"{server}/ws/sessions/{session.join_code}/"
        ws = await websockets.connect(url, max_queue=1)
        await ws.send(json.dumps({"type": "hello", "token": participant_token(reader_voter)}))
        await _state(ws, lambda m: True)
        # Not reading while the room votes: states pile up in the kernel's buffers, then flow control holds them.
        for voter in voters:
            await database_sync_to_async(services.vote_cast)(participant=voter, item_id=item.pk)
            await asyncio.sleep(0.02)
        final = await _state(ws, lambda m: m["items"][0]["votes"] == len(voters))
        await ws.close()
        return final

    assert _run(play())["items"][0]["votes"] == len(voters)
