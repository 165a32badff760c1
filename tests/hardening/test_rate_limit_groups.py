"""How the writer counts the rate limits of a group of requests (limits.hit_many, the one function that counts): in
order, as if one by one, on the local-memory cache and on Redis (one pipeline for the group)."""

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


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_join_counters_name_the_code_however_it_is_typed(counters):
    hits = [throttles.join_hits(code=code, address="10.0.0.9") for code in ("ABC-123", "abc123", "ABC123", "ABC123")]
    refusals = throttles.hit_many(hits)
    assert refusals[:3] == [None, None, None]  # join_address: 3/m, one key for the three spellings
    assert refusals[3].limit == "join_address" and 1 <= refusals[3].retry_after <= 60


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_groups_share_the_counters_of_earlier_groups(counters):
    assert throttles.hit_many(_votes(7, 7, 7)) == [None] * 3
    later = throttles.hit_many(_votes(7, 7))
    assert later[0] is None and later[1].limit == "vote_participant"  # the fifth ballot of the minute (4/m)


def test_a_window_ends_and_counting_starts_again():
    with override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS={"x": "2/m"}, CACHES=LOCAL):
        cache.clear()
        hits = [[("x", "a")]]
        assert throttles.hit_many(hits * 2, now=120.0) == [None, None]
        (refused,) = throttles.hit_many(hits, now=150.0)
        assert refused.retry_after == 30
        assert throttles.hit_many(hits, now=181.0) == [None]  # the next minute
        cache.clear()


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
