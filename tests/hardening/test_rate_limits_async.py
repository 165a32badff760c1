"""The rate limits as the fast path checks them, on the event loop (throttles.acheck_vote / acheck_join): the same
counters and the same rules as the synchronous checks, on the local-memory cache and on Redis (one script per
request on an asyncio client)."""

import asyncio
import concurrent.futures
import os

import pytest
from django.core.cache import cache
from django.test import override_settings

from consultations.live import limits as throttles

from .test_rate_limits import LOW, dead_redis

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        "KEY_PREFIX": "majlis-test-async",
    }
}
LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "async-limits"}}


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
def counters(request):
    with override_settings(CACHES=LOCAL if request.param == "local" else REDIS):
        cache.clear()
        yield request.param
        cache.clear()


def _run(coroutine_function, **kwargs):
    """Run on a loop of its own, in a thread of its own (Playwright's sync API may hold a loop in this one), and
    close that loop's Redis client as the hub's stop does."""

    async def call():
        try:
            return await coroutine_function(**kwargs)
        finally:
            await throttles.aclose()

    with concurrent.futures.ThreadPoolExecutor(1) as own:
        return own.submit(lambda: asyncio.run(call())).result()


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_async_and_sync_checks_share_the_counters(counters):
    for _ in range(2):
        throttles.check_join(code="ABC-123", address="10.0.0.9")
    _run(throttles.acheck_join, code="abc123", address="10.0.0.9")  # the third: allowed (3/m), same key
    with pytest.raises(throttles.RateLimited) as refused:
        _run(throttles.acheck_join, code="ABC123", address="10.0.0.9")
    assert refused.value.limit == "join_address" and 1 <= refused.value.retry_after <= 60
    with pytest.raises(throttles.RateLimited):
        throttles.check_join(code="ABC123", address="10.0.0.9")


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_a_request_refused_by_one_limit_is_not_counted_against_the_next(counters):
    for _ in range(4):  # vote_participant: 4/m
        _run(throttles.acheck_vote, participant_id=7, session_id=3)
    for _ in range(3):
        with pytest.raises(throttles.RateLimited) as refused:
            _run(throttles.acheck_vote, participant_id=7, session_id=3)
        assert refused.value.limit == "vote_participant"
    # vote_session (6/m) counted 4 ballots, not 7: two more participants' ballots still go through.
    _run(throttles.acheck_vote, participant_id=8, session_id=3)
    _run(throttles.acheck_vote, participant_id=9, session_id=3)
    with pytest.raises(throttles.RateLimited) as refused:
        _run(throttles.acheck_vote, participant_id=10, session_id=3)
    assert refused.value.limit == "vote_session"


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=False, MAJLIS_RATE_LIMITS=LOW)
def test_nothing_is_counted_when_limits_are_off(counters):
    for _ in range(10):
        _run(throttles.acheck_vote, participant_id=7, session_id=3)
    with override_settings(MAJLIS_RATE_LIMITS_ENABLED=True):
        throttles.check_vote(participant_id=7, session_id=3)  # the first counted ballot


def test_async_checks_let_requests_through_when_redis_is_down(caplog):
    with override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW, CACHES=dead_redis()):
        for _ in range(8):  # more than either limit allows
            _run(throttles.acheck_vote, participant_id=1, session_id=1)
    assert "not counted: the cache is unavailable" in caplog.text


@pytest.mark.redis
def test_a_burst_larger_than_the_connection_pool_is_counted_in_full(monkeypatch):
    """Votes in flight at once on one loop: counted together in one pipeline, in order, none uncounted."""
    monkeypatch.setattr(throttles, "ASYNC_CONNECTIONS", 4)

    async def burst():
        results = await asyncio.gather(
            *(throttles.acheck_vote(participant_id=100 + i, session_id=5) for i in range(60)), return_exceptions=True
        )
        round_trips.append(throttles._async_counters[asyncio.get_running_loop()].pipelines)
        return [r for r in results if isinstance(r, throttles.RateLimited)]

    round_trips = []

    with override_settings(
        CACHES=REDIS, MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS={**LOW, "vote_session": "50/m"}
    ):
        cache.clear()
        refused = _run(burst)
        cache.clear()
    assert len(refused) == 10 and {r.limit for r in refused} == {"vote_session"}
    assert round_trips == [1]  # requests of one turn of the loop share one pipeline


# -- hit_many: the ballot box's writer counts a whole group's requests at once ------------------------------------
def _votes(*participants, session=3):
    return [throttles.vote_hits(participant_id=p, session_id=session) for p in participants]


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_a_group_counted_at_once_follows_the_rules_of_requests_counted_in_turn(counters):
    # Participant 7 sends 6 ballots (4/m), then 8, 9 and 10 one each, in one group: as one by one, 7's last two are
    # refused by its own limit and not counted against the session's (6/m), so 8 and 9 pass and 10 is refused.
    refusals = throttles.hit_many(_votes(7, 7, 7, 7, 7, 7, 8, 9, 10))
    assert [r and r.limit for r in refusals] == [None] * 4 + ["vote_participant"] * 2 + [None, None, "vote_session"]
    assert all(1 <= r.retry_after <= 60 for r in refusals if r)
    # The same counters as the checks on the event loop and in Django's throttles.
    with pytest.raises(throttles.RateLimited):
        _run(throttles.acheck_vote, participant_id=11, session_id=3)
    with pytest.raises(throttles.RateLimited):
        throttles.check_vote(participant_id=12, session_id=3)
    assert throttles.hit_many([[], *_votes(13, session=4)]) == [None, None]  # no counters; another session


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=False, MAJLIS_RATE_LIMITS=LOW)
def test_a_group_is_not_counted_when_limits_are_off(counters):
    assert throttles.hit_many(_votes(*[7] * 10)) == [None] * 10
    with override_settings(MAJLIS_RATE_LIMITS_ENABLED=True):
        assert throttles.hit_many(_votes(7)) == [None]  # the first counted ballot


@pytest.mark.redis
@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW, CACHES=REDIS)
def test_a_group_is_counted_in_one_round_trip_to_redis(monkeypatch):
    from redis.client import Pipeline

    cache.clear()
    executed = []
    execute = Pipeline.execute
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **k: executed.append(len(self)) or execute(self, *a, **k))
    refusals = throttles.hit_many(_votes(*range(100, 110)))
    cache.clear()
    assert executed == [10]  # one pipeline of one script call per request
    assert sum(r is not None for r in refusals) == 4  # vote_session: 6/m


def test_a_group_goes_through_uncounted_when_redis_is_down(caplog):
    with override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW, CACHES=dead_redis()):
        assert throttles.hit_many(_votes(*[1] * 8)) == [None] * 8  # more than either limit allows
    assert "not counted: the cache is unavailable" in caplog.text
