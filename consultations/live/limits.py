"""Rate limits of what participants do: join, submit items, vote (docs/security.md).

Counters live in Django's cache: Redis in production (settings.CACHES with REDIS_URL), so every worker shares
them; the local-memory cache when embedded. Each limit is a fixed window ("<count>/<s|m|h>") counted with
an atomic SET NX + INCR (one round trip to Redis), or cache.add + cache.incr locally. A request over a limit is
refused with 429, a translated {"detail", "code": "rate_limited"} and a Retry-After header (API), or a translated
message (pages).

Limits (settings.MAJLIS_RATE_LIMITS; switched off with MAJLIS_RATE_LIMITS=0):
- join_address / join_session: joins of one session from one address / in all. One hall's Wi-Fi is one
  address for a whole room, so the per-address limit lets 1,000 people join within a minute; what stops a script's
  repeated joins is the session's join policy (consultations/joins.py), not this limit.
- submit_participant / submit_session: items submitted by one participant / in one session.
- vote_participant / vote_session: ballots (cast or withdrawn) of one participant / in one session.
A participant's limits key on the ids in its signed token, checked without a database query, so that the vote
hot path stays free of queries; a request without a valid token is not counted (the view refuses it anyway).
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from ..tokens import participant_claims

PERIODS = {"s": 1, "m": 60, "h": 3600}
logger = logging.getLogger(__name__)
CACHE_PREFIX = "majlis:rate"

MESSAGE = _("Too many requests. Please wait %(seconds)s seconds and try again.")


class RateLimited(Exception):
    """A limit was reached. retry_after: seconds until the window ends."""

    code = "rate_limited"
    status_code = 429

    def __init__(self, *, limit: str, retry_after: int):
        self.limit = limit
        self.retry_after = max(1, int(retry_after))
        super().__init__(f"{limit}: retry after {self.retry_after}s")

    @property
    def message(self) -> str:
        """In the language active where it is read (the refusal may be made in the ballot box's writer thread)."""
        return MESSAGE % {"seconds": self.retry_after}


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


def hit(limit: str, ident: str, *, now: float | None = None) -> None:
    """Count one request against limit for ident; raise RateLimited once the window's count is exceeded."""
    rate = rate_for(limit)
    if rate is None:
        return
    now = time.time() if now is None else now
    window = int(now // rate.period)
    key = f"{CACHE_PREFIX}:{limit}:{ident}:{window}"
    try:
        count = _count(key, rate.period + 1)
    except Exception:  # the cache (Redis) is down: votes and joins go on, uncounted (fault drill, operations.md)
        logger.warning("Rate limit %s not counted: the cache is unavailable", limit)
        return
    if count > rate.count:
        raise RateLimited(limit=limit, retry_after=math.ceil((window + 1) * rate.period - now))


_counters = None


def _counters_cache():
    """One cache backend object for the whole process. `django.core.cache.cache` is one per thread and asyncio
    context, and each Redis backend object has its own connection pool: the fast path's worker threads and
    contexts would open a new Redis connection for nearly every vote."""
    global _counters
    if _counters is None:
        _counters = caches.create_connection(DEFAULT_CACHE_ALIAS)
    return _counters


@receiver(setting_changed)
def _forget_counters_cache(*, setting, **kwargs):
    global _counters
    if setting == "CACHES":
        _counters = None
        _async_counters.clear()


def _count(key: str, timeout: int) -> int:
    """Add one to the counter at key (created with the timeout) and return it: one round trip to Redis."""
    backend = _counters_cache()
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(key)
        with backend._cache.get_client(key, write=True).pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
            return int(pipe.execute()[1])
    backend.add(key, 0, timeout=timeout)
    try:
        return backend.incr(key)
    except ValueError:  # expired between add and incr: this request opens a new window
        backend.add(key, 1, timeout=timeout)
        return 1


def check_join(*, code: str, address: str) -> None:
    """Before a join of the session with code from address. Raises RateLimited."""
    if not limits_enabled():
        return
    for limit, ident in join_hits(code=code, address=address):
        hit(limit, ident)


def check_submission(*, participant_id: int, session_id: int) -> None:
    """Before a participant submits an item. Raises RateLimited."""
    if not limits_enabled():
        return
    hit("submit_participant", str(participant_id))
    hit("submit_session", str(session_id))


def check_vote(*, participant_id: int, session_id: int) -> None:
    """Before a participant casts or withdraws a ballot. Raises RateLimited."""
    if not limits_enabled():
        return
    for limit, ident in vote_hits(participant_id=participant_id, session_id=session_id):
        hit(limit, ident)


async def acheck_vote(*, participant_id: int, session_id: int) -> None:
    """check_vote for ASGI code that bypasses Django's views (a vote fast path). Raises RateLimited."""
    if limits_enabled():
        await _ahit(vote_hits(participant_id=participant_id, session_id=session_id))


async def acheck_join(*, code: str, address: str) -> None:
    """check_join for ASGI code that bypasses Django's views (the join fast path). Raises RateLimited."""
    if limits_enabled():
        await _ahit(join_hits(code=code, address=address))


# Count each key in turn and stop at the first one over its limit, as hit() called in turn does (a request refused
# by one limit is not counted against the next): KEYS are the counters, ARGV their (limit, timeout) pairs.
_COUNT_SCRIPT = """
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[2 * i], 'NX')
  local count = redis.call('INCR', key)
  if count > tonumber(ARGV[2 * i - 1]) then return {i, count} end
end
return {0, 0}
"""


def vote_hits(*, participant_id: int, session_id: int) -> list[tuple[str, str]]:
    """The (limit, ident) counters a ballot (cast or withdrawn) is counted against, in order."""
    return [("vote_participant", str(participant_id)), ("vote_session", str(session_id))]


def join_hits(*, code: str, address: str) -> list[tuple[str, str]]:
    """The (limit, ident) counters a join is counted against, in order."""
    code = (code or "").upper().replace("-", "")
    return [("join_address", f"{code}:{address or '-'}"), ("join_session", code)]


def _keys(backend: RedisCache, hits: list[tuple[str, str]], now: float) -> list[tuple[str, Rate, int, str]]:
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


async def _ahit(hits: list[tuple[str, str]]) -> None:
    """hit() for each (limit, ident) in turn, on the event loop: with Redis one round trip on an asyncio client
    (no worker thread per request); the local-memory cache does no I/O and is counted in place."""
    backend = _counters_cache()
    if not isinstance(backend, RedisCache):
        for limit, ident in hits:
            hit(limit, ident)
        return
    now = time.time()
    counted = _keys(backend, hits, now)
    if not counted:
        return
    try:
        over, _count = await _async_counter(backend).count([key for *_rest, key in counted], _script_args(counted))
    except Exception:  # the cache (Redis) is down: votes and joins go on, uncounted (fault drill, operations.md)
        logger.warning("Rate limits %s not counted: the cache is unavailable", [c[0] for c in counted])
        return
    refusal = _refusal(counted, over, now)
    if refusal is not None:
        raise refusal


def hit_many(requests: list[list[tuple[str, str]]]) -> list[RateLimited | None]:
    """hit() for each request's (limit, ident) pairs in turn, for many requests at once, in their order: the
    refusal of each (None when allowed). With Redis, ONE round trip for all of them (a pipeline of the counting
    script), from a thread (the ballot box's writer counts each group's requests before it writes them)."""
    if not limits_enabled():
        return [None] * len(requests)
    backend = _counters_cache()
    if not isinstance(backend, RedisCache):
        refusals = []
        for hits in requests:
            try:
                for limit, ident in hits:
                    hit(limit, ident)
            except RateLimited as limited:
                refusals.append(limited)
            else:
                refusals.append(None)
        return refusals
    now = time.time()
    counted = [_keys(backend, hits, now) for hits in requests]
    if not any(counted):
        return [None] * len(requests)
    try:
        client = backend._cache.get_client(write=True)
        with client.pipeline(transaction=False) as pipe:
            for keys in counted:
                if keys:
                    pipe.eval(_COUNT_SCRIPT, len(keys), *[key for *_rest, key in keys], *_script_args(keys))
            answers = iter(pipe.execute())
    except Exception:  # the cache (Redis) is down: votes and joins go on, uncounted (fault drill, operations.md)
        logger.warning("Rate limits of %d requests not counted: the cache is unavailable", len(requests))
        return [None] * len(requests)
    return [_refusal(keys, next(answers)[0], now) if keys else None for keys in counted]


class _Counter:
    """The counting script on an asyncio Redis client bound to one event loop, with the requests that arrive in
    the same turn of the loop sent together in one pipeline (a room voting at once: tens of requests per turn;
    one round trip and one pooled connection for all of them instead of one each)."""

    def __init__(self, backend: RedisCache) -> None:
        import redis.asyncio

        self.pool = redis.asyncio.BlockingConnectionPool.from_url(
            backend._servers[0],  # where the cache writes (django.core.cache.backends.redis: the first server)
            max_connections=ASYNC_CONNECTIONS,
            timeout=2,
            socket_connect_timeout=2,
            socket_timeout=2,
        )
        self.client = redis.asyncio.Redis(connection_pool=self.pool)
        self.script = self.client.register_script(_COUNT_SCRIPT)
        self.waiting: list[tuple[list, list, asyncio.Future]] = []
        self.flushes: set[asyncio.Task] = set()
        self.pipelines = 0  # round trips made, for tests

    async def count(self, keys: list, args: list):
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((keys, args, future))
        if len(self.waiting) == 1:  # the first of this turn: send them all once the loop has run the others
            asyncio.get_running_loop().call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        batch, self.waiting = self.waiting, []
        task = asyncio.ensure_future(self._send(batch))
        self.flushes.add(task)
        task.add_done_callback(self.flushes.discard)

    async def _send(self, batch) -> None:
        try:
            if len(batch) == 1:
                keys, args, _future = batch[0]
                results = [await self.script(keys=keys, args=args)]
            else:
                async with self.client.pipeline(transaction=False) as pipe:
                    for keys, args, _future in batch:
                        await self.script(keys=keys, args=args, client=pipe)
                    results = await pipe.execute(raise_on_error=False)
            self.pipelines += 1
        except Exception as exc:
            results = [exc] * len(batch)
        for (_keys, _args, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.pool.aclose()


_async_counters: dict = {}  # event loop -> its _Counter


async def aclose() -> None:
    """Close the running loop's asyncio Redis client, if any (the hub's stop: tests, shutdown)."""
    counter = _async_counters.pop(asyncio.get_running_loop(), None)
    if counter is not None:
        await counter.aclose()


ASYNC_CONNECTIONS = 32  # per process: requests beyond wait for a free connection (at most 2 s, then uncounted)


def _async_counter(backend: RedisCache) -> _Counter:
    """The running loop's counter (one Redis pool per loop and process). A blocking pool: a room voting at once has
    hundreds of requests in flight, and a plain pool would refuse connections past its maximum (uncounted)."""
    loop = asyncio.get_running_loop()
    counter = _async_counters.get(loop)
    if counter is None:
        for other in [other for other in _async_counters if other.is_closed()]:
            del _async_counters[other]
        counter = _async_counters[loop] = _Counter(backend)
    return counter


def client_address(request) -> str:
    """The caller's address as the ASGI/WSGI server reports it. Behind a proxy, the server must be told to
    trust the proxy's X-Forwarded-For (uvicorn --proxy-headers --forwarded-allow-ips); the header itself is
    never read here, so that a client cannot choose its own address (docs/operations.md)."""
    return request.META.get("REMOTE_ADDR", "") or "-"


# --- REST API ----------------------------------------------------------------------------------------------


class RateLimitedError(exceptions.Throttled):
    """429 with {"detail": "<translated>", "code": "rate_limited"}; DRF adds Retry-After from wait."""

    default_code = "rate_limited"

    def __init__(self, limited: RateLimited):
        super().__init__(wait=limited.retry_after)
        self.detail = {
            "detail": exceptions.ErrorDetail(str(limited.message), code="rate_limited"),
            "code": "rate_limited",
        }


def _claims(request) -> tuple[int, int] | None:
    keyword, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if keyword.lower() != "participant" or not token.strip():
        return None
    return participant_claims(token.strip())


class _ParticipantThrottle(BaseThrottle):
    check = None

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        claims = _claims(request)
        if claims is None:
            return True  # not a participant: the view answers 401
        try:
            type(self).check(participant_id=claims[0], session_id=claims[1])
        except RateLimited as limited:
            raise RateLimitedError(limited) from None
        return True


class SubmissionThrottle(_ParticipantThrottle):
    check = staticmethod(check_submission)


class VoteThrottle(_ParticipantThrottle):
    check = staticmethod(check_vote)


class JoinThrottle(BaseThrottle):
    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        try:
            check_join(code=view.kwargs.get("code", ""), address=client_address(request))
        except RateLimited as limited:
            raise RateLimitedError(limited) from None
        return True
