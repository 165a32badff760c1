"""WebSocket endpoint of a live session (`/ws/sessions/<code>/`): authenticate, subscribe to the hub, relay.

A plain ASGI application rather than a Channels consumer. A room of 2,000 opens 2,000 sockets within seconds and
every state goes to every one of them: Channels' middleware stack (origin check, cookie parsing, a session and a
user resolved for every handshake, a wrapper around every `send` that checks whether the session must be saved)
and its consumer dispatch cost more than the work itself. Here a handshake is a dictionary lookup (the session
of a code is cached in the process: a code always names the same session), a participant's `hello` is the
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
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import auth
from django.http.cookie import parse_cookie
from django.http.request import validate_host

from cities.permissions import can_facilitate

from . import realtime
from .aio import in_db_thread, session_for_code
from .models import Session
from .selectors import PUBLIC, STAFF
from .tokens import browser_participant_id, participant_claims

PATH = re.compile(r"^/ws/sessions/(?P<code>[A-Za-z0-9-]{1,16})/$")
MAX_MESSAGE_CHARS = 4096
FLOOD_MESSAGES = 30  # at most this many messages...
FLOOD_WINDOW = 10.0  # ...in this many seconds
HELLO_TIMEOUT = 15.0

CLOSE_UNAUTHORISED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 1009
CLOSE_POLICY = 1008


def origin_allowed(origin: str | None, allowed_hosts: list[str]) -> bool:
    """A handshake without an Origin header does not come from a web page (browsers always send one), so no
    foreign site can ride a visitor's cookie through it; such clients must authenticate with a `hello`."""
    if origin is None:
        return True
    try:
        host = urlsplit(origin).hostname
    except ValueError:
        return False
    return bool(host) and validate_host(host, allowed_hosts)


def audience_from_cookies(cookie_header: str, session_id: int) -> str | None:
    """STAFF for a signed-in facilitator of the session's city, PUBLIC for a browser that joined the session,
    else None (then the socket waits for a `hello`). Reads the Django session and the user: call in a thread."""
    key = parse_cookie(cookie_header).get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    user = auth.get_user(SimpleNamespace(session=store))
    if user.is_authenticated:
        session = Session.objects.select_related("consultation__city").filter(pk=session_id).first()
        if session is not None and can_facilitate(user, session.consultation.city):
            return STAFF
    if browser_participant_id(store, session_id) is not None:
        return PUBLIC
    return None


class SessionSockets:
    """The ASGI application for `websocket` scopes."""

    def __init__(self, allowed_hosts: list[str]):
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope, receive, send):
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        match = PATH.match(scope["path"])
        if match is None or not origin_allowed(headers.get("origin"), self.allowed_hosts):
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": CLOSE_POLICY})  # before accepting: HTTP 403
            return
        await SessionSocket(send).run(receive, match["code"], headers.get("cookie", ""))


class SessionSocket:
    """One connected screen, as the hub sees it (realtime.Screen): it keeps only the newest unsent state."""

    def __init__(self, send):
        self._send = send
        self.session_id = 0
        self.audience: str | None = None
        self.version_sent = 0
        self.pending: tuple[int, str] | None = None
        self.pending_event = asyncio.Event()
        self.sender: asyncio.Task | None = None
        self.received: list[float] = []
        self.closed = False
        self.closer: asyncio.Task | None = None

    async def run(self, receive, code: str, cookies: str) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        session_id = await session_for_code(code)
        if session_id is None:
            await self._send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})
            return
        self.session_id = session_id
        await self._send({"type": "websocket.accept"})
        hello_timer = None
        try:
            audience = await in_db_thread(audience_from_cookies)(cookies, session_id) if cookies else None
            if audience:
                await self._start(audience)
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
                await realtime.hub.unsubscribe(self)

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
            await self._send_text(realtime.encode({"type": "pong", "version": self.version_sent}))
        elif kind == "resync" and self.audience:
            await self._send_fresh_state()
        else:
            await self._send_error("unknown_type")

    async def close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                await self._send({"type": "websocket.close", "code": code})

    # -- authentication ---------------------------------------------------------------------------------------
    async def _hello(self, message) -> None:
        if self.audience:
            return
        # The token's signature is the proof, as for votes (fastpath.py): it names this session's participant.
        claims = participant_claims(str(message.get("token") or ""))
        if claims is None or claims[1] != self.session_id:
            await self._send_error("unauthorised")
            await self.close(CLOSE_UNAUTHORISED)
            return
        await self._start(PUBLIC)

    def _expire_without_hello(self) -> None:
        if not self.audience and not self.closed:
            self.closer = asyncio.ensure_future(self.close(CLOSE_UNAUTHORISED))

    # -- states -----------------------------------------------------------------------------------------------
    async def _start(self, audience: str) -> None:
        self.audience = audience
        self.sender = asyncio.ensure_future(self._send_forever())
        await realtime.hub.subscribe(self)
        latest = realtime.hub.latest(self.session_id, audience)
        if latest is not None:  # the state the hub pushed last; any later change reaches this socket by the hub
            self.offer(*latest)
        else:  # read on the hub's next tick, once for all the screens arriving meanwhile
            realtime.hub.refresh(self.session_id)

    async def _send_fresh_state(self) -> None:
        snapshot = await realtime.read_snapshot(self.session_id)
        if snapshot is not None:
            self.offer(snapshot.version, realtime.encode(realtime.state_message(snapshot, self.audience)))

    def offer(self, version: int, text: str) -> None:
        """Keep only the newest state not yet sent (called by the hub, in the event loop)."""
        if version < self.version_sent or (self.pending is not None and version < self.pending[0]):
            return
        self.pending = (version, text)
        self.pending_event.set()

    async def _send_forever(self) -> None:
        last_text = None
        while True:
            await self.pending_event.wait()
            self.pending_event.clear()
            if self.pending is None:
                continue
            version, text = self.pending
            self.pending = None
            if text == last_text:
                continue
            started = time.monotonic()
            if await self._send_text(text):
                self.version_sent = version
                last_text = text
            realtime.hub.send_seconds += time.monotonic() - started

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
        await self._send_text(realtime.encode({"type": "error", "code": code, "version": self.version_sent}))
