"""Rate limits of what participants do: join, submit items, vote (docs/security.md).

Counted in ONE place: the writer (writer.py) counts every participant request it receives with the request's
counters (`ingest.py` names them: `join_hits`, `submit_hits`, `vote_hits`), by `hit_many`, before it runs anything;
the whole group in one round trip to Redis. The fast path, the API's views and the pages all reach the writer through
ingest, so a request is counted the same way whichever door it came in by.

Counters live in Django's cache: Redis in production (settings.CACHES with REDIS_URL), so every worker shares
them; the local-memory cache when embedded. Each limit is a fixed window ("<count>/<s|m|h>") counted with
an atomic SET NX + INCR (a Lua script, one pipeline for a group), or cache.add + cache.incr locally. A request over
a limit is refused with 429, a translated {"detail", "code": "rate_limited"} and a Retry-After header (API), or a
translated message (pages).

Limits (settings.MAJLIS_RATE_LIMITS; switched off with MAJLIS_RATE_LIMITS=0):
- join_address / join_session: joins of one session from one address / in all. One hall's Wi-Fi is one
  address for a whole room, so the per-address limit lets 1,000 people join within a minute; what stops a script's
  repeated joins is the session's join policy (consultations/joins.py), not this limit.
- submit_participant / submit_session: items submitted by one participant / in one session.
- vote_participant / vote_session: ballots (cast or withdrawn) of one participant / in one session.
A participant's limits key on the ids in its signed token, checked without a database query, so that the vote
hot path stays free of queries; a request without a valid token is not counted (it is refused anyway).
"""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from cities.errors import DomainError

from . import internals

PERIODS = {"s": 1, "m": 60, "h": 3600}
logger = logging.getLogger(__name__)
CACHE_PREFIX = "majlis:rate"

MESSAGE = _("Too many requests. Please wait %(seconds)s seconds and try again.")

Hits = list[tuple[str, str]]  # the (limit, ident) counters of one request, in the order they are counted


def _wait_message(seconds: int) -> str:
    return MESSAGE % {"seconds": seconds}


# Worded in the language active where it is read: a refusal is made in the writer's thread, read in the request's.
_wait_message_lazy = lazy(_wait_message, str)


class RateLimited(DomainError):
    """A limit was reached: 429 `rate_limited`. retry_after: seconds until the window ends (the Retry-After header
    the API answers with)."""

    code = "rate_limited"
    status_code = 429

    def __init__(self, *, limit: str, retry_after: int):
        self.limit = limit
        self.retry_after = max(1, int(retry_after))
        super().__init__(_wait_message_lazy(self.retry_after))


@dataclass(frozen=True)
class Rate:
    count: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """'600/m' -> Rate(600, 60). Raises ValueError for anything else."""
        count, _, unit = text.strip().partition("/")
        unit = unit.strip().lower()
        if unit[:1] not in PERIODS or not count.strip().isdigit():
            raise ValueError(f"rate {text!r}: expected '<count>/<s|m|h>'")
        return cls(int(count), PERIODS[unit[:1]])


def limits_enabled() -> bool:
    return bool(getattr(settings, "MAJLIS_RATE_LIMITS_ENABLED", True))


def rate_for(limit: str) -> Rate | None:
    text = (getattr(settings, "MAJLIS_RATE_LIMITS", {}) or {}).get(limit)
    return Rate.parse(text) if text else None


def vote_hits(*, participant_id: int, session_id: int) -> Hits:
    """The counters a ballot (cast or withdrawn) is counted against, in order."""
    return [("vote_participant", str(participant_id)), ("vote_session", str(session_id))]


def submit_hits(*, participant_id: int, session_id: int) -> Hits:
    """The counters a submitted item is counted against, in order."""
    return [("submit_participant", str(participant_id)), ("submit_session", str(session_id))]


def join_hits(*, code: str, address: str) -> Hits:
    """The counters a join is counted against, in order."""
    code = (code or "").upper().replace("-", "")
    return [("join_address", f"{code}:{address or '-'}"), ("join_session", code)]


_counters = None


def _counters_cache():
    """One cache backend object for the whole process. `django.core.cache.cache` is one per thread and asyncio
    context, and each Redis backend object has its own connection pool: every thread that counts would open a Redis
    connection of its own."""
    global _counters
    if _counters is None:
        _counters = caches.create_connection(DEFAULT_CACHE_ALIAS)
    return _counters


