"""The load generator reads the version off the front of a state it does not record (bench/loadgen.py)."""

import json

import pytest

from bench.loadgen import Client
from consultations.live.hub import encode

pytestmark = pytest.mark.slow


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


def test_vote_to_screen_by_version_and_the_bound_agree_on_a_lone_ballot_and_differ_when_others_are_in_flight():
    from bench.run import vote_to_screen, vote_to_screen_by_version

    # Client 0 votes on item 1 at t=10.0, acknowledged at 10.1 with version 7. Client 1 voted on item 1 at 10.05
    # and is acknowledged at 10.4 with version 8. Client 0's screen: a state of version 7 (item 1 at 1 vote) at
    # 10.3, then version 8 (2 votes) at 10.6.
    screen = [(9.0, 3, {1: 0}), (10.3, 7, {1: 1}), (10.6, 8, {1: 2})]
    records = [
        {"reading": True, "sampled": True, "ballots": [[1, 10.0, 10.1, 7]], "states": screen},
        {"reading": True, "sampled": False, "ballots": [[1, 10.05, 10.4, 8]], "states": []},
    ]
    # By version: the state of version 7 holds client 0's ballot. The bound cannot know that client 1's ballot (sent
    # before client 0's ack) was not committed first, so it waits for a tally of 2.
    assert [round(x, 3) for x in vote_to_screen_by_version(records)] == [0.3]
    assert [round(x, 3) for x in vote_to_screen(records)] == [0.6]
    records[0]["ballots"] = [[1, 10.0, 10.1, None]]  # an answer without a version: not measured by version
    assert vote_to_screen_by_version(records) == []
