"""WebSocket endpoint of a live session: authenticate, subscribe to the hub, relay. Writes come over HTTP."""

import asyncio
import contextlib
import functools
import json
import time

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import close_old_connections

from cities.permissions import can_facilitate

from . import realtime
from .errors import SessionNotFound
from .selectors import PUBLIC, STAFF
from .services import session_by_code
from .tokens import browser_participant_id, participant_from_token

MAX_MESSAGE_CHARS = 4096
FLOOD_MESSAGES = 30  # at most this many messages...
FLOOD_WINDOW = 10.0  # ...in this many seconds
HELLO_TIMEOUT = 15.0


def in_db_thread(fn):
    """Like channels' database_sync_to_async, but in the pool of worker threads rather than the one shared sync
    thread (a join storm opens hundreds of sockets a second, each looking up its session and participant), and
    giving the connection back inside the call, where Django's per-context connection lives."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call, thread_sensitive=False)


CLOSE_UNAUTHORISED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 1009
CLOSE_POLICY = 1008


class SessionConsumer(AsyncWebsocketConsumer):
    # Sockets do not listen on the channel layer: the process's hub does, once for all its sockets
    # (realtime.py). An alias that names no layer keeps Channels from opening a channel per socket.
    channel_layer_alias = "majlis.sockets-do-not-listen"

    session_id: int
    audience: str | None = None

    async def connect(self):
        self.audience = None
        self.version_sent = 0
        self.pending: tuple[int, str] | None = None
        self.pending_event = asyncio.Event()
        self.sender: asyncio.Task | None = None
        self.hello_timer: asyncio.Task | None = None
        self.received: list[float] = []
        session = await self._session()
        if session is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.session_id = session.pk
        await self.accept()
        audience = await self._audience_from_scope(session)
        if audience:
            await self._start(audience)
        else:
            self.hello_timer = asyncio.ensure_future(self._expire_without_hello())

    async def disconnect(self, code):
        for task in (self.sender, self.hello_timer):
            if task is not None:
                task.cancel()
        if self.audience:
            await realtime.hub.unsubscribe(self)

    async def receive(self, text_data=None, bytes_data=None):
        now = time.monotonic()
        self.received = [t for t in self.received if now - t < FLOOD_WINDOW]
        self.received.append(now)
        if len(self.received) > FLOOD_MESSAGES:
            await self.close(code=CLOSE_POLICY)
            return
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw) > MAX_MESSAGE_CHARS:
            await self.close(code=CLOSE_TOO_LARGE)
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
            await self.send(text_data=realtime.encode({"type": "pong", "version": self.version_sent}))
        elif kind == "resync" and self.audience:
            await self._send_fresh_state()
        else:
            await self._send_error("unknown_type")

    # -- authentication ---------------------------------------------------------------------------------------
    @in_db_thread
    def _session(self):
        try:
            return session_by_code(self.scope["url_route"]["kwargs"]["code"])
        except SessionNotFound:
            return None

    @in_db_thread
    def _audience_from_scope(self, session) -> str | None:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated and can_facilitate(user, session.consultation.city):
            return STAFF
        django_session = self.scope.get("session")
        if django_session is not None and browser_participant_id(django_session, session.pk) is not None:
            return PUBLIC
        return None

    @in_db_thread
    def _participant_audience(self, token) -> str | None:
        participant = participant_from_token(str(token or ""))
        if participant is not None and participant.session_id == self.session_id:
            return PUBLIC
        return None

    async def _hello(self, message):
        if self.audience:
            return
        audience = await self._participant_audience(message.get("token"))
        if audience is None:
            await self._send_error("unauthorised")
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        if self.hello_timer:
            self.hello_timer.cancel()
        await self._start(audience)

    async def _expire_without_hello(self):
        await asyncio.sleep(HELLO_TIMEOUT)
        if not self.audience:
            await self.close(code=CLOSE_UNAUTHORISED)

    # -- states -----------------------------------------------------------------------------------------------
    async def _start(self, audience: str):
        self.audience = audience
        self.sender = asyncio.ensure_future(self._send_forever())
        await realtime.hub.subscribe(self)
        latest = realtime.hub.latest(self.session_id, audience)
        if latest is not None:  # the state the hub pushed last; any later change reaches this socket by the hub
            self.offer(*latest)
        else:
            await self._send_fresh_state()

    async def _send_fresh_state(self):
        snapshot = await realtime.read_snapshot(self.session_id)
        if snapshot is not None:
            self.offer(snapshot.version, realtime.encode(realtime.state_message(snapshot, self.audience)))

    def offer(self, version: int, text: str) -> None:
        """Keep only the newest state not yet sent (called by the hub, in the event loop)."""
        if version < self.version_sent or (self.pending is not None and version < self.pending[0]):
            return
        self.pending = (version, text)
        self.pending_event.set()

    async def _send_forever(self):
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
            with contextlib.suppress(Exception):
                await self.send(text_data=text)
                self.version_sent = version
                last_text = text
            realtime.hub.send_seconds += time.monotonic() - started

    async def _send_error(self, code: str):
        await self.send(text_data=realtime.encode({"type": "error", "code": code, "version": self.version_sent}))
