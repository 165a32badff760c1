"""The ballot box: ballots sent over the API are committed in groups, each checked by the service."""

import threading
import time
from concurrent.futures import Future

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from consultations import services
from consultations.live import writer as box_module
from consultations.live.writer import ballot_box
from consultations.models import Ballot, Item, Participant, Session
from consultations.tokens import participant_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def group_commit(settings):
    settings.MAJLIS_BALLOT_GROUP_COMMIT = True


@pytest.fixture
def voting(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Box", created_by=facilitator, participants_may_be_minors=False
    )
    session = services.session_create(consultation=consultation, title="Box", created_by=facilitator)
    author = services.participant_join(code=session.join_code, consent=True)
    services.session_set_phase(session=session, phase="challenges", actor=facilitator)
    items = [services.item_submit(participant=author, kind="challenge", text=f"Item {i}") for i in range(2)]
    services.session_set_phase(session=session, phase="challenge_voting", actor=facilitator)
    return session, items


def _client(participant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(participant)}")
    return client


def _in_parallel(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i):
        try:
            barrier.wait()
            results[i] = calls[i]()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_ballots_are_committed_in_fewer_groups_and_all_counted(voting):
    session, items = voting
    voters = [services.participant_join(code=session.join_code, consent=True) for _ in range(40)]
    batches_before = ballot_box.batches
    url = f"/api/v1/sessions/{session.join_code}/votes"
    responses = _in_parallel([lambda p=p: _client(p).post(url, {"item": items[0].pk}, format="json") for p in voters])
    assert [r.status_code for r in responses] == [201] * 40
    assert Ballot.objects.filter(item=items[0]).count() == 40
    assert 1 <= ballot_box.batches - batches_before <= 40


def test_a_refused_ballot_does_not_spoil_the_others_in_its_group(voting, facilitator):
    session, items = voting
    services.item_moderate(item=items[1], action="hide", actor=facilitator)
    voters = [services.participant_join(code=session.join_code, consent=True) for _ in range(20)]
    url = f"/api/v1/sessions/{session.join_code}/votes"
    calls = [
        lambda p=p, i=i: _client(p).post(url, {"item": items[i % 2].pk}, format="json") for i, p in enumerate(voters)
    ]
    statuses = [r.status_code for r in _in_parallel(calls)]
    assert statuses == [201 if i % 2 == 0 else 404 for i in range(20)]
    assert Ballot.objects.filter(item=items[0]).count() == 10
    assert not Ballot.objects.filter(item=items[1]).exists()


