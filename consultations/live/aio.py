"""What the live machinery's ASGI side shares: database calls in worker threads, and the process's one memory of
which session a join code names (until the session is found deleted)."""

import functools

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from ..errors import SessionNotFound


def in_db_thread(fn):
    """Run fn in the pool of worker threads (not the one shared sync thread: a join storm opens hundreds of
    sockets a second) and give its database connection back inside the call, where Django's per-context
    connection lives."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(call, thread_sensitive=False)


# The one code -> session cache of the process, read by the fast path, the API's views, the sockets and the writer's
# lock order. Safe to keep: a code is never given to another session (JoinCode keeps every code), and an unknown code
# is not remembered, so that a code created later is found.
_sessions: dict[str, int] = {}  # join code -> session id
_codes: dict[int, set[str]] = {}  # session id -> its codes in _sessions, to forget them together


def session_id_for_code(code: str) -> int:
    """The id of the session a code (current or retired) names; one database read per code and process.
    Raises SessionNotFound."""
    session_id = _sessions.get(code)
    if session_id is None:
        from ..services import session_by_code  # services reaches this module through the lock order

        session_id = session_by_code(code).pk
        _sessions[code] = session_id
        _codes.setdefault(session_id, set()).add(code)
    return session_id


async def session_for_code(code: str) -> int | None:
    """session_id_for_code on the event loop (a read in a worker thread the first time), or None for no session."""
    session_id = _sessions.get(code)
    if session_id is not None:
        return session_id
    try:
        return await in_db_thread(session_id_for_code)(code)
    except SessionNotFound:
        return None


def forget_session(session_id: int) -> None:
    """Forget the codes of a session found deleted: the next handshake, vote or join with them reads, and is
    refused."""
    for code in _codes.pop(session_id, ()):
        _sessions.pop(code, None)
