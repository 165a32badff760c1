"""The WebSocket channel (consultations/live/sockets.py), with WebsocketCommunicator against the ASGI application."""

import asyncio
import json

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async as sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from config.asgi import application
from consultations import services
from consultations.live.hub import hub
from consultations.tokens import participant_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.slow]

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


@pytest_asyncio.fixture(autouse=True)
async def fresh_hub():
    yield
    await hub.stop()


@sync_to_async
def _setup(facilitator_obj, consultation, results_visible=True, n_items=2):
    session = services.session_create(consultation=consultation, title="Live", created_by=facilitator_obj)
    author = services.participant_join(code=session.join_code, consent=True)
    services.session_set_phase(session=session, phase="challenges", actor=facilitator_obj)
    items = [services.item_submit(participant=author, kind="challenge", text=f"Challenge {i}") for i in range(n_items)]
    services.session_set_phase(session=session, phase="challenge_voting", actor=facilitator_obj)
    services.session_show_results(session=session, visible=results_visible, actor=facilitator_obj)
    session.refresh_from_db()
    return session, items


@sync_to_async
def _join(session):
    p = services.participant_join(code=session.join_code, consent=True)
    return p, participant_token(p)


@sync_to_async
def _vote(participant, item):
    return services.vote_cast(participant=participant, item_id=item.pk)


async def _connect(session, headers=(ORIGIN,)):
    communicator = WebsocketCommunicator(application, f"/ws/sessions/{session.join_code}/", headers=list(headers))
    connected, code = await communicator.connect()
    return communicator, connected, code


async def _until(communicator, predicate, timeout=5.0):
    """Receive messages until one satisfies predicate; returns (that message, how many were received)."""
    count = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = json.loads(await communicator.receive_from(timeout=max(0.05, deadline - loop.time())))
        count += 1
        if predicate(message):
            return message, count


@pytest.fixture
def consultation_obj(city_a, facilitator):
    return services.consultation_create(
        city=city_a, title="C", created_by=facilitator, participants_may_be_minors=False
    )


async def test_client_says_hello_with_token_and_gets_full_state(facilitator, consultation_obj):
    session, items = await _setup(facilitator, consultation_obj)
    _, token = await _join(session)
    ws, connected, _ = await _connect(session)
    assert connected
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    state, _ = await _until(ws, lambda m: m["type"] == "state")
    assert set(state) >= {"type", "version", "phase", "participants", "items"}
    assert state["phase"] == "challenge_voting" and state["participants"] == 2
    assert [i["id"] for i in state["items"]] == [i.pk for i in items]
    await ws.disconnect()


async def test_bad_token_is_closed_with_4401(facilitator, consultation_obj):
    session, _ = await _setup(facilitator, consultation_obj)
    ws, _connected, _ = await _connect(session)
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": "forged"}))
    error = json.loads(await ws.receive_from())
    assert error["type"] == "error" and "version" in error
    assert (await ws.receive_output())["code"] == 4401


async def test_foreign_origin_is_refused(facilitator, consultation_obj):
    session, _ = await _setup(facilitator, consultation_obj)
    _, connected, _ = await _connect(session, headers=[(b"origin", b"https://evil.example.com")])
    assert not connected


