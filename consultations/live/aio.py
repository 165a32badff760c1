"""What the ASGI fast paths (live/asgi.py, sockets.py) share: database calls in worker threads, and the process's
memory of which session a join code names (until the session is found deleted)."""

import functools

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from ..errors import SessionNotFound
from ..services import session_id_for_code


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


_sessions: dict[str, int] = {}  # join code -> session id, for the process's lifetime (a code is never reused)
_codes: dict[int, set[str]] = {}  # session id -> its codes in _sessions, to forget them together


async def session_for_code(code: str) -> int | None:
    """The id of the session a code (current or retired) names, or None; one database read per code and process."""
    session_id = _sessions.get(code)
    if session_id is None:
        try:
            session_id = await in_db_thread(session_id_for_code)(code)
        except SessionNotFound:
            return None
        _sessions[code] = session_id
        _codes.setdefault(session_id, set()).add(code)
    return session_id


def forget_session(session_id: int) -> None:
    """Forget the codes of a session found deleted: the next handshake or vote with them reads, and is refused.

    services.session_id_for_code keeps its own per-process cache (for REST), which evicts no single code: it is
    cleared whole, once per deleted session found here, so that the next read of these codes reaches the database.
    """
    codes = _codes.pop(session_id, None)
    if codes is None:  # forgotten already (a room's sockets all report the same deletion)
        return
    for code in codes:
        _sessions.pop(code, None)
    session_id_for_code.cache_clear()
