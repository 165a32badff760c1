"""The load generator reads the version off the front of a state it does not record (bench/loadgen.py)."""

import json

from bench.loadgen import Client
from consultations.realtime import encode


def _client(*, recording: bool) -> Client:
    client = Client(0, [1], sampled=True)  # its asyncio events bind to a loop only when awaited
    client.recording = recording
    return client


def test_an_unrecorded_screen_takes_the_version_from_the_app_and_the_reference_states():
    client = _client(recording=False)
    app_state = encode({"type": "state", "version": 41, "phase": "challenge_voting", "items": [{"id": 1, "votes": 9}]})
    client.on_message(app_state)
    assert client.max_version == 41 and client.states == []
    client.on_message(json.dumps({"type": "state", "version": 42, "participants": 3, "items": []}))  # the reference
    assert client.max_version == 42
    client.on_message(encode({"type": "state", "version": 7, "items": []}))  # an older state never lowers it
    assert client.max_version == 42
    client.on_message('{"type":"state","version":43,"items":[' + "x" * 50)  # the rest is not even read
    assert client.max_version == 43


def test_a_recorded_screen_parses_the_whole_state():
    client = _client(recording=True)
    items = [{"id": 3, "votes": 2}, {"id": 4, "votes": None}]
    client.on_message(encode({"type": "state", "version": 5, "items": items}))
    assert client.max_version == 5
    assert [(version, tallies) for _t, version, tallies in client.states] == [(5, {3: 2, 4: 0})]