async def test_unknown_session_is_refused(db):
    communicator = WebsocketCommunicator(application, "/ws/sessions/AAAAAA/", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_vote_reaches_the_screen_with_a_higher_version(facilitator, consultation_obj):
    session, items = await _setup(facilitator, consultation_obj)
    voter, token = await _join(session)
    ws, _, _ = await _connect(session)
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    first, _ = await _until(ws, lambda m: m["type"] == "state")
    await _vote(voter, items[0])
    updated, _ = await _until(ws, lambda m: m["type"] == "state" and m["items"][0]["votes"] == 1)
    assert updated["version"] > first["version"]
    await ws.disconnect()


async def test_a_burst_of_votes_is_coalesced_and_the_final_state_counts_them_all(facilitator, consultation_obj):
    session, items = await _setup(facilitator, consultation_obj)
    voters = [await _join(session) for _ in range(30)]
    ws, _, _ = await _connect(session)
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": voters[0][1]}))
    await _until(ws, lambda m: m["type"] == "state")
    reads_before = hub.reads
    for participant, _ in voters:
        await _vote(participant, items[1])
    _final, received = await _until(ws, lambda m: m["type"] == "state" and m["items"][1]["votes"] == 30)
    assert received < 30  # coalesced: fewer states than votes
    assert hub.reads - reads_before < 30
    await ws.disconnect()


async def test_oversized_message_closes_the_socket(facilitator, consultation_obj):
    session, _ = await _setup(facilitator, consultation_obj)
    ws, _, _ = await _connect(session)
    await ws.send_to(text_data="x" * 5000)
    assert (await ws.receive_output())["code"] == 1009


async def test_flooding_client_is_cut_off(facilitator, consultation_obj):
    session, _ = await _setup(facilitator, consultation_obj)
    _, token = await _join(session)
    ws, _, _ = await _connect(session)
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    closed = None
    for _ in range(40):
        await ws.send_to(text_data=json.dumps({"type": "ping"}))
    for _ in range(80):
        output = await ws.receive_output(timeout=2)
        if output["type"] == "websocket.close":
            closed = output
            break
    assert closed is not None and closed["code"] == 1008


async def test_staff_browser_is_recognised_by_its_cookie_and_sees_pending_items(facilitator, consultation_obj):
    from django.test import Client

    session, _ = await _setup(facilitator, consultation_obj)

    @sync_to_async
    def login_and_submit():
        client = Client()
        client.force_login(facilitator)
        services.session_configure(session=session, actor=facilitator, premoderation=True)
        services.session_set_phase(session=session, phase="challenges", actor=facilitator)
        author = services.participant_join(code=session.join_code, consent=True)
        services.item_submit(participant=author, kind="challenge", text="Waiting for a facilitator")
        return client.cookies["sessionid"].value

    cookie = await login_and_submit()
    ws, connected, _ = await _connect(session, headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())])
    assert connected
    state, _ = await _until(ws, lambda m: m["type"] == "state")
    assert "pending" in {i["status"] for i in state["items"]}
    assert all(i["votes"] is not None for i in state["items"])
    await ws.disconnect()


async def test_client_without_origin_may_connect_and_authenticate_with_hello(facilitator, consultation_obj):
    session, _ = await _setup(facilitator, consultation_obj)
    _, token = await _join(session)
    ws, connected, _ = await _connect(session, headers=[])
    assert connected
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    state, _ = await _until(ws, lambda m: m["type"] == "state")
    assert state["version"] >= 1
    await ws.disconnect()


async def test_unauthenticated_client_gets_no_state_until_hello(facilitator, consultation_obj):
    session, _ = await _setup(facilitator, consultation_obj)
    ws, connected, _ = await _connect(session, headers=[])
    assert connected
    await ws.send_to(text_data=json.dumps({"type": "ping"}))
    pong = json.loads(await ws.receive_from())
    assert pong == {"type": "pong", "version": 0}
    await ws.disconnect()


async def test_the_first_http_request_starts_the_hub_so_changes_are_coalesced_on_the_loop(db):
    from channels.testing.http import HttpCommunicator

    await hub.stop()
    communicator = HttpCommunicator(application, "GET", "/healthz", headers=[(b"host", b"testserver")])
    response = await communicator.get_response()
    assert response["status"] == 200
    assert hub.loop is asyncio.get_running_loop() and hub.tasks


async def test_a_token_of_another_session_is_refused(facilitator, consultation_obj):
    session, _ = await _setup(facilitator, consultation_obj)
    other, _ = await _setup(facilitator, consultation_obj)
    _, token_elsewhere = await _join(other)  # genuinely signed, but for another session
    ws, connected, _ = await _connect(session)
    assert connected
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token_elsewhere}))
    error = json.loads(await ws.receive_from())
    assert error == {"type": "error", "code": "unauthorised", "version": 0}
    assert (await ws.receive_output())["code"] == 4401


async def test_a_socket_that_never_says_hello_is_closed(facilitator, consultation_obj, monkeypatch):
    from consultations.live import sockets

    monkeypatch.setattr(sockets, "HELLO_TIMEOUT", 0.2)
    session, _ = await _setup(facilitator, consultation_obj)
    ws, connected, _ = await _connect(session)
    assert connected
    assert (await ws.receive_output(timeout=3))["code"] == 4401


async def test_a_browser_that_joined_is_recognised_by_its_cookie(facilitator, consultation_obj):
    from django.test import Client

    session, _ = await _setup(facilitator, consultation_obj, results_visible=False)

    @sync_to_async
    def join_in_the_browser():
        from django.urls import reverse

        client = Client()
        url = reverse("frontend:join", args=[session.join_code])
        response = client.post(url, {"consent": "on"})
        if "step=profile" in response.get("Location", ""):  # the consultation asks optional questions
            response = client.post(url, {"step": "profile"})
        assert response.status_code == 302 and "/s/" in response["Location"]
        return client.cookies["sessionid"].value

    cookie = await join_in_the_browser()
    ws, connected, _ = await _connect(session, headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())])
    assert connected
    state, _ = await _until(ws, lambda m: m["type"] == "state")  # no hello needed
    assert all(i["votes"] is None for i in state["items"])  # the public audience: results hidden
    await ws.disconnect()


