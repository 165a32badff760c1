"""A screen that stops reading holds one pending state at most: the server's memory cannot grow with it."""

import asyncio

from consultations.sockets import SessionSocket


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
