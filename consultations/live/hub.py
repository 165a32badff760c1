"""The one door to the real-time channel. Only this module knows group names and builds broadcast payloads.

How a change reaches the screens (docs/realtime.md):

1. A service commits a change and calls `session_changed(session_id)`; after the commit the process's hub
   marks the session dirty. Nothing is sent per write.
2. Every tick (MAJLIS_REALTIME_TICK, 100 ms by default; longer when reads and socket writes take longer, and with
   several workers in a large room: Hub.pause) the hub
   announces each dirty session once. With Redis, the announcement is one message to the session's group, whose
   members are worker processes (one channel per process), not sockets; a task of its own sends it
   (Hub._announce_forever), so that the tick's reads and writes never wait for Redis. With the in-memory layer
   there is one process and no announcement is needed.
3. A worker that holds sockets of an announced session reads its state once from the database and writes
   the same JSON text to each of its sockets. Each socket keeps only the newest unsent state, so a slow
   reader never makes memory grow.

Screens resynchronise from the REST state whenever they see a gap; the version only rises. A read that finds the
session deleted closes its screens (4404); a read that fails (the database restarting) closes nothing: the next
change or refresh reads again.
"""

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Protocol

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, transaction

from ..models import Session
from ..selectors import PUBLIC, STAFF, StateSnapshot, session_snapshot

logger = logging.getLogger(__name__)

MESSAGE_STATE = "state"
# Sockets written per turn of the event loop (Hub._push). A write is one ready-made frame, about 10 µs of CPU, so a
# worker's share of a room of 2,000 takes 10-15 ms in one go; smaller batches let the loop serve other work in
# between, and under load stretch the fan-out several times over, the last screens waiting for it.
FANOUT_BATCH = 1000
LARGE_ROOM = 500  # screens held by a process from which the pause between ticks is MAJLIS_REALTIME_LARGE_TICK
LAYER_EVENT = "majlis.changed"


def group_name(session_id: int) -> str:
    return f"majlis.session.{session_id}"


def session_changed(session_id: int) -> None:
    """Tell every screen of the session that something changed, once the current transaction commits."""
    transaction.on_commit(lambda: hub.notify(session_id))


def state_message(snapshot: StateSnapshot, audience: str) -> dict:
    """The `state` message: the REST state's fields, flat, with its type."""
    return {"type": MESSAGE_STATE, **snapshot.for_audience(audience)}


