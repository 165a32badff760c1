"""The rows a group of ballots reads and writes, in plain SQL (services.vote_cast_many).

A room voting at once sends each worker's ballot box a group of ballots every few tens of milliseconds, and the
writer thread shares the machine's cores with the sockets. Built by the ORM, a group's statements cost more than twice
as much CPU: compiling each query and building a model instance per row. Written here once, with the tables' and
columns' names taken from the models, they cost a few milliseconds a group.
Only the rows and their values are here; the rules stay in services.vote_cast_many, and
tests/consultations/test_vote_many.py checks that it decides exactly as vote_cast one request after the other.

Statements run through Django's cursor (PostgreSQL and SQLite: `%s` placeholders, `RETURNING`), inside the caller's
transaction. The statements that a group sends together (`round_trip`: its three reads, then its writes) each return
a function that reads the answer: on PostgreSQL they then cost one round trip between them instead of one each
(psycopg's pipeline mode), which under load is where a group's time goes.
"""

import contextlib
from collections.abc import Callable
from datetime import datetime

from django.db import connection

from ..models import Ballot, Item, ItemStatus, Participant, Session

# What the ballot rules read of a session and an item (services._check_open_for_votes, _check_points); the other
# fields are left deferred, as .only() leaves them (reading one costs a query, never a wrong value).
SESSION_FIELDS = (
    "id",
    "phase",
    "challenge_voting_method",
    "proposal_voting_method",
    "dot_points",
    "dot_max_per_item",
    "version",
)
ITEM_FIELDS = ("id", "session_id", "kind", "status")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _c(model, name: str) -> str:
    """The quoted column of a model's field."""
    return _q(model._meta.get_field(name).column)


def _fields(model, attnames) -> list:
    """The model's concrete fields among attnames, in the model's order (the order Model.from_db expects)."""
    return [field for field in model._meta.concrete_fields if field.attname in attnames]


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


@contextlib.contextmanager
def round_trip():
    """Send the statements of the block together and read all their answers when it ends: one round trip to
    PostgreSQL (psycopg's pipeline mode) instead of one per statement; elsewhere each runs as it is sent.

    Only what a statement answers may be read after the block (the functions the statements below return): reading
    one inside it would end the round trip there. An error of any statement is raised as the block ends, as Django's
    DatabaseError, and the transaction is then broken, as after any failed statement."""
    if connection.vendor != "postgresql" or not _pipeline_supported():
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _pipeline_supported() -> bool:
    """psycopg's pipeline mode needs libpq 14 or later (psycopg[binary] ships one); with an older system libpq the
    statements simply go one round trip each."""
    import psycopg

    return psycopg.Pipeline.is_supported()


