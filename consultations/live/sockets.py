"""WebSocket endpoint of a live session (`/ws/sessions/<code>/`): authenticate, subscribe to the hub, relay.

A plain ASGI application rather than a Channels consumer. A room of 2,000 opens 2,000 sockets within seconds and
every state goes to every one of them: Channels' middleware stack (origin check, cookie parsing, a session and a
user resolved for every handshake, a wrapper around every `send` that checks whether the session must be saved)
and its consumer dispatch cost more than the work itself. Here a handshake is a dictionary lookup (the session
of a code is cached in the process: a code always names the same session; the first read that finds the session
deleted closes its sockets with 4404 and forgets its codes), a participant's `hello` is the
token's signature (as for votes: no database read), and a state is one ASGI `send` per socket. Only a browser
that sends a cookie (a facilitator's screen, a participant who joined through the web page) costs one read of
its Django session and user, in a worker thread. Writes never come over the socket: they are HTTP requests.

The messages are the contract in docs/realtime.md; tests/consultations/test_sockets.py plays them.
"""

import asyncio
import contextlib
import json
import re
import time
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib import auth
from django.http.cookie import parse_cookie

from cities.origins import origin_allowed, trusted_origins
from cities.permissions import can_facilitate

from ..models import Session
from ..selectors import PUBLIC, STAFF
from ..tokens import browser_participant_id, participant_claims
from . import hub as live_hub
from .aio import forget_session, in_db_thread, session_for_code
from .internals import DirectWriter

PATH = re.compile(r"^/ws/sessions/(?P<code>[A-Za-z0-9-]{1,16})/$")
MAX_MESSAGE_CHARS = 4096
FLOOD_MESSAGES = 30  # at most this many messages...
FLOOD_WINDOW = 10.0  # ...in this many seconds
HELLO_TIMEOUT = 15.0

CLOSE_UNAUTHORISED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 1009
CLOSE_POLICY = 1008
CLOSE_TOO_MANY = 4429  # more open sockets from this address, or for this participant, than the process allows


def audience_from_cookies(cookie_header: str, session_id: int) -> tuple[str | None, int | None]:
    """(STAFF, None) for a signed-in facilitator of the session's city, (PUBLIC, participant id) for a browser that
    joined the session, else (None, None) (then the socket waits for a `hello`). Reads the Django session and the
    user: call in a thread. Raises Session.DoesNotExist when a signed-in user's check finds the session deleted."""
    key = parse_cookie(cookie_header).get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None, None
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    user = auth.get_user(SimpleNamespace(session=store))
    if user.is_authenticated:
        session = Session.objects.select_related("consultation__city").get(pk=session_id)
        if can_facilitate(user, session.consultation.city):
            return STAFF, None
    participant_id = browser_participant_id(store, session_id)
    if participant_id is not None:
        return PUBLIC, participant_id
    return None, None


class OpenSockets:
    """How many sockets this process holds per client address and per participant, within the limits of
    settings.MAJLIS_SOCKET_LIMITS (docs/realtime.md, "Limits"). Only the event loop touches it: no lock.

    A key leaves its dictionary with its last socket, so that a flood of sockets leaves nothing behind."""

    def __init__(self):
        self.by_address: dict[str, int] = {}
        self.by_participant: dict[tuple[int, int], int] = {}

    @staticmethod
    def take(counts: dict, key, limit: int) -> bool:
        held = counts.get(key, 0)
        if limit and held >= limit:
            return False
        counts[key] = held + 1
        return True

    @staticmethod
    def give(counts: dict, key) -> None:
        held = counts.get(key, 0) - 1
        if held > 0:
            counts[key] = held
        else:
            counts.pop(key, None)


open_sockets = OpenSockets()


def socket_limit(name: str) -> int:
    return int(getattr(settings, "MAJLIS_SOCKET_LIMITS", {}).get(name, 0))