def encode(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class Screen(Protocol):
    """A connected socket as the hub sees it (sockets.SessionSocket)."""

    session_id: int
    audience: str

    def offer(self, version: int, text: str) -> None: ...

    async def session_gone(self) -> None:
        """The session no longer exists: close the connection (4404)."""


def _layer_is_shared(layer) -> bool:
    """True when the channel layer spans processes (Redis), so that announcements must cross it."""
    return layer is not None and not layer.__class__.__name__.startswith("InMemory")


class Hub:
    """One per process: coalesces changes and fans states out to the sockets this process holds."""

    def __init__(self) -> None:
        self._start_lock: asyncio.Lock | None = None
        self._start_lock_loop: asyncio.AbstractEventLoop | None = None
        self._reset()

    def _reset(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.screens: dict[int, set[Screen]] = defaultdict(set)
        self.dirty: set[int] = set()  # changed by a write in this process: announce
        self.stale: set[int] = set()  # announced (by any process): read and push
        self.unannounced: set[int] = set()  # changed here, pushed here, not yet sent to the other processes
        self.announcing: asyncio.Event | None = None
        self.layer = None
        self.channel_name: str | None = None
        self.wakeup: asyncio.Event | None = None
        self.tasks: list[asyncio.Task] = []
        self.reads = 0  # states read from the database, for tests and benchmarks
        self.send_seconds = 0.0  # time the sockets spent writing states since the last tick (see _tick_forever)
        # The last state pushed per session and its texts per audience, while this process holds screens of the
        # session (it then hears of every change): a new socket starts from it instead of a database read.
        self.pushed: dict[int, tuple[StateSnapshot, dict[str, str]]] = {}

    # -- lifecycle (event loop thread) ----------------------------------------------------------------------
    async def ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop and self.tasks and not any(t.done() for t in self.tasks):
            return
        if self._start_lock is None or self._start_lock_loop is not loop:
            self._start_lock, self._start_lock_loop = asyncio.Lock(), loop
        async with self._start_lock:  # an asyncio lock: the loop keeps serving while one coroutine starts the hub
            if self.loop is loop and self.tasks and not any(t.done() for t in self.tasks):
                return
            if self.loop is not loop:
                self._reset()
            for task in self.tasks:
                task.cancel()
            self.loop = loop
            self.wakeup = asyncio.Event()
            self.announcing = asyncio.Event()
            self.layer = get_channel_layer()
            tasks = [loop.create_task(self._tick_forever(), name="majlis-hub-tick")]
            if _layer_is_shared(self.layer):
                self.channel_name = await self.layer.new_channel(prefix="majlis.hub.")
                tasks.append(loop.create_task(self._receive_forever(), name="majlis-hub-receive"))
                tasks.append(loop.create_task(self._announce_forever(), name="majlis-hub-announce"))
                for session_id in self.screens:
                    await self.layer.group_add(group_name(session_id), self.channel_name)
            self.tasks = tasks

    async def stop(self) -> None:
        """Cancel the hub's tasks (tests, shutdown); a layer call that ignores cancellation is not waited for.
        Also closes the loop's Redis client of the rate limits (live/limits.py), which lives as long as the loop."""
        from . import limits as throttles

        for task in self.tasks:
            task.cancel()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=1.0)
        self._reset()
        with contextlib.suppress(Exception):
            await throttles.aclose()

    # -- screens (event loop thread) --------------------------------------------------------------------------
    async def subscribe(self, screen: Screen) -> None:
        await self.ensure_started()
        first = not self.screens[screen.session_id]
        self.screens[screen.session_id].add(screen)
        if first and self.channel_name:
            await self.layer.group_add(group_name(screen.session_id), self.channel_name)

    async def unsubscribe(self, screen: Screen) -> None:
        screens = self.screens.get(screen.session_id)
        if not screens:
            return
        screens.discard(screen)
        if not screens:
            del self.screens[screen.session_id]
            self.pushed.pop(screen.session_id, None)  # no longer hears of changes: the copy would go stale
            if self.channel_name:
                with contextlib.suppress(Exception):
                    await self.layer.group_discard(group_name(screen.session_id), self.channel_name)

    def latest(self, session_id: int, audience: str) -> tuple[int, str] | None:
        """(version, text) of the last state pushed to the session's screens here, or None."""
        pushed = self.pushed.get(session_id)
        if pushed is None:
            return None
        snapshot, texts = pushed
        if audience not in texts:
            texts[audience] = encode(state_message(snapshot, audience))
        return snapshot.version, texts[audience]

    def refresh(self, session_id: int) -> None:
        """Read the session's state on the next tick and push it to its screens here (a new screen with no state).

        One read for every screen that arrives meanwhile (a room joining at once), and a read that starts after
        they subscribed, so that none can miss a change: screens that already have the state skip the same text.
        """
        self.stale.add(session_id)
        if self.wakeup is not None:
            self.wakeup.set()

    async def session_gone(self, session_id: int) -> None:
        """A read found the session deleted: close its screens here, which would otherwise wait forever for a state,
        and announce it, so that every other process holding screens of it reads, finds the same and closes them.
        """
        screens = self.screens.pop(session_id, set())
        self.pushed.pop(session_id, None)
        logger.info("Session %s no longer exists: closing its %d screens here", session_id, len(screens))
        if screens and self.channel_name:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(group_name(session_id), self.channel_name)
        # The announcement (on the next tick). Only processes holding screens of the session read it, and each of
        # them announces once more when it finds the session gone, having left the group: it ends there.
        self._mark_dirty(session_id)
        await asyncio.gather(*(screen.session_gone() for screen in screens), return_exceptions=True)

    def local_screens(self, session_id: int) -> int:
        return len(self.screens.get(session_id, ()))

    # -- changes (any thread) ---------------------------------------------------------------------------------
    def notify(self, session_id: int) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed() and loop.is_running():
            loop.call_soon_threadsafe(self._mark_dirty, session_id)
            return
        # No event loop here (a management command, a test, a WSGI process): with a shared layer, announce
        # directly so that the workers holding sockets learn of it; otherwise no screen can be listening.
        layer = get_channel_layer()
        if _layer_is_shared(layer):
            try:
                async_to_sync(layer.group_send)(group_name(session_id), {"type": LAYER_EVENT, "session": session_id})
            except Exception:  # Redis down: screens resynchronise from REST when it returns
                logger.warning("Could not announce a change of session %s", session_id, exc_info=True)

    def _mark_dirty(self, session_id: int) -> None:
        self.dirty.add(session_id)
        if self.wakeup is not None:
            self.wakeup.set()

    # -- the loops (event loop thread) ------------------------------------------------------------------------
    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.wakeup.wait()
            self.wakeup.clear()
            started = loop.time()
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Real-time tick failed; screens will catch up on the next change")
            # Adaptive: the next tick waits at least as long as this one's reads and the sockets' writes of the
            # previous states took, so fanning states out never takes more than about half of the event loop
            # (which also answers joins and votes), and, with several workers, longer the more screens this process
            # holds (MAJLIS_REALTIME_LARGE_TICK): a large room gets fewer, fuller states, a small one a state a tick.
            elapsed = loop.time() - started + self.send_seconds
            self.send_seconds = 0.0
            await asyncio.sleep(self.pause(elapsed))

    def pause(self, work: float) -> float:
        """Seconds between the end of a tick whose reads and writes took `work` seconds and the next one: at least
        the work's own time, and a tick that grows with the screens this process holds, from MAJLIS_REALTIME_TICK
        (none) to MAJLIS_REALTIME_LARGE_TICK (LARGE_ROOM screens and more)."""
        screens = sum(len(screens) for screens in self.screens.values())
        small = settings.MAJLIS_REALTIME_TICK
        large = max(small, settings.MAJLIS_REALTIME_LARGE_TICK)
        return max(work, small + (large - small) * min(1.0, screens / LARGE_ROOM))

    async def _tick(self) -> None:
        dirty, self.dirty = self.dirty, set()
        if self.channel_name and dirty:
            # Announced by a task of its own (_announce_forever), beside this tick's reads and writes rather than
            # before them: a group_send is several round trips to Redis, each waiting for a turn of the busy event
            # loop, and in a room voting at once they would hold every screen of this process back by tens to
            # hundreds of milliseconds a tick.
            self.unannounced |= dirty
            self.announcing.set()
        # This process's own changes are pushed in the tick that announces them, and their announcement is not heard
        # again when it comes back (_receive_forever): a change made through this worker reaches its screens a tick
        # sooner, with no second read and fan-out for the echo.
        self.stale |= dirty
        stale, self.stale = self.stale, set()
        for sid in stale:
            self.pushed.pop(sid, None)  # changed: until the new state is read, a new socket reads its own
        sessions = [sid for sid in stale if self.screens.get(sid)]
        if sessions:
            await asyncio.gather(*(self._push(sid) for sid in sessions))

    async def _announce_forever(self) -> None:
        while True:
            await self.announcing.wait()
            self.announcing.clear()
            await self._announce_pending()

    async def _announce_pending(self) -> None:
        """Tell the other processes, one message per session, which sessions changed here since the last call."""
        sessions, self.unannounced = self.unannounced, set()
        for session_id in sorted(sessions):
            message = {"type": LAYER_EVENT, "session": session_id, "origin": self.channel_name}
            try:
                await self.layer.group_send(group_name(session_id), message)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis down: this process's screens have the change; the others catch up later
                logger.warning("Channel layer unavailable; session %s was pushed locally only", session_id)

    async def _receive_forever(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Channel layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                await self._rejoin_groups()
                continue
            if message.get("type") == LAYER_EVENT and message.get("origin") != self.channel_name:
                self.stale.add(int(message["session"]))
                self.wakeup.set()

    async def _rejoin_groups(self) -> None:
        """After Redis came back (it keeps nothing on disk): join the groups again and refresh every screen."""
        with contextlib.suppress(Exception):
            for session_id in list(self.screens):
                await self.layer.group_add(group_name(session_id), self.channel_name)
                self.stale.add(session_id)
            self.wakeup.set()

    async def _push(self, session_id: int) -> None:
        try:
            snapshot = await read_snapshot(session_id)
        except Session.DoesNotExist:
            await self.session_gone(session_id)
            return
        finally:
            self.reads += 1
        if snapshot is None:
            return
        texts = {}
        screens = list(self.screens.get(session_id, ()))
        for index, screen in enumerate(screens, 1):
            if screen.audience not in texts:
                texts[screen.audience] = encode(state_message(snapshot, screen.audience))
            screen.offer(snapshot.version, texts[screen.audience])
            if index % FANOUT_BATCH == 0 and index < len(screens):
                # Let the event loop serve what arrived meanwhile (acknowledgements of ballots, joins) between
                # batches, in a room larger than a batch: a state written to a thousand sockets is a thousand
                # system calls.
                await asyncio.sleep(0)
        if screens and session_id not in self.stale:  # not changed again while this state was read
            self.pushed[session_id] = (snapshot, texts)


def _read_snapshot(session_id: int) -> StateSnapshot | None:
    close_old_connections()
    try:
        return session_snapshot(session_id)
    except Session.DoesNotExist:  # deleted: the database answered, and the answer will not change
        raise
    except Exception:  # the database is restarting, say: the screens stay open and the next change or refresh retries
        logger.warning("Could not read session %s", session_id, exc_info=True)
        return None
    finally:
        close_old_connections()


async def read_snapshot(session_id: int) -> StateSnapshot | None:
    """The session's state, or None when the database could not be read. Raises Session.DoesNotExist when the
    session was deleted."""
    return await sync_to_async(_read_snapshot, thread_sensitive=False)(session_id)


hub = Hub()


class HubMiddleware:
    """ASGI middleware that starts the process's hub on the server's event loop with the first request.

    Without it, a worker that holds no socket yet would announce each change from the writing thread with a
    fresh event loop and Redis connection; with it, changes are coalesced on the loop from the first request on.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            await hub.ensure_started()
        return await self.app(scope, receive, send)


__all__ = ["PUBLIC", "STAFF", "HubMiddleware", "group_name", "hub", "read_snapshot", "session_changed", "state_message"]
