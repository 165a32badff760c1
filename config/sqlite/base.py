"""SQLite for the embedded default, with an in-process write gate.

SQLite lets one writer in at a time. Its own waiting (the busy handler) sleeps and polls, so a room of voters
whose transactions collide waits up to 100 ms per retry and throughput collapses. Here every write transaction
of the process first takes one lock (fair enough: threads queue on it without sleeping) and then starts
`BEGIN IMMEDIATE`; it releases the lock on commit or rollback. Other processes (several workers on one SQLite
file) are still kept apart by SQLite's busy timeout. Reads never take the gate (WAL mode).

It also keeps closed connections for reuse. Under ASGI each request, each WebSocket database call and each
snapshot read runs in a thread of its own, and Django closes the connection at the end of each (CONN_MAX_AGE=0):
opening one (the file, the pragmas, Django's SQL functions) would be a third of the server's CPU in a join storm.
A closed connection that is outside any transaction goes back to a small per-process list (SQLITE_POOL_SIZE,
default 16) and the next thread that needs one takes it; SQLite allows a connection to pass between threads
as long as one thread uses it at a time, which Django's per-thread connection handling guarantees.
"""

import os
import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

WRITE_GATE_TIMEOUT = 30.0  # seconds; then the request fails like SQLite's "database is locked"
_write_gate = threading.Lock()
POOL_SIZE = int(os.environ.get("SQLITE_POOL_SIZE", "16"))
_idle: dict[str, list] = {}  # database path -> closed connections, ready for reuse
_idle_lock = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_gate = False

    def _pool_key(self) -> str | None:
        return None if POOL_SIZE <= 0 or self.is_in_memory_db() else str(self.settings_dict["NAME"])

    def get_new_connection(self, conn_params):
        key = self._pool_key()
        if key is not None:
            with _idle_lock:
                idle = _idle.get(key)
                if idle:
                    return idle.pop()
        return super().get_new_connection(conn_params)

    def _start_transaction_under_autocommit(self):
        if not _write_gate.acquire(timeout=WRITE_GATE_TIMEOUT):
            raise OperationalError("database is locked (write gate timeout)")
        self._holds_write_gate = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_gate()
            raise

    def _release_write_gate(self):
        if self._holds_write_gate:
            self._holds_write_gate = False
            _write_gate.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_gate()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_gate()

    def _close(self):
        try:
            key, connection = self._pool_key(), self.connection
            reusable = connection is not None and not self.in_atomic_block and not connection.in_transaction
            if key is not None and reusable:
                with _idle_lock:
                    idle = _idle.setdefault(key, [])
                    if len(idle) < POOL_SIZE:
                        idle.append(connection)
                        return None
            return super()._close()
        finally:
            self._release_write_gate()


def close_idle_connections() -> None:
    """Really close the kept connections (tests that delete a database file, shutdown)."""
    with _idle_lock:
        connections = [c for idle in _idle.values() for c in idle]
        _idle.clear()
    for connection in connections:
        connection.close()
