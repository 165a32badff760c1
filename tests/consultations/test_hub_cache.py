"""A new socket starts from the state its process last pushed, and only while that state cannot be stale."""

import pytest
from channels.db import database_sync_to_async

from consultations.live.hub import Hub
from consultations.selectors import PUBLIC

from .conftest import join

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class FakeScreen:
    def __init__(self, session_id):
        self.session_id, self.audience, self.offered = session_id, PUBLIC, []

    def offer(self, version, text):
        self.offered.append((version, text))


async def test_the_last_pushed_state_serves_new_sockets_until_the_session_changes_or_empties(live_session):
    hub = Hub()
    try:
        first = FakeScreen(live_session.pk)
        await hub.subscribe(first)
        assert hub.latest(live_session.pk, PUBLIC) is None  # nothing pushed yet: a new socket reads its own
        hub.stale.add(live_session.pk)
        await hub._tick()
        reads = hub.reads
        version, text = first.offered[-1]
        assert hub.latest(live_session.pk, PUBLIC) == (version, text)
        assert hub.reads == reads  # served without a read

        await database_sync_to_async(join)(live_session)  # a change: the copy is dropped until the new state is read
        hub.stale.add(live_session.pk)
        await hub._tick()
        newer = hub.latest(live_session.pk, PUBLIC)
        assert newer[0] > version and newer == first.offered[-1]

        await hub.unsubscribe(first)  # no screen left: this process no longer hears of changes
        assert hub.latest(live_session.pk, PUBLIC) is None
    finally:
        await hub.stop()
