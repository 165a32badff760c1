"""The lock order every writer of ballots, joins and tallies shares, in one place.

Order: the participants' rows, then the sessions' rows (the version), then the items' rows (tallies), each in id
order. A writer that took them in another order could wait for a lock held by a writer waiting for one of its own:
a deadlock, which PostgreSQL breaks by aborting one of them (writer.py then runs that group again). SQLite has one
writer at a time and needs no row locks; the statements below lock nothing there.

- A single service (services.vote_cast, vote_withdraw, items_merge, joins' set-aside) locks its participant, bumps
  the session, then adds to the tallies with `tally_add`, after the session's row.
- A group of the writer made of one run (a room voting: only ballots) follows the same order inside
  services.vote_cast_many.
- A group of several runs (joins, then ballots, then a withdrawal) takes its participants' and sessions' locks up
  front with `group_lock`, and writes the tallies of all its runs once, at its end, in item order
  (`tallies_deferred`).
"""

import contextlib
import threading
from collections import Counter

from django.db import connection

from ..errors import SessionError
from ..models import Item, Participant, Session


def lock_in_order(participant_ids, session_ids) -> None:
    """Lock these participants' rows, then these sessions' rows, each in id order (PostgreSQL; SQLite's writer holds
    the whole database). Ids with no row lock nothing."""
    if not connection.features.has_select_for_update:
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, ids in ((Participant, sorted(participant_ids)), (Session, sorted(session_ids))):
            if ids:
                table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
                marks = ", ".join(["%s"] * len(ids))
                cursor.execute(f"SELECT {pk} FROM {table} WHERE {pk} IN ({marks}) ORDER BY {pk} FOR UPDATE", ids)  # noqa: S608


def group_lock(requests: list[dict]) -> None:
    """Take up front, in the shared order, the row locks a group of the writer's requests will take: the
    participants' rows of its ballots and withdrawals, then the rows of every session it touches.

    requests are the keyword arguments of the services the writer runs (vote_cast, vote_withdraw, item_submit,
    participant_join). A group made of several runs would otherwise lock the session's row in its first run (joins)
    and participants' rows in a later one (ballots), against another worker's group doing the opposite. Must run
    inside the group's transaction, before its savepoints (a lock taken in a savepoint that is rolled back is
    released).
    """
    from .aio import session_id_for_code

    participants = [request["participant"] for request in requests if request.get("participant") is not None]
    sessions = {participant.session_id for participant in participants}
    for code in {request["code"] for request in requests if request.get("code")}:
        with contextlib.suppress(SessionError):  # an unknown code locks nothing; its join is refused in its run
            sessions.add(session_id_for_code(str(code)))
    lock_in_order({participant.pk for participant in participants}, sessions)


class _Deferred(threading.local):
    def __init__(self) -> None:
        self.stack: list[Counter] = []


_deferred = _Deferred()


@contextlib.contextmanager
def tallies_deferred():
    """Collect the tally changes made inside the block and write them when it ends, all at once, in item order.

    The writer wraps each group of several runs in one (and each run in a nested one, next to its savepoint): the
    group then locks each item it changes once, at the end, in the shared order. The changes of a block left by an
    exception are dropped, as the savepoint they go with is rolled back.
    """
    _deferred.stack.append(Counter())
    try:
        yield
    except BaseException:
        _deferred.stack.pop()
        raise
    changes = _deferred.stack.pop()
    if _deferred.stack:
        _deferred.stack[-1].update(changes)
    else:
        _tally_write(changes)


def tally_add(changes: dict[int, int]) -> None:
    """Add points (negative to remove) to items' tallies, now or at the end of the enclosing tallies_deferred().
    Call it after the ballots are written and the session's row is locked, inside their transaction."""
    if _deferred.stack:
        _deferred.stack[-1].update(changes)
    else:
        _tally_write(changes)


def _tally_write(changes: dict[int, int]) -> None:
    rows = [(delta, item_id) for item_id, delta in sorted(changes.items()) if delta]
    if not rows:
        return
    # One statement per item, in item order (each locks its row: the order is what two parallel groups share; a
    # ballot's insert only takes a key-share lock on its item, which this does not wait for). Plain SQL: the ORM
    # would build a CASE over every item of the group on each commit. psycopg sends the rows in one round trip.
    table, tally, pk = (connection.ops.quote_name(name) for name in (Item._meta.db_table, "tally", "id"))
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {tally} = {tally} + %s WHERE {pk} = %s", rows)  # noqa: S608
