"""The rate limits as the fast path checks them, on the event loop (throttles.acheck_vote / acheck_join): the same
counters and the same rules as the synchronous checks, on the local-memory cache and on Redis (one script per
request on an asyncio client)."""

import asyncio
import concurrent.futures
import os

import pytest
from django.core.cache import cache
from django.test import override_settings

from consultations import throttles

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