async def test_a_code_is_looked_up_once_per_process(facilitator, consultation_obj, monkeypatch):
    from consultations.live import aio

    session, _ = await _setup(facilitator, consultation_obj)
    aio._sessions.pop(session.join_code, None)
    assert await aio.session_for_code(session.join_code) == session.pk
    assert aio._sessions[session.join_code] == session.pk
    monkeypatch.setattr(aio, "session_id_for_code", None)  # a second lookup must not reach the database
    assert await aio.session_for_code(session.join_code) == session.pk
    monkeypatch.undo()
    assert await aio.session_for_code("ZZZZZZ") is None
    assert "ZZZZZZ" not in aio._sessions  # an unknown code is not remembered: it may be created later


async def test_screens_arriving_together_share_one_read(facilitator, consultation_obj, monkeypatch):
    from consultations.live import hub as realtime

    session, _ = await _setup(facilitator, consultation_obj)
    tokens = [(await _join(session))[1] for _ in range(8)]
    await hub.stop()  # no state pushed yet in this process
    reads = []
    read = realtime.read_snapshot

    async def counted(session_id):
        reads.append(session_id)
        return await read(session_id)

    monkeypatch.setattr(realtime, "read_snapshot", counted)
    sockets = [(await _connect(session))[0] for _ in tokens]
    for ws, token in zip(sockets, tokens, strict=True):
        await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    states = [(await _until(ws, lambda m: m["type"] == "state"))[0] for ws in sockets]
    assert {s["participants"] for s in states} == {9}  # every screen has the state with everyone who joined
    assert 1 <= len(reads) < len(sockets)  # read on the hub's tick for all of them, not once each
    for ws in sockets:
        await ws.disconnect()


@sync_to_async
def _delete(session):
    from consultations.models import Session

    Session.objects.filter(pk=session.pk).delete()  # as a consultation's or city's deletion cascades to it


async def _closed_with(communicator, timeout=5.0):
    """The close code the server sent, skipping any state still on its way."""
    while True:
        output = await communicator.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"]


async def test_a_cached_code_of_a_deleted_session_is_closed_with_4404_and_forgotten(
    facilitator, consultation_obj, monkeypatch
):
    from consultations.live import aio

    session, _ = await _setup(facilitator, consultation_obj)
    _, token = await _join(session)
    assert await aio.session_for_code(session.join_code) == session.pk  # cached by an earlier socket or vote
    await _delete(session)
    monkeypatch.setattr(aio, "session_id_for_code", None)  # the handshake must still not read the database
    ws, connected, _ = await _connect(session)
    monkeypatch.undo()
    assert connected  # the cache still names the session
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))  # a valid signature: no read either
    assert await _closed_with(ws) == 4404  # the hub's read for the new screen found the session gone
    assert session.join_code not in aio._sessions
    _, connected, code = await _connect(session)  # the next handshake reads, as for an unknown code
    assert (connected, code) == (False, 4404)


async def test_a_staff_browser_on_a_deleted_session_is_closed_with_4404(facilitator, consultation_obj):
    from django.test import Client

    from consultations.live import aio

    session, _ = await _setup(facilitator, consultation_obj)

    @sync_to_async
    def login():
        client = Client()
        client.force_login(facilitator)
        return client.cookies["sessionid"].value

    cookie = await login()
    assert await aio.session_for_code(session.join_code) == session.pk
    await _delete(session)
    ws, connected, _ = await _connect(session, headers=[ORIGIN, (b"cookie", f"sessionid={cookie}".encode())])
    assert connected
    assert await _closed_with(ws) == 4404  # the staff check read the session: no wait for a hello (4401)
    assert session.join_code not in aio._sessions


async def test_open_screens_of_a_deleted_session_are_closed_with_4404_on_the_next_change(facilitator, consultation_obj):
    from consultations.live import aio

    session, _ = await _setup(facilitator, consultation_obj)
    screens = []
    for _ in range(2):
        _, token = await _join(session)
        ws, _, _ = await _connect(session)
        await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
        await _until(ws, lambda m: m["type"] == "state")
        screens.append(ws)
    await _delete(session)
    hub.notify(session.pk)  # what a change (or a Redis reconnection's refresh) makes the hub do: read the state
    assert [await _closed_with(ws) for ws in screens] == [4404, 4404]
    assert session.join_code not in aio._sessions
    assert hub.local_screens(session.pk) == 0