def test_a_token_of_an_erased_participant_is_refused(voting):
    session, items = voting
    participant = services.participant_join(code=session.join_code, consent=True)
    client = _client(participant)
    Participant.objects.filter(pk=participant.pk).delete()
    response = client.post(f"/api/v1/sessions/{session.join_code}/votes", {"item": items[0].pk}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "unknown_participant"


def test_a_token_for_another_session_is_refused_before_any_write(voting, facilitator):
    session, items = voting
    other = services.session_create(consultation=session.consultation, title="Other", created_by=facilitator)
    stranger = services.participant_join(code=other.join_code, consent=True)
    response = _client(stranger).post(
        f"/api/v1/sessions/{session.join_code}/votes", {"item": items[0].pk}, format="json"
    )
    assert response.status_code == 403
    assert not Ballot.objects.filter(participant=stranger).exists()


def test_withdraw_goes_through_the_box_too(voting):
    session, items = voting
    participant = services.participant_join(code=session.join_code, consent=True)
    client = _client(participant)
    client.post(f"/api/v1/sessions/{session.join_code}/votes", {"item": items[0].pk}, format="json")
    response = client.delete(f"/api/v1/sessions/{session.join_code}/votes/{items[0].pk}")
    assert response.json() == {"item": items[0].pk, "withdrawn": True}
    assert not Ballot.objects.exists()


# --- Round trips: a group waits for each of them (docs/benchmarks.md) ------------------------------------------


def _entry(fn, **kwargs):
    return (fn, kwargs, Future())


def _statements(batch):
    """Run a batch as the writer thread does (here, in the test's thread) and return the SQL it sent."""
    with CaptureQueriesContext(connection) as captured:
        ballot_box._try_commit(batch)
    return [query["sql"].split()[0].upper() for query in captured.captured_queries]


def test_a_group_of_ballots_alone_has_no_savepoint_and_a_mixed_group_one_per_run(voting):
    session, items = voting
    voters = [
        Participant(pk=p.pk, session_id=session.pk)
        for p in (services.participant_join(code=session.join_code, consent=True) for _ in range(3))
    ]
    ballots_only = [_entry(services.vote_cast, participant=p, item_id=items[0].pk) for p in voters]
    assert "SAVEPOINT" not in _statements(ballots_only)
    mixed = [
        _entry(services.vote_withdraw, participant=voters[0], item_id=items[0].pk),
        _entry(services.vote_cast, participant=voters[1], item_id=items[1].pk),
    ]
    assert _statements(mixed).count("SAVEPOINT") >= 2  # one per run (vote_withdraw, atomic itself, adds its own)
    assert sorted(Ballot.objects.values_list("participant_id", "item_id")) == [
        (voters[1].pk, items[0].pk),
        (voters[1].pk, items[1].pk),
        (voters[2].pk, items[0].pk),
    ]


def test_a_group_of_one_run_that_fails_after_writing_keeps_nothing_and_answers_every_request(voting, monkeypatch):
    session, items = voting
    voters = [
        Participant(pk=p.pk, session_id=session.pk)
        for p in (services.participant_join(code=session.join_code, consent=True) for _ in range(2))
    ]
    version = Session.objects.get(pk=session.pk).version

    def writes_then_breaks(requests):
        services.vote_cast_many(requests)  # ballots, version and tallies written in the group's transaction
        raise RuntimeError("broken after writing")

    monkeypatch.setitem(box_module.GROUPED, services.vote_cast, writes_then_breaks)
    batch = [_entry(services.vote_cast, participant=p, item_id=items[0].pk) for p in voters]
    outcomes = ballot_box._try_commit(batch)
    assert [(value, str(exc)) for _future, value, exc in outcomes] == [(None, "broken after writing")] * 2
    assert not Ballot.objects.exists()
    assert Item.objects.get(pk=items[0].pk).tally == 0
    assert Session.objects.get(pk=session.pk).version == version


def _round_trips(tmp_path, batch) -> tuple[int, list]:
    """Run a batch as the writer thread does (here, in the test's thread); returns its round trips to PostgreSQL (the
    server's ReadyForQuery messages in libpq's trace: one per simple query, one per pipeline's Sync) and its outcomes
    (future, value, error) per request."""
    from psycopg.pq import Trace

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    path = tmp_path / "libpq.trace"
    with open(path, "w") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        try:
            outcomes = ballot_box._try_commit(batch)
        finally:
            pgconn.untrace()
    return sum("ReadyForQuery" in line for line in path.read_text().splitlines()), outcomes


@pytest.mark.postgres
def test_a_group_of_ballots_costs_four_round_trips_whatever_its_size(voting, monkeypatch, tmp_path):
    """BEGIN (psycopg sends it alone), the group's reads, its writes with the tallies, its COMMIT: under load every
    round trip waits for the writer thread's turn on a core while the participants' rows stay locked."""
    session, items = voting
    monkeypatch.setattr(ballot_box, "_last_group", time.monotonic())  # busy: no check of the connection first
    joined = [services.participant_join(code=session.join_code, consent=True) for _ in range(20)]
    voters = [Participant(pk=p.pk, session_id=session.pk) for p in joined]
    first = [_entry(services.vote_cast, participant=p, item_id=items[0].pk) for p in voters]
    round_trips, outcomes = _round_trips(tmp_path, first)
    assert round_trips == 4
    assert [(value.created, error) for _future, value, error in outcomes] == [(True, None)] * 20
    # New ballots, changed points (dot voting's update) and unchanged ones in one group: still four.
    Session.objects.filter(pk=session.pk).update(challenge_voting_method="dots", dot_points=5, dot_max_per_item=5)
    mixed = [
        _entry(services.vote_cast, participant=p, item_id=items[n % 2].pk, points=1 + n % 3)
        for n, p in enumerate(voters)
    ]
    round_trips, outcomes = _round_trips(tmp_path, mixed)
    assert round_trips == 4
    assert [error for _future, _value, error in outcomes] == [None] * 20
    even, odd = range(0, 20, 2), range(1, 20, 2)  # even voters change their points, odd ones add a second ballot
    assert Item.objects.get(pk=items[0].pk).tally == sum(1 + n % 3 for n in even) + len(odd)
    assert Item.objects.get(pk=items[1].pk).tally == sum(1 + n % 3 for n in odd)


def test_the_connection_is_checked_only_after_an_idle_second(voting, monkeypatch):
    session, items = voting
    voter = Participant(pk=services.participant_join(code=session.join_code, consent=True).pk, session_id=session.pk)
    connection.ensure_connection()
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    monkeypatch.setattr(ballot_box, "_last_group", time.monotonic())  # a group just ended: busy
    ballot_box._try_commit([_entry(services.vote_cast, participant=voter, item_id=items[0].pk)])
    assert checks == []
    monkeypatch.setattr(ballot_box, "_last_group", time.monotonic() - box_module.IDLE_CHECK - 0.5)
    ballot_box._try_commit([_entry(services.vote_cast, participant=voter, item_id=items[1].pk)])
    assert checks == [1]


def test_requests_over_their_rate_limits_are_refused_before_anything_is_written(voting, settings):
    from django.core.cache import cache

    from consultations.live import limits as throttles

    session, items = voting
    settings.MAJLIS_RATE_LIMITS_ENABLED = True
    settings.MAJLIS_RATE_LIMITS = {**settings.MAJLIS_RATE_LIMITS, "vote_session": "3/m", "vote_participant": "9/m"}
    cache.clear()
    voters = [
        Participant(pk=p.pk, session_id=session.pk)
        for p in (services.participant_join(code=session.join_code, consent=True) for _ in range(5))
    ]
    futures = [
        ballot_box.submit(
            services.vote_cast,
            throttles.vote_hits(participant_id=p.pk, session_id=session.pk),
            participant=p,
            item_id=items[0].pk,
        )
        for p in voters
    ]
    outcomes = [future.exception(timeout=30) for future in futures]
    cache.clear()
    assert outcomes[:3] == [None] * 3  # counted in the order they arrived, whatever the groups
    assert [type(o) for o in outcomes[3:]] == [throttles.RateLimited] * 2
    assert outcomes[3].limit == "vote_session" and outcomes[3].retry_after >= 1
    assert sorted(Ballot.objects.values_list("participant_id", flat=True)) == [p.pk for p in voters[:3]]
    assert Item.objects.get(pk=items[0].pk).tally == 3


def test_the_writer_counts_a_whole_group_at_once(monkeypatch):
    calls = []
    monkeypatch.setattr(
        box_module.limits,
        "hit_many",
        lambda requests: calls.append(requests) or [None, RuntimeError("over")][: len(requests)],
    )
    waiting = [
        (print, {}, Future(), [("vote_participant", "1")]),
        (print, {}, Future(), None),
        (print, {}, Future(), [("vote_participant", "2")]),
    ]
    batch = box_module._within_limits(waiting)
    assert calls == [[[("vote_participant", "1")], [("vote_participant", "2")]]]  # one call: both counted requests
    assert [entry[2] for entry in batch] == [waiting[0][2], waiting[1][2]]  # uncounted requests pass through
    assert str(waiting[2][2].exception(timeout=0)) == "over" and not waiting[0][2].done()


def test_a_failure_to_count_the_limits_answers_the_group_and_the_writer_goes_on(voting, monkeypatch):
    session, items = voting
    voter = Participant(pk=services.participant_join(code=session.join_code, consent=True).pk, session_id=session.pk)

    def broken(requests):
        raise ValueError("rate 'x/y': expected '<count>/<s|m|h>'")

    monkeypatch.setattr(box_module.limits, "hit_many", broken)
    refused = ballot_box.submit(services.vote_cast, [("vote_participant", "1")], participant=voter, item_id=items[0].pk)
    assert "expected" in str(refused.exception(timeout=30))
    assert not Ballot.objects.exists()  # nothing of the group was written
    kept = ballot_box.submit(services.vote_cast, None, participant=voter, item_id=items[0].pk)  # the writer lives on
    assert kept.result(timeout=30).created


@pytest.mark.postgres
def test_without_pipeline_mode_a_group_goes_statement_by_statement_and_decides_the_same(voting, monkeypatch, tmp_path):
    """A psycopg built on a libpq older than 14 has no pipeline mode: ballot_rows.round_trip then sends each statement
    on its own, and the group's answers and tallies are the same."""
    from consultations.live import rows as ballot_rows

    monkeypatch.setattr(ballot_rows, "_pipeline_supported", lambda: False)
    session, items = voting
    monkeypatch.setattr(ballot_box, "_last_group", time.monotonic())
    joined = [services.participant_join(code=session.join_code, consent=True) for _ in range(5)]
    batch = [
        _entry(services.vote_cast, participant=Participant(pk=p.pk, session_id=session.pk), item_id=items[0].pk)
        for p in joined
    ]
    round_trips, outcomes = _round_trips(tmp_path, batch)
    assert round_trips == 9  # BEGIN, three reads, the insert, the version, the statuses again, the tallies, COMMIT
    assert [(value.created, error) for _future, value, error in outcomes] == [(True, None)] * 5
    assert Item.objects.get(pk=items[0].pk).tally == 5
