"""A screen that stops reading holds one pending state at most: the server's memory cannot grow with it."""

import asyncio
import concurrent.futures

import pytest

from consultations.live.sockets import SessionSocket

pytestmark = pytest.mark.slow


def _screen() -> SessionSocket:
    screen = SessionSocket(send=None)
    screen.version_sent = 0
    screen.pending = None
    screen.pending_event = asyncio.Event()
    return screen


def test_only_the_newest_unsent_state_is_kept():
    screen = _screen()
    for version in range(1, 1001):
        screen.offer(version, f"state {version}" * 100)
    assert screen.pending == (1000, "state 1000" * 100)  # one message, whatever the number of changes
    screen.offer(999, "older")
    assert screen.pending[0] == 1000  # an older state never replaces a newer one


def test_a_state_older_than_the_one_sent_is_dropped():
    screen = _screen()
    screen.version_sent = 50
    screen.offer(49, "late")
    assert screen.pending is None


def test_a_slow_readers_wait_does_not_stretch_the_tick(monkeypatch):
    """A state that waits for a paused connection (flow control) is sent later by the socket's task; the wait is
    the reader's, so it is not counted as the server's write time (realtime.Hub paces its tick by that time)."""
    from consultations.live import hub as realtime
    from consultations.live import sockets

    class PausedProtocol:  # stands for uvicorn's websockets-sansio protocol of a client that stopped reading
        def __init__(self):
            self.writable = asyncio.Event()
            self.sent = []

        async def send(self, message):
            await self.writable.wait()
            self.sent.append(message)

    async def play():
        protocol = PausedProtocol()
        screen = sockets.SessionSocket(protocol.send)
        sender = asyncio.ensure_future(screen._send_forever())
        realtime.hub.send_seconds = 0.0
        screen.offer(1, "state 1")  # the connection takes nothing now: queued for the sender task
        await asyncio.sleep(0.3)
        assert protocol.sent == [] and screen.pending is None  # the task holds it, waiting
        protocol.writable.set()
        await asyncio.sleep(0.05)
        sender.cancel()
        return protocol.sent, screen.version_sent, realtime.hub.send_seconds

    from consultations.live import internals

    monkeypatch.setattr(internals, "WebSocketsSansIOProtocol", PausedProtocol)
    # A loop of its own in a thread of its own: after the browser tests, Playwright holds a loop in this thread.
    with concurrent.futures.ThreadPoolExecutor(1) as own:
        sent, version_sent, send_seconds = own.submit(asyncio.run, play()).result()
    assert sent == [{"type": "websocket.send", "text": "state 1"}] and version_sent == 1
    assert send_seconds < 0.1  # not the 0.3 s the reader kept it waiting
