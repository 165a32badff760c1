"""SQLite for the embedded default, with an in-process write gate.

SQLite lets one writer in at a time. Its own waiting (the busy handler) sleeps and polls, so a room of voters
whose transactions collide waits up to 100 ms per retry and throughput collapses. Here every write transaction
of the process first takes one lock (fair enough: threads queue on it without sleeping) and then starts
`BEGIN IMMEDIATE`; it releases the lock on commit or rollback. Other processes (several workers on one SQLite
file) are still kept apart by SQLite's busy timeout. Reads never take the gate (WAL mode).
"""

import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

WRITE_GATE_TIMEOUT = 30.0  # seconds; then the request fails like SQLite's "database is locked"
_write_gate = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_gate = False

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
            return super()._close()
        finally:
            self._release_write_gate()