def sent(sql: str, params) -> Callable[[], list]:
    """Send a statement; returns a function that reads its rows once (at once, or after round_trip's block)."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
    except BaseException:
        cursor.close()
        raise

    def rows() -> list:
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    return rows


def voters_for_update(participant_ids) -> Callable[[], tuple[set[tuple[int, int]], dict[int, Session]]]:
    """Lock the participants' rows (PostgreSQL; SQLite's writer holds the whole database) in id order and read their
    sessions in the same statement. Its answer: the (participant, session) pairs found and the sessions by id.

    Only the participants' rows are locked: the session's is locked after them, when its version is raised."""
    ids = sorted(participant_ids)
    if not ids:
        return lambda: (set(), {})
    fields = _fields(Session, SESSION_FIELDS)
    participant, session = _q(Participant._meta.db_table), _q(Session._meta.db_table)
    columns = ", ".join(f"{session}.{_q(field.column)}" for field in fields)
    lock = f" FOR UPDATE OF {participant}" if connection.features.has_select_for_update_of else ""
    sql = (
        f"SELECT {participant}.{_c(Participant, 'id')}, {columns} FROM {participant} "  # noqa: S608 (model names)
        f"INNER JOIN {session} ON {session}.{_c(Session, 'id')} = {participant}.{_c(Participant, 'session')} "
        f"WHERE {participant}.{_c(Participant, 'id')} IN ({_placeholders(len(ids))}) "
        f"AND {participant}.{_c(Participant, 'set_aside_at')} IS NULL "  # set aside: no longer a voter
        f"ORDER BY {participant}.{_c(Participant, 'id')}{lock}"
    )
    attnames = [field.attname for field in fields]
    rows = sent(sql, ids)

    def answer():
        found, sessions = set(), {}
        for participant_id, *values in rows():
            session_id = values[0]
            found.add((participant_id, session_id))
            if session_id not in sessions:
                sessions[session_id] = Session.from_db(connection.alias, attnames, values)
        return found, sessions

    return answer


def items(item_ids) -> Callable[[], dict[int, Item]]:
    """The items by id (ITEM_FIELDS loaded), for those that exist."""
    ids = sorted(item_ids)
    if not ids:
        return dict
    fields = _fields(Item, ITEM_FIELDS)
    columns = ", ".join(_q(field.column) for field in fields)
    table, pk = _q(Item._meta.db_table), _c(Item, "id")
    sql = f"SELECT {columns} FROM {table} WHERE {pk} IN ({_placeholders(len(ids))})"  # noqa: S608
    attnames = [field.attname for field in fields]
    rows = sent(sql, ids)
    return lambda: {item.pk: item for item in (Item.from_db(connection.alias, attnames, row) for row in rows())}


def items_closed_to_votes(item_ids) -> Callable[[], list[tuple[int]]]:
    """Of these items, those no longer approved (hidden or merged since they were read): sent once the session's row
    is locked, so that a merge or a hiding that committed while the group was being written is seen."""
    ids = sorted(item_ids)
    if not ids:
        return list
    table, pk, status = _q(Item._meta.db_table), _c(Item, "id"), _c(Item, "status")
    sql = f"SELECT {pk} FROM {table} WHERE {pk} IN ({_placeholders(len(ids))}) AND {status} <> %s"  # noqa: S608
    return sent(sql, [*ids, ItemStatus.APPROVED])


def ballots_of(participant_ids) -> Callable[[], list[tuple[int, int, int, int]]]:
    """(ballot id, participant, item, points) of every ballot of these participants."""
    ids = sorted(participant_ids)
    if not ids:
        return list
    sql = (
        f"SELECT {_c(Ballot, 'id')}, {_c(Ballot, 'participant')}, {_c(Ballot, 'item')}, {_c(Ballot, 'points')} "  # noqa: S608
        f"FROM {_q(Ballot._meta.db_table)} WHERE {_c(Ballot, 'participant')} IN ({_placeholders(len(ids))})"
    )
    return sent(sql, ids)


def ballots_insert(rows, now: datetime) -> Callable[[], dict[tuple[int, int], int]]:
    """Insert ballots given as (session, participant, item, points), created and updated now, in one statement.
    Its answer: each new ballot's id by (participant, item)."""
    if not rows:
        return dict
    stamp = connection.ops.adapt_datetimefield_value(now)
    names = ("session", "participant", "item", "points", "created_at", "updated_at")
    columns = ", ".join(_c(Ballot, name) for name in names)
    values = ", ".join([f"({_placeholders(6)})"] * len(rows))
    sql = (
        f"INSERT INTO {_q(Ballot._meta.db_table)} ({columns}) VALUES {values} "  # noqa: S608
        f"RETURNING {_c(Ballot, 'id')}, {_c(Ballot, 'participant')}, {_c(Ballot, 'item')}"
    )
    params = [value for row in rows for value in (*row, stamp, stamp)]
    inserted = sent(sql, params)
    return lambda: {(participant_id, item_id): ballot_id for ballot_id, participant_id, item_id in inserted()}


def ballots_set_points(rows, now: datetime) -> None:
    """Set the points of ballots given as (ballot id, points), updated now (one round trip with psycopg, none of its
    own in a round_trip block)."""
    if not rows:
        return
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"UPDATE {_q(Ballot._meta.db_table)} SET {_c(Ballot, 'points')} = %s, {_c(Ballot, 'updated_at')} = %s "  # noqa: S608
        f"WHERE {_c(Ballot, 'id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(points, stamp, ballot_id) for ballot_id, points in sorted(rows)])