class SessionSockets:
    """The ASGI application for `websocket` scopes."""

    def __init__(self, allowed_hosts: list[str]):
        self.allowed_hosts = allowed_hosts
        self.trusted = trusted_origins()

    async def __call__(self, scope, receive, send):
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        match = PATH.match(scope["path"])
        allowed = origin_allowed(
            headers.get("origin"),
            host=headers.get("host", ""),
            secure=scope.get("scheme") == "wss",
            allowed_hosts=self.allowed_hosts,
            trusted=self.trusted,
        )
        if match is None or not allowed:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": CLOSE_POLICY})  # before accepting: HTTP 403
            return
        client = scope.get("client")
        await SessionSocket(send).run(receive, match["code"], headers.get("cookie", ""), client[0] if client else None)


class SessionSocket:
    """One connected screen, as the hub sees it (hub.py's Screen): it keeps only the newest unsent state."""

    direct_writes = 0  # states written as ready-made frames, for tests and benchmarks

    def __init__(self, send):
        self._send = send
        self._writer = DirectWriter.behind(send)  # states as ready-made frames (internals.py), under uvicorn
        self.last_text: str | None = None
        self.sending = False
        self.session_id = 0
        self.audience: str | None = None
        self.version_sent = 0
        self.pending: tuple[int, str] | None = None
        self.pending_event = asyncio.Event()
        self.sender: asyncio.Task | None = None
        self.received: list[float] = []
        self.closed = False
        self.closer: asyncio.Task | None = None
        self.address: str | None = None  # counted in open_sockets.by_address while this socket is open
        self.participant: tuple[int, int] | None = None  # (session, participant), counted likewise

    async def run(self, receive, code: str, cookies: str, address: str | None = None) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        session_id = await session_for_code(code)
        if session_id is None:
            await self._send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})
            return
        self.session_id = session_id
        await self._send({"type": "websocket.accept"})  # accepted, so that a refusal below shows its close code
        hello_timer = None
        try:
            if address is not None:
                if not open_sockets.take(open_sockets.by_address, address, socket_limit("per_address")):
                    await self.close(CLOSE_TOO_MANY)
                    return
                self.address = address
            try:
                audience, participant_id = (
                    await in_db_thread(audience_from_cookies)(cookies, session_id) if cookies else (None, None)
                )
            except Session.DoesNotExist:  # deleted after its code was cached
                await self._session_deleted()
                return
            if audience:
                await self._start(audience, participant_id)
            else:
                hello_timer = asyncio.get_running_loop().call_later(HELLO_TIMEOUT, self._expire_without_hello)
            while not self.closed:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message["type"] == "websocket.receive":
                    await self._receive(message.get("text"), message.get("bytes"))
        finally:
            self.closed = True
            if hello_timer is not None:
                hello_timer.cancel()
            if self.sender is not None:
                self.sender.cancel()
            if self.audience:
                await live_hub.hub.unsubscribe(self)
            if self.address is not None:
                open_sockets.give(open_sockets.by_address, self.address)
            if self.participant is not None:
                open_sockets.give(open_sockets.by_participant, self.participant)

    async def _receive(self, text: str | None, data: bytes | None) -> None:
        now = time.monotonic()
        self.received = [t for t in self.received if now - t < FLOOD_WINDOW]
        self.received.append(now)
        if len(self.received) > FLOOD_MESSAGES:
            await self.close(CLOSE_POLICY)
            return
        raw = text if text is not None else (data or b"").decode("utf-8", "replace")
        if len(raw) > MAX_MESSAGE_CHARS:
            await self.close(CLOSE_TOO_LARGE)
            return
        try:
            message = json.loads(raw)
            kind = message.get("type")
        except (ValueError, AttributeError):
            await self._send_error("bad_message")
            return
        if kind == "hello":
            await self._hello(message)
        elif kind == "ping":
            await self._send_text(live_hub.encode({"type": "pong", "version": self.version_sent}))
        elif kind == "resync" and self.audience:
            await self._send_fresh_state()
        else:
            await self._send_error("unknown_type")

    async def close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                await self._send({"type": "websocket.close", "code": code})

    async def session_gone(self) -> None:
        """Called by the hub when a read found the session deleted: refuse it from now on, as an unknown code."""
        forget_session(self.session_id)
        await self.close(CLOSE_NOT_FOUND)

    async def _session_deleted(self) -> None:
        """This socket's own read found the session deleted: close every screen of it, this one included."""
        await live_hub.hub.session_gone(self.session_id)
        await self.session_gone()  # when the hub does not hold it (not authenticated yet)

    # -- authentication ---------------------------------------------------------------------------------------
    async def _hello(self, message) -> None:
        if self.audience:
            return
        # The token's signature is the proof, as for votes (live/asgi.py): it names this session's participant.
        claims = participant_claims(str(message.get("token") or ""))
        if claims is None or claims[1] != self.session_id:
            await self._send_error("unauthorised")
            await self.close(CLOSE_UNAUTHORISED)
            return
        await self._start(PUBLIC, claims[0])

    def _expire_without_hello(self) -> None:
        if not self.audience and not self.closed:
            self.closer = asyncio.ensure_future(self.close(CLOSE_UNAUTHORISED))

    # -- states -----------------------------------------------------------------------------------------------
    async def _start(self, audience: str, participant_id: int | None = None) -> None:
        if participant_id is not None:
            key = (self.session_id, participant_id)
            if not open_sockets.take(open_sockets.by_participant, key, socket_limit("per_participant")):
                await self.close(CLOSE_TOO_MANY)
                return
            self.participant = key
        self.audience = audience
        self.sender = asyncio.ensure_future(self._send_forever())
        await live_hub.hub.subscribe(self)
        latest = live_hub.hub.latest(self.session_id, audience)
        if latest is not None:  # the state the hub pushed last; any later change reaches this socket by the hub
            self.offer(*latest)
        else:  # read on the hub's next tick, once for all the screens arriving meanwhile
            live_hub.hub.refresh(self.session_id)

    async def _send_fresh_state(self) -> None:
        try:
            snapshot = await live_hub.read_snapshot(self.session_id)
        except Session.DoesNotExist:
            await self._session_deleted()
            return
        if snapshot is not None:
            self.offer(snapshot.version, live_hub.encode(live_hub.state_message(snapshot, self.audience)))

    def offer(self, version: int, text: str) -> None:
        """Keep only the newest state not yet sent (called by the hub, in the event loop).

        A socket with nothing queued whose connection takes data now gets the state at once, as the frame built
        once for all the sockets (as a broadcast does); otherwise its sender task sends it through ASGI, waiting
        for a slow reader (flow control) without holding up the others."""
        if version < self.version_sent or (self.pending is not None and version < self.pending[0]):
            return
        if self.pending is None and not self.sending and self._write_now(version, text):
            return
        self.pending = (version, text)
        self.pending_event.set()

    def _write_now(self, version: int, text: str) -> bool:
        writer = self._writer
        if writer is None or self.closed:
            return False
        if text == self.last_text:
            return True
        if not writer.write_if_ready(text):  # paused by flow control (the sender task waits for it), closing, ...
            return False
        self.version_sent, self.last_text = version, text
        SessionSocket.direct_writes += 1
        return True

    async def _send_forever(self) -> None:
        while True:
            await self.pending_event.wait()
            self.pending_event.clear()
            if self.pending is None:
                continue
            version, text = self.pending
            self.pending = None
            if text == self.last_text:
                continue
            # A slow reader's connection paused by flow control makes this send wait: that wait is the reader's,
            # not work of the server's, and must not stretch the hub's tick for every other screen.
            paused = self._writer is not None and self._writer.paused
            started = time.monotonic()
            self.sending = True
            try:
                if await self._send_text(text):
                    self.version_sent, self.last_text = version, text
            finally:
                self.sending = False
            if not paused:
                live_hub.hub.send_seconds += time.monotonic() - started

    async def _send_text(self, text: str) -> bool:
        """Send one text frame; False when the socket is gone (its receive loop then ends)."""
        if self.closed:
            return False
        try:
            await self._send({"type": "websocket.send", "text": text})
        except Exception:  # disconnected while writing
            return False
        return True

    async def _send_error(self, code: str) -> None:
        await self._send_text(live_hub.encode({"type": "error", "code": code, "version": self.version_sent}))