@receiver(setting_changed)
def _forget_counters_cache(*, setting, **kwargs):
    global _counters
    if setting == "CACHES":
        _counters = None


def _local_hit(backend, limit: str, ident: str, now: float) -> None:
    """Count one request against limit for ident in a local cache; raise RateLimited past the window's count."""
    rate = rate_for(limit)
    if rate is None:
        return
    window = int(now // rate.period)
    key = f"{CACHE_PREFIX}:{limit}:{ident}:{window}"
    backend.add(key, 0, timeout=rate.period + 1)
    try:
        count = backend.incr(key)
    except ValueError:  # expired between add and incr: this request opens a new window
        backend.add(key, 1, timeout=rate.period + 1)
        count = 1
    if count > rate.count:
        raise RateLimited(limit=limit, retry_after=math.ceil((window + 1) * rate.period - now))


# Count each key in turn and stop at the first one over its limit (a request refused by one limit is not counted
# against the next): KEYS are the counters, ARGV their (limit, timeout) pairs.
_COUNT_SCRIPT = """
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[2 * i], 'NX')
  local count = redis.call('INCR', key)
  if count > tonumber(ARGV[2 * i - 1]) then return {i, count} end
end
return {0, 0}
"""


def _keys(backend: RedisCache, hits: Hits, now: float) -> list[tuple[str, Rate, int, str]]:
    """(limit, rate, window, Redis key) of each counter hits touch now (limits that are not set are left out)."""
    counted = []
    for limit, ident in hits:
        rate = rate_for(limit)
        if rate is not None:
            window = int(now // rate.period)
            key = backend.make_and_validate_key(f"{CACHE_PREFIX}:{limit}:{ident}:{window}")
            counted.append((limit, rate, window, key))
    return counted


def _script_args(counted) -> list[int]:
    return [value for _limit, rate, _window, _key in counted for value in (rate.count, rate.period + 1)]


def _refusal(counted, over, now: float) -> RateLimited | None:
    """The counting script's answer (the 1-based index of the counter over its limit, or 0) as a refusal."""
    if not over:
        return None
    limit, rate, window, _key = counted[int(over) - 1]
    return RateLimited(limit=limit, retry_after=math.ceil((window + 1) * rate.period - now))


def hit_many(requests: list[Hits], *, now: float | None = None) -> list[RateLimited | None]:
    """Count each request's counters in turn, for many requests at once, in their order: the refusal of each (None
    when allowed). With Redis, ONE round trip for all of them (a pipeline of the counting script). The only function
    that counts: the writer calls it for each group it receives (writer.py)."""
    if not limits_enabled():
        return [None] * len(requests)
    backend = _counters_cache()
    now = time.time() if now is None else now
    if not isinstance(backend, RedisCache):
        refusals: list[RateLimited | None] = []
        for hits in requests:
            try:
                for limit, ident in hits:
                    _local_hit(backend, limit, ident, now)
            except RateLimited as limited:
                refusals.append(limited)
            except Exception:  # the cache is down: the request goes on, uncounted (fault drill, operations.md)
                logger.warning("Rate limits %s not counted: the cache is unavailable", [limit for limit, _ in hits])
                refusals.append(None)
            else:
                refusals.append(None)
        return refusals
    counted = [_keys(backend, hits, now) for hits in requests]
    if not any(counted):
        return [None] * len(requests)
    try:
        with internals.redis_client(backend).pipeline(transaction=False) as pipe:
            for keys in counted:
                if keys:
                    pipe.eval(_COUNT_SCRIPT, len(keys), *[key for *_rest, key in keys], *_script_args(keys))
            answers = iter(pipe.execute())
    except Exception:  # the cache (Redis) is down: votes and joins go on, uncounted (fault drill, operations.md)
        logger.warning("Rate limits of %d requests not counted: the cache is unavailable", len(requests))
        return [None] * len(requests)
    return [_refusal(keys, next(answers)[0], now) if keys else None for keys in counted]


def client_address(request) -> str:
    """The caller's address as the ASGI/WSGI server reports it. Behind a proxy, the server must be told to
    trust the proxy's X-Forwarded-For (uvicorn --proxy-headers --forwarded-allow-ips); the header itself is
    never read here, so that a client cannot choose its own address (docs/operations.md)."""
    return request.META.get("REMOTE_ADDR", "") or "-"
