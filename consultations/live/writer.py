"""Group commit for ballots and joins: one writer thread per process commits the writes that arrive together.

A room that votes at once sends hundreds of ballots within a second. Committed one by one, each pays a
transaction, a lock on the session's row (its version) and, on PostgreSQL, a flush to disk; on SQLite they
queue for the single writer. The ballot box takes every ballot that is waiting, runs each through the
ordinary service and commits them in ONE transaction: a run of ballots cast one after the other goes to
`services.vote_cast_many` (the same rules as `vote_cast`, a handful of queries for the whole run, each refused
ballot refused alone) and a run of joins to `services.participant_join_many` (a room joining at once locks the
session's row once per group instead of once per person); anything else (`vote_withdraw`) runs on its own. In a
group of several runs each run has its savepoint, so that a run that fails takes nothing of the others with it; a
group of one run (a room voting: only ballots) needs none. A request is answered only after that commit: an
acknowledged ballot is a committed ballot, an admitted participant a committed participant. Every request comes
with its rate limits (ingest.py): the writer counts the whole group first, in one round trip to Redis, and refuses
those over a limit without running them.

Turned off with MAJLIS_BALLOT_GROUP_COMMIT=0 (then the service runs in the request's own thread).
"""

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import Future

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from .. import services
from . import limits, locks
from .aio import in_db_thread

logger = logging.getLogger(__name__)

MAX_BATCH = 500
_STOP = object()
RESULT_TIMEOUT = 30.0  # seconds a request waits for its ballot's commit
DEADLOCK_ATTEMPTS = 3  # a group that PostgreSQL aborted to break a deadlock runs again, up to this many times in all
DEADLOCK_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
IDLE_CHECK = 1.0  # seconds without a group after which the connection is checked (a round trip) before the next


class BallotBox:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.batches = 0  # commits made, for tests and benchmarks
        self._last_group = 0.0  # time.monotonic() when the writer's last group ended

    @property
    def enabled(self) -> bool:
        return bool(getattr(settings, "MAJLIS_BALLOT_GROUP_COMMIT", False))

    def run(self, fn, /, rate_limits=None, **kwargs):
        """Run fn(**kwargs) inside the next group commit and return its result (or raise its error), once its
        rate_limits are counted (see submit). Turned off, the writer counts and runs it in the caller's thread."""
        if not self.enabled:
            refusal = limits.hit_many([rate_limits])[0] if rate_limits else None
            if refusal is not None:
                raise refusal
            return fn(**kwargs)
        return self.submit(fn, rate_limits, **kwargs).result(timeout=RESULT_TIMEOUT)

    def arun(self, fn, /, rate_limits=None, **kwargs) -> Awaitable:
        """run, to be awaited on the event loop (turned off: in a worker thread)."""
        if not self.enabled:
            return in_db_thread(self.run)(fn, rate_limits, **kwargs)
        return asyncio.wrap_future(self.submit(fn, rate_limits, **kwargs))

    def submit(self, fn, /, rate_limits=None, **kwargs) -> Future:
        """Queue fn(**kwargs) for the next group commit; the future resolves once it is committed.

        rate_limits: the request's (limit, ident) counters (limits.vote_hits, join_hits, submit_hits), counted by
        the writer for the whole group in one round trip before it writes anything; a request over a limit fails
        with limits.RateLimited and is not run. fn may be `refused`: the request is counted, then answered with its
        error (ingest.py: a request refused before it reaches a service is counted all the same).
        """
        future: Future = Future()
        self._queue.put((fn, kwargs, future, rate_limits))
        self._ensure_writer()
        return future

    def _ensure_writer(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._write_forever, name="majlis-ballot-box", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Let the writer finish what is queued, close its database connection and end (tests, shutdown)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout)

    def _write_forever(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                connection.close()
                return
            waiting = [first]
            while len(waiting) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)  # handled after this group
                    break
                waiting.append(item)
            try:
                batch = _within_limits(waiting)
            except Exception as exc:  # a broken limit setting, say: answered as a failed group would be
                logger.exception("Ballot box could not count rate limits")
                for *_call, future, _limits in waiting:
                    if not future.done():
                        future.set_exception(exc)
                continue
            if not batch:
                continue
            try:
                self._commit(batch)
            except Exception:  # never let the writer die; every waiting request was answered in _commit
                logger.exception("Ballot box commit failed")
            finally:
                self._last_group = time.monotonic()

    def _commit(self, batch) -> None:
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            try:
                outcomes = self._try_commit(batch)
            except Exception as exc:
                if (_is_deadlock(exc) or isinstance(exc, services.VotesRaced)) and attempt < DEADLOCK_ATTEMPTS:
                    # Nothing of the group was committed: run it again (PostgreSQL chose this one to break a
                    # deadlock with another worker's group; see _is_deadlock).
                    logger.info("Ballot box group of %d deadlocked; retrying (attempt %d)", len(batch), attempt)
                    continue
                # Nothing of this group was committed: every request gets the error (a 5xx: clients retry).
                connection.close()
                for _fn, _kwargs, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            break
        self.batches += 1
        for future, value, exc in outcomes:
            if exc is not None:
                future.set_exception(exc)
            else:
                future.set_result(value)

    def _try_commit(self, batch) -> list:
        """Run the batch in one transaction; returns (future, value, error) per request, or raises when nothing
        was committed.

        Each round trip to the database counts: a group waits for every one of them, on a machine whose cores are
        busy with the sockets (docs/benchmarks.md). So the connection is checked only after an idle
        second (a failed group closes it anyway), and a group made of one run (a room voting: only ballots) has no
        savepoint, since the group's own transaction plays its part.
        """
        idle = time.monotonic() - self._last_group > IDLE_CHECK
        if connection.connection is not None and idle and not connection.is_usable():
            connection.close()
        runs = list(_runs(batch))
        outcomes = []
        # A group of one run writes its tallies as its service does, in item order after the session's version, in
        # the round trip of its other writes (services.vote_cast_many). In a group of several runs they are written
        # once, at its end, in item order (locks.tallies_deferred); a run's changes are kept only if its
        # savepoint is.
        if len(runs) == 1:
            (run,) = runs
            try:
                with transaction.atomic():
                    values = _run_values(run)
            except (DatabaseError, services.VotesRaced):
                raise  # not a refused ballot but a broken or raced transaction: fail the whole group (_commit)
            except Exception as exc:  # rolled back whole, as the run's savepoint would have been
                values = [exc] * len(run)
            return _outcomes(run, values)
        with transaction.atomic(), locks.tallies_deferred():
            # Every row lock the runs will take, taken first in the shared order (see locks.group_lock).
            locks.group_lock([kwargs for _fn, kwargs, _future in batch])
            for run in runs:
                try:
                    with transaction.atomic(), locks.tallies_deferred():
                        values = _run_values(run)
                except (DatabaseError, services.VotesRaced):
                    raise  # not a refused ballot but a broken or raced transaction: fail the whole group (_commit)
                except Exception as exc:
                    values = [exc] * len(run)
                outcomes.extend(_outcomes(run, values))
        return outcomes


