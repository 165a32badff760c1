"""The hub's tick pacing (consultations/live/hub.py, Hub._tick_forever; docs/realtime.md).

After each tick the hub waits max(the tick's own time + send_seconds, a tick from MAJLIS_REALTIME_TICK to
MAJLIS_REALTIME_LARGE_TICK as the screens it holds go from none to realtime.LARGE_ROOM), where send_seconds is the
time sockets spent writing states since the last tick. So when screens are slow to write, the gap between two pushes
grows with the write time, with several workers it grows with the room, and otherwise it stays at the tick.

No wall-clock timing: asyncio.sleep is replaced, for the hub's tick task only, by a recorder that returns at once,
and the assertions are on the requested durations. The tick is set to 5 s (never actually waited) so that the hub's
own time per tick (microseconds here: the read is faked) can neither reach it nor blur the write times.
"""

import asyncio
import concurrent.futures

import pytest

from consultations.live import hub as realtime
from consultations.live.hub import Hub

TICK = 5.0
SESSION = 41


class FakeSnapshot:
    def __init__(self, version: int) -> None:
        self.version = version

    def for_audience(self, audience: str) -> dict:
        return {"version": self.version, "audience": audience}


class SlowScreen:
    """A screen whose every write of a state takes `write_seconds`, reported to the hub like the socket sender."""

    def __init__(self, hub: Hub) -> None:
        self.hub, self.session_id, self.audience = hub, SESSION, realtime.PUBLIC
        self.offered: list[int] = []
        self.write_seconds = 0.0

    def offer(self, version: int, text: str) -> None:
        self.offered.append(version)
        self.hub.send_seconds += self.write_seconds


def _in_own_loop(test, paced):
    """Run an async test on a loop of its own, in a thread of its own: when the browser tests ran first, Playwright's
    sync API holds a running loop in this thread, and pytest-asyncio could not run one here."""
    with concurrent.futures.ThreadPoolExecutor(1) as own:
        own.submit(asyncio.run, test(paced)).result()


@pytest.fixture
def paced(monkeypatch, settings):
    """A hub with a slow screen on the test's event loop; yields (hub, screen, push) where push() marks the session
    changed and returns the pause the hub requested after pushing it."""
    settings.MAJLIS_REALTIME_TICK = TICK
    settings.MAJLIS_REALTIME_LARGE_TICK = TICK  # as embedded (with Redis: see the tests of a large room below)
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: None)  # one process, no Redis: nothing to announce
    versions = iter(range(1, 1000))

    async def read_snapshot(session_id):
        assert session_id == SESSION
        return FakeSnapshot(next(versions))

    monkeypatch.setattr(realtime, "read_snapshot", read_snapshot)
    real_sleep = asyncio.sleep
    pauses: asyncio.Queue[float] = asyncio.Queue()

    async def recording_sleep(delay, result=None):
        task = asyncio.current_task()
        if task is None or task.get_name() != "majlis-hub-tick":
            return await real_sleep(delay, result)
        pauses.put_nowait(delay)
        await real_sleep(0)  # the pause is only recorded: the next change is pushed at once
        return result

    monkeypatch.setattr(realtime.asyncio, "sleep", recording_sleep)

    async def start():
        hub = Hub()
        screen = SlowScreen(hub)
        await hub.subscribe(screen)

        async def push() -> float:
            hub.notify(SESSION)
            return await asyncio.wait_for(pauses.get(), timeout=10)  # a guard against a hang, not a measurement

        return hub, screen, push

    return start


def test_without_write_time_the_gap_between_pushes_stays_at_the_tick(paced):
    _in_own_loop(_without_write_time_the_gap_between_pushes_stays_at_the_tick, paced)


async def _without_write_time_the_gap_between_pushes_stays_at_the_tick(paced):
    hub, screen, push = await paced()
    try:
        assert [await push() for _ in range(3)] == [TICK, TICK, TICK]
        assert screen.offered == [1, 2, 3]
    finally:
        await hub.stop()


def test_slow_writes_stretch_the_gap_by_their_time_and_it_returns_to_the_tick(paced):
    _in_own_loop(_slow_writes_stretch_the_gap_by_their_time_and_it_returns_to_the_tick, paced)


async def _slow_writes_stretch_the_gap_by_their_time_and_it_returns_to_the_tick(paced):
    hub, screen, push = await paced()
    try:
        gaps = []
        for write_seconds in (0.0, 12.0, 30.0, 0.0):
            screen.write_seconds = write_seconds
            gaps.append(await push())
        assert gaps[0] == TICK
        # The pause is the write time plus the tick's own work (reads), which is far below the 5 s tick here.
        assert 12.0 <= gaps[1] < 12.0 + TICK
        assert 30.0 <= gaps[2] < 30.0 + TICK
        assert gaps[1] < gaps[2]
        assert gaps[3] == TICK  # the write time was counted once, then reset
        assert screen.offered == [1, 2, 3, 4]
        assert hub.send_seconds == 0.0
    finally:
        await hub.stop()


def test_write_time_reported_between_ticks_paces_the_next_tick(paced):
    _in_own_loop(_write_time_reported_between_ticks_paces_the_next_tick, paced)


async def _write_time_reported_between_ticks_paces_the_next_tick(paced):
    """The socket sender reports its write time after the tick that offered the state: the next tick pays for it."""
    hub, _screen, push = await paced()
    try:
        assert await push() == TICK
        hub.send_seconds += 8.0  # sockets finished writing the first state after the tick
        assert 8.0 <= await push() < 8.0 + TICK
        assert await push() == TICK
    finally:
        await hub.stop()


def test_write_time_below_the_tick_does_not_shorten_or_stretch_it(paced):
    _in_own_loop(_write_time_below_the_tick_does_not_shorten_or_stretch_it, paced)


async def _write_time_below_the_tick_does_not_shorten_or_stretch_it(paced):
    hub, screen, push = await paced()
    try:
        screen.write_seconds = 1.0
        assert await push() == TICK
    finally:
        await hub.stop()


class Held:
    session_id, audience = SESSION, realtime.PUBLIC


def test_with_several_workers_the_pause_grows_with_the_screens_held(settings):
    settings.MAJLIS_REALTIME_TICK, settings.MAJLIS_REALTIME_LARGE_TICK = 0.1, 0.2  # the defaults with REDIS_URL
    hub = Hub()
    assert hub.pause(0.01) == 0.1
    hub.screens[SESSION] = {Held() for _ in range(realtime.LARGE_ROOM // 2)}
    assert hub.pause(0.01) == pytest.approx(0.15)
    hub.screens[SESSION + 1] = {Held() for _ in range(realtime.LARGE_ROOM)}  # a second session: screens add up
    assert hub.pause(0.01) == pytest.approx(0.2)  # and no longer
    assert hub.pause(0.3) == 0.3  # reads and writes that took longer still pace it
    settings.MAJLIS_REALTIME_LARGE_TICK = 0.1  # embedded: the tick whatever the room
    assert hub.pause(0.01) == 0.1


def test_a_large_room_paces_the_ticks(paced, settings):
    settings.MAJLIS_REALTIME_LARGE_TICK = 8.0  # over the 5 s tick
    _in_own_loop(_a_large_room_paces_the_ticks, paced)


async def _a_large_room_paces_the_ticks(paced):
    hub, screen, push = await paced()
    try:
        hub.screens[SESSION + 1] = {Held() for _ in range(realtime.LARGE_ROOM - 1)}  # held here with the slow screen
        assert [await push() for _ in range(2)] == [8.0, 8.0]
        assert screen.offered == [1, 2]
    finally:
        await hub.stop()