async def test_deleting_a_session_closes_its_open_screens_with_4404(facilitator, consultation_obj):
    """No other change needed: the deletion itself (the admin's, or a consultation's or city's cascading to it) tells
    the hub once it commits."""
    from consultations.live import aio

    session, _ = await _setup(facilitator, consultation_obj)
    _, token = await _join(session)
    ws, _, _ = await _connect(session)
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    await _until(ws, lambda m: m["type"] == "state")
    await _delete_city(consultation_obj.city_id)
    assert await _closed_with(ws) == 4404
    assert session.join_code not in aio._sessions
    assert hub.local_screens(session.pk) == 0


@sync_to_async
def _delete_city(city_id):
    from cities.models import City

    City.objects.get(pk=city_id).delete()  # as the admin deletes it, its consultations and sessions with it


async def test_a_resync_on_a_deleted_session_is_closed_with_4404(facilitator, consultation_obj):
    session, _ = await _setup(facilitator, consultation_obj)
    _, token = await _join(session)
    ws, _, _ = await _connect(session)
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    await _until(ws, lambda m: m["type"] == "state")
    await _delete(session)
    await ws.send_to(text_data=json.dumps({"type": "resync"}))
    assert await _closed_with(ws) == 4404


async def test_a_database_error_while_reading_keeps_the_screens_open(facilitator, consultation_obj, monkeypatch):
    from django.db import OperationalError

    from consultations.live import aio
    from consultations.live import hub as realtime

    session, items = await _setup(facilitator, consultation_obj)
    voter, token = await _join(session)
    ws, _, _ = await _connect(session)
    await ws.send_to(text_data=json.dumps({"type": "hello", "token": token}))
    first, _ = await _until(ws, lambda m: m["type"] == "state")
    failed = []

    def restarting(session_id):
        failed.append(session_id)
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(realtime, "session_snapshot", restarting)
    hub.notify(session.pk)  # a change while PostgreSQL restarts
    await ws.send_to(text_data=json.dumps({"type": "resync"}))
    for _ in range(100):
        if len(failed) >= 2:
            break
        await asyncio.sleep(0.02)
    assert failed == [session.pk, session.pk]  # both reads were tried, and failed
    assert await ws.receive_nothing(timeout=0.3)  # no state, and no close
    assert aio._sessions.get(session.join_code) == session.pk
    monkeypatch.undo()  # the database is back: the next change reaches the same screen
    await _vote(voter, items[0])
    caught_up, _ = await _until(ws, lambda m: m["type"] == "state" and m["items"][0]["votes"] == 1)
    assert caught_up["version"] > first["version"]
    await ws.disconnect()


async def test_a_process_that_finds_a_session_deleted_tells_the_other_processes_once(
    facilitator, consultation_obj, monkeypatch
):
    from consultations.live import hub as realtime

    class SharedLayer:  # stands for Redis: records what crosses processes
        def __init__(self):
            self.sent, self.left = [], []

        async def new_channel(self, prefix):
            return f"{prefix}here"

        async def group_add(self, group, channel):
            pass

        async def group_discard(self, group, channel):
            self.left.append(group)

        async def group_send(self, group, message):
            self.sent.append((group, message))

        async def receive(self, channel):
            await asyncio.Event().wait()

    class Screen:
        audience = "public"

        def __init__(self, session_id):
            self.session_id, self.closed = session_id, False

        def offer(self, version, text):
            pass

        async def session_gone(self):
            self.closed = True

    session, _ = await _setup(facilitator, consultation_obj)
    layer = SharedLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    local = realtime.Hub()
    try:
        screens = [Screen(session.pk), Screen(session.pk)]
        for screen in screens:
            await local.subscribe(screen)
        await _delete(session)
        # The deletion announced itself (consultations/signals.py): no hub runs on the deleting thread's loop here, so
        # it was sent to the layer directly. What follows is what a process holding screens does with it.
        assert [(group, m["session"]) for group, m in layer.sent] == [(realtime.group_name(session.pk), session.pk)]
        layer.sent.clear()
        local.stale.add(session.pk)  # another process announced a change (or a new screen asked for a refresh)
        await local._tick()
        assert all(screen.closed for screen in screens)
        assert layer.left == [realtime.group_name(session.pk)] and local.local_screens(session.pk) == 0
        await local._tick()  # the next tick announces it, so that the other processes' screens read and close
        await local._announce_pending()  # (the hub's announcer task sends it; run here in the test's own loop)
        assert [(group, m["type"], m["session"]) for group, m in layer.sent] == [
            (realtime.group_name(session.pk), "majlis.changed", session.pk)
        ]
        reads = local.reads
        local.stale.add(session.pk)  # the others' own announcements come back: nothing here reads again
        await local._tick()
        assert local.reads == reads and len(layer.sent) == 1
    finally:
        await local.stop()