def refused(*, error: Exception):
    """A request refused before it reaches a service: the writer counts it, then answers it with error."""
    raise error


def _within_limits(waiting) -> list:
    """The (fn, kwargs, future) of the waiting requests to run, in order: within their rate limits (every request's
    limits counted in one round trip) and not refused already. The others' futures fail with their refusal."""
    counted = [entry for entry in waiting if entry[3]]
    refusals = {}
    if counted:
        refusals = dict(zip(map(id, counted), limits.hit_many([entry[3] for entry in counted]), strict=True))
    batch = []
    for entry in waiting:
        fn, kwargs, future, _limits = entry
        refusal = refusals.get(id(entry))
        if refusal is None and fn is refused:
            refusal = kwargs["error"]
        if refusal is not None:
            future.set_exception(refusal)
        else:
            batch.append((fn, kwargs, future))
    return batch


def _run_values(run) -> list:
    """The result (or refusal) of each call of a run, in order."""
    many = GROUPED.get(run[0][0])
    if many is not None:
        return many([kwargs for _fn, kwargs, _future in run])
    ((fn, kwargs, _future),) = run
    return [fn(**kwargs)]


def _outcomes(run, values) -> list:
    return [
        (future, None, value) if isinstance(value, Exception) else (future, value, None)
        for (_fn, _kwargs, future), value in zip(run, values, strict=True)
    ]


def _is_deadlock(exc: BaseException) -> bool:
    """Whether PostgreSQL aborted the transaction to break a deadlock (or a serialization conflict).

    Two workers' groups lock rows of the same sessions, participants and items, each in the order every writer
    shares (a group of several runs takes its participants' and sessions' locks up front: locks.group_lock;
    tallies are locked once per group, in item order). A writer outside the ballot box that breaks that order (an
    item merge during voting) can still deadlock with a group; PostgreSQL then aborts one. Its transaction is rolled
    back whole, so running the group again is safe.
    """
    cause = exc.__cause__ if isinstance(exc, DatabaseError) else None
    return getattr(cause, "sqlstate", None) in DEADLOCK_SQLSTATES


# Services whose runs of consecutive calls one call of a set-based twin handles (same rules, same results).
GROUPED = {
    services.vote_cast: services.vote_cast_many,
    services.participant_join: services.participant_join_many,
}


def _runs(batch):
    """Split a batch, in order, into runs of consecutive calls of one GROUPED service and single other calls."""
    run = []
    for entry in batch:
        if entry[0] in GROUPED and run and run[0][0] is entry[0]:
            run.append(entry)
            continue
        if run:
            yield run
        run = [entry]
    if run:
        yield run


ballot_box = BallotBox()
