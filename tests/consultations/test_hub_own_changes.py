"""With several workers, a change made through this worker reaches its screens in the tick that announces it, and
the announcement's echo from Redis is not heard again (consultations/live/hub.py, Hub._tick and _receive_forever)."""

import asyncio
import concurrent.futures

from consultations.live import hub as realtime
from consultations.live.hub import Hub

HERE, THERE = "majlis.hub.here", "majlis.hub.there"


class FakeSnapshot:
    def __init__(self, version: int) -> None:
        self.version = version

    def for_audience(self, audience: str) -> dict:
        return {"version": self.version}


class Screen:
    audience = realtime.PUBLIC

    def __init__(self, session_id: int) -> None:
        self.session_id, self.offered = session_id, []

    def offer(self, version: int, text: str) -> None:
        self.offered.append(version)


class SharedLayer:  # stands for Redis: what is sent, and what the process's channel receives
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.inbox: asyncio.Queue = asyncio.Queue()

    async def group_send(self, group, message):
        self.sent.append((group, message))

    async def receive(self, channel):
        return await self.inbox.get()


def _run(scenario, monkeypatch):
    versions = iter(range(1, 100))

    async def read_snapshot(session_id):
        return FakeSnapshot(next(versions))

    monkeypatch.setattr(realtime, "read_snapshot", read_snapshot)
    with concurrent.futures.ThreadPoolExecutor(1) as own:  # a loop of its own (see test_tick_pacing.py)
        return own.submit(asyncio.run, scenario()).result()


def _hub(layer: SharedLayer) -> Hub:
    hub = Hub()
    hub.layer, hub.channel_name, hub.wakeup = layer, HERE, asyncio.Event()
    return hub


def test_a_change_made_here_is_announced_and_pushed_in_the_same_tick(monkeypatch):
    async def scenario():
        layer = SharedLayer()
        hub = _hub(layer)
        hub.announcing = asyncio.Event()
        screen = Screen(7)
        hub.screens[7].add(screen)
        hub.dirty.add(7)
        await hub._tick()
        pushed = list(screen.offered)
        assert hub.announcing.is_set()  # the announcer task is woken...
        await hub._announce_pending()  # ...and sends what the tick handed it, once
        await hub._announce_pending()
        return layer.sent, pushed, hub.reads

    sent, offered, reads = _run(scenario, monkeypatch)
    assert sent == [(realtime.group_name(7), {"type": realtime.LAYER_EVENT, "session": 7, "origin": HERE})]
    assert offered == [1] and reads == 1


class SlowLayer(SharedLayer):  # Redis behind a busy event loop: a group_send is several round trips
    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def group_send(self, group, message):
        await self.release.wait()
        await super().group_send(group, message)


def test_the_push_does_not_wait_for_the_announcement(monkeypatch):
    """A tick's reads and writes go ahead while the announcement to the other processes is still on its way
    (waiting for group_send held every screen of the process back by up to 280 ms a tick)."""

    async def scenario():
        layer = SlowLayer()
        hub = _hub(layer)
        hub.announcing = asyncio.Event()
        announcer = asyncio.ensure_future(hub._announce_forever())
        screen = Screen(7)
        hub.screens[7].add(screen)
        hub.dirty.add(7)
        await asyncio.wait_for(hub._tick(), 1.0)
        offered_before_announcing, sent_before = list(screen.offered), list(layer.sent)
        hub.dirty.update({7, 8})  # changed again while the first announcement is on its way, with another one
        await hub._tick()
        layer.release.set()
        for _ in range(10):
            await asyncio.sleep(0)
        announcer.cancel()
        return offered_before_announcing, sent_before, [m["session"] for _group, m in layer.sent]

    offered, sent_before, sent_after = _run(scenario, monkeypatch)
    assert offered == [1] and sent_before == []
    # The first announcement goes out; what changed after it was taken follows, each session once, in id order.
    assert sent_after == [7, 7, 8]


def test_the_echo_of_its_own_announcement_is_not_heard_but_the_other_workers_are(monkeypatch):
    async def scenario():
        layer = SharedLayer()
        hub = _hub(layer)
        receiving = asyncio.ensure_future(hub._receive_forever())
        for message in (
            {"type": realtime.LAYER_EVENT, "session": 7, "origin": HERE},
            {"type": realtime.LAYER_EVENT, "session": 8, "origin": THERE},
            {"type": realtime.LAYER_EVENT, "session": 9},
        ):
            layer.inbox.put_nowait(message)
        while not layer.inbox.empty():
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        receiving.cancel()
        return hub.stale

    assert _run(scenario, monkeypatch) == {8, 9}


class RunningLayer(SlowLayer):  # what a started hub asks of Redis: its channel, its groups, its inbox
    async def new_channel(self, prefix):
        return prefix + "here"

    async def group_add(self, group, channel):
        pass

    async def group_discard(self, group, channel):
        pass


def test_a_started_hub_pushes_a_change_here_and_its_own_task_announces_it(monkeypatch, settings):
    """The hub's tasks as the server runs them (ensure_started, notify): the screen here gets the state while the
    announcement still waits for a slow Redis, and the announcer task sends it once Redis answers."""
    settings.MAJLIS_REALTIME_TICK = settings.MAJLIS_REALTIME_LARGE_TICK = 0.01
    layer = RunningLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)

    async def scenario():
        hub = Hub()
        screen = Screen(7)
        try:
            await hub.ensure_started()
            assert {task.get_name() for task in hub.tasks} >= {"majlis-hub-tick", "majlis-hub-announce"}
            await hub.subscribe(screen)
            hub.notify(7)  # a service committed a change of session 7 in this process
            for _ in range(200):
                if screen.offered:
                    break
                await asyncio.sleep(0.005)
            pushed, sent_while_slow = list(screen.offered), list(layer.sent)
            layer.release.set()
            for _ in range(200):
                if layer.sent:
                    break
                await asyncio.sleep(0.005)
            return pushed, sent_while_slow, [(group, m["session"]) for group, m in layer.sent]
        finally:
            await hub.stop()

    pushed, sent_while_slow, sent = _run(scenario, monkeypatch)
    assert pushed == [1] and sent_while_slow == []
    assert sent == [(realtime.group_name(7), 7)]
