"""Two worker processes' hubs on one Redis channel layer (consultations/realtime.py, step 2 of its docstring): the
process where a change happened pushes it to its own screens in the same tick and ignores its own announcement;
the other process pushes it once it hears the announcement."""

import asyncio
import os

import pytest

from consultations import realtime
from consultations.realtime import Hub

pytestmark = [pytest.mark.asyncio, pytest.mark.redis]

SESSION = 52


class FakeSnapshot:
    def __init__(self, version: int) -> None:
        self.version = version

    def for_audience(self, audience: str) -> dict:
        return {"version": self.version}


class Screen:
    def __init__(self) -> None:
        self.session_id, self.audience = SESSION, realtime.PUBLIC
        self.versions: list[int] = []
        self.arrived = asyncio.Event()

    def offer(self, version: int, text: str) -> None:
        self.versions.append(version)
        self.arrived.set()


async def test_the_writing_process_pushes_at_once_and_the_other_when_it_hears(monkeypatch, settings):
    from channels_redis.core import RedisChannelLayer

    settings.MAJLIS_REALTIME_TICK = 0.01
    layer = RedisChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=f"test-announce-{os.getpid()}")
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    versions = iter(range(1, 1000))

    async def read_snapshot(session_id):
        return FakeSnapshot(next(versions))

    monkeypatch.setattr(realtime, "read_snapshot", read_snapshot)
    writer, other = Hub(), Hub()
    screens = {writer: Screen(), other: Screen()}
    try:
        for hub, screen in screens.items():
            await hub.subscribe(screen)  # starts the hub: a channel of its own in the session's group
        writer.loop.call_soon(writer._mark_dirty, SESSION)  # as notify() does after a commit in this process
        await asyncio.wait_for(screens[writer].arrived.wait(), 5)
        assert writer.reads == 1 and screens[writer].versions == [1]  # pushed in the tick that announced it
        await asyncio.wait_for(screens[other].arrived.wait(), 5)
        assert other.reads == 1
        await asyncio.sleep(0.3)  # the writer's own announcement comes back through Redis meanwhile
        assert writer.reads == 1  # ...and is ignored: no second read for a change it has already pushed
        assert other.reads == 1
    finally:
        for hub in screens:
            await hub.stop()
        await layer.flush()
