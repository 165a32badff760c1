"""The hub writes a state to a very large room's sockets in batches of FANOUT_BATCH, serving the event loop in between
(consultations/live/hub.py, Hub._push); a worker's share of a room of 2,000 is written in one go."""

import asyncio
import concurrent.futures

from consultations.live import hub as realtime
from consultations.live.hub import FANOUT_BATCH, Hub

SESSION = 43


class FakeSnapshot:
    version = 7

    def for_audience(self, audience: str) -> dict:
        return {"version": self.version, "audience": audience}


class Screen:
    def __init__(self, room: list) -> None:
        self.session_id, self.audience, self.room = SESSION, realtime.PUBLIC, room

    def offer(self, version: int, text: str) -> None:
        self.room.append((version, text))


def _push_while_other_work_waits(monkeypatch, sockets: int) -> tuple[list, list[int]]:
    """Push one state to `sockets` screens while another task keeps asking for the loop; returns the offers and how
    many screens had been written each time the other task ran."""

    async def read_snapshot(session_id):
        return FakeSnapshot()

    monkeypatch.setattr(realtime, "read_snapshot", read_snapshot)

    async def scenario():
        hub = Hub()
        offers: list = []
        for _ in range(sockets):
            hub.screens[SESSION].add(Screen(offers))
        seen: list[int] = []
        done = asyncio.Event()

        async def other_work():  # an acknowledgement waiting for its turn, again and again
            while not done.is_set():
                seen.append(len(offers))
                await asyncio.sleep(0)

        other = asyncio.ensure_future(other_work())
        await asyncio.sleep(0)
        await hub._push(SESSION)
        done.set()
        await other
        return offers, seen

    with concurrent.futures.ThreadPoolExecutor(1) as own:  # a loop of its own (see test_tick_pacing.py)
        return own.submit(asyncio.run, scenario()).result()


def test_a_large_room_is_written_in_batches_with_the_loop_served_between_them(monkeypatch):
    sockets = FANOUT_BATCH * 3 + 17
    offers, seen = _push_while_other_work_waits(monkeypatch, sockets)
    assert len(offers) == sockets and len(set(offers)) == 1  # every screen got the one state
    between = sorted({n for n in seen if 0 < n < sockets})
    assert between == [FANOUT_BATCH, 2 * FANOUT_BATCH, 3 * FANOUT_BATCH]


def test_a_small_room_is_written_in_one_go(monkeypatch):
    offers, seen = _push_while_other_work_waits(monkeypatch, FANOUT_BATCH)
    assert len(offers) == FANOUT_BATCH
    assert not [n for n in seen if 0 < n < FANOUT_BATCH]


def test_a_workers_share_of_a_room_of_two_thousand_is_written_in_one_go(monkeypatch):
    """Each turn given to other work between batches stretched the fan-out under load: a room of 2,000
    on two workers is written in one go by each of them."""
    offers, seen = _push_while_other_work_waits(monkeypatch, 1000)
    assert len(offers) == 1000
    assert not [n for n in seen if 0 < n < 1000]
