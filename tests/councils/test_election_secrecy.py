"""The secret ballot holds in the data itself: an attacker with a copy of the database (the SQLite file and its
write-ahead log; a pg_dump, or PostgreSQL's pages, xmin and ctid) cannot line ballots up with the voters' register.

Every test casts ballots in a known order. Each member is a candidate and votes for themself, so a ballot's choice
names its voter and the test can score the attacker: a positional attack (the i-th ballot in some stored order
belongs to the i-th voter of the register) links all of them when ballots are stored in the order they are cast.
With the urn rewritten in a random order at each cast, a position is right by chance only (about one of twenty;
the tests allow fewer than half, which a random order exceeds with probability below 10⁻⁶).
"""

import io
import os
import sqlite3
import subprocess
import time
import uuid

import pytest
from django.db import connection

from councils import services
from councils.models import BallotCode, ElectionBallot

from .factories import add_member, make_council

VOTERS = 20


def linked(ballot_choices: list, voters: list) -> int:
    """How many voters the positional attack links to their ballot."""
    return sum(1 for choice, voter in zip(ballot_choices, voters, strict=True) if choice == voter)


def _election_cast_in_order(city, secretariat):
    """An open election of VOTERS members, each a candidate who votes for themself, in the order of `members`.
    Returns the election, the members in casting order and every ballot key the urn ever held."""
    council = make_council(city, secretariat, seat_count=VOTERS + 5)
    term = council.terms.get()
    members = [add_member(term, secretariat) for _ in range(VOTERS)]
    election = services.election_create(
        council=council,
        term=term,
        title="President",
        role="president",
        candidates=members,
        actor=secretariat,
        quorum_percent=0,
    )
    services.election_open(election=election, actor=secretariat)
    codes = {c.membership_id: c.code for c in BallotCode.objects.filter(election=election)}
    keys_ever = set()
    for member in members:
        services.ballot_cast(code=codes[member.pk], choice=member)
        keys_ever |= set(ElectionBallot.objects.filter(election=election).values_list("id", flat=True))
    return election, [m.pk for m in members], keys_ever


def _assert_unlinked(ballot_choices: list, voters: list) -> None:
    assert sorted(ballot_choices) == sorted(voters)  # the attacker reads every ballot
    assert linked(ballot_choices, voters) < VOTERS // 2


@pytest.mark.django_db(transaction=True)
def test_the_sqlite_file_does_not_line_ballots_up_with_voters(city_a, secretariat):
    if connection.vendor != "sqlite":
        pytest.skip("inspects the SQLite file")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1  # config/settings.py: deleted rows are zeroed in the file
    election, voters, keys_ever = _election_cast_in_order(city_a, secretariat)
    path = connection.settings_dict["NAME"]

    def attack(db):
        register = [
            row[0]
            for row in db.execute(
                "SELECT membership_id FROM councils_electionvoter WHERE election_id = ? ORDER BY rowid", [election.pk]
            )
        ]
        assert register == voters  # the register keeps the order of casting: that alone is harmless
        for order in ("rowid", "id"):
            query = f"SELECT choice_id FROM councils_electionballot WHERE election_id = ? ORDER BY {order}"  # noqa: S608 - a fixed order
            ballots = [row[0] for row in db.execute(query, [election.pk])]
            _assert_unlinked(ballots, register)

    # While voting is open, and after it has closed, reading the file (and its write-ahead log) as a copy would.
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    attack(db)
    db.close()
    services.election_close(election=election, actor=secretariat)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    attack(db)
    db.close()

    # The bytes: every earlier generation of the urn is gone from the file and the log; the live one is there.
    live = set(ElectionBallot.objects.filter(election=election).values_list("id", flat=True))
    assert len(live) == VOTERS and len(keys_ever) > 100  # 20 casts rewrote 210 rows
    raw = b""
    for name in (path, f"{path}-wal"):
        if os.path.exists(name):
            with open(name, "rb") as f:
                raw += f.read()
    assert not os.path.exists(f"{path}-wal") or os.path.getsize(f"{path}-wal") == 0  # truncated on close
    assert all(key.hex.encode() in raw for key in live)  # the scan does find stored keys
    remnants = [key for key in keys_ever - live if key.hex.encode() in raw]
    assert remnants == []


@pytest.mark.django_db(transaction=True)
def test_a_deleted_ballot_leaves_no_bytes_in_the_sqlite_file(city_a, secretariat):
    """secure_delete at work: a deleted row is overwritten with zeros, not left in free space for a copy to read."""
    if connection.vendor != "sqlite":
        pytest.skip("inspects the SQLite file")
    council = make_council(city_a, secretariat)
    term = council.terms.get()
    member = add_member(term, secretariat)
    election = services.election_create(
        council=council, term=term, title="P", role="president", candidates=[member], actor=secretariat
    )
    kept, deleted = uuid.uuid4(), uuid.uuid4()
    ElectionBallot.objects.create(id=kept, election=election, choice=member)
    ElectionBallot.objects.create(id=deleted, election=election, choice=member)
    ElectionBallot.objects.filter(id=deleted).delete()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(connection.settings_dict["NAME"], "rb") as f:
        raw = f.read()
    assert kept.hex.encode() in raw
    assert deleted.hex.encode() not in raw


def _pg_dump_tables(*tables: str) -> dict[str, list[list[str]]]:
    settings = connection.settings_dict
    command = ["/usr/bin/pg_dump", "--data-only", "--no-owner", "-h", settings["HOST"] or "127.0.0.1"]
    if settings["PORT"]:
        command += ["-p", str(settings["PORT"])]
    command += ["-U", settings["USER"] or "postgres"]
    for table in tables:
        command += ["-t", f"public.{table}"]
    command.append(settings["NAME"])
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    dump = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout  # noqa: S603
    rows: dict[str, list[list[str]]] = {}
    current = None
    for line in dump.splitlines():
        if line.startswith("COPY public."):
            current = line.split()[1].removeprefix("public.")
            columns = line[line.index("(") + 1 : line.index(")")].split(", ")
            rows[current] = [columns]
        elif line == "\\.":
            current = None
        elif current is not None:
            rows[current].append(line.split("\t"))
    return rows


def _column(rows: list[list[str]], name: str, election_pk: int) -> list[str]:
    header, *body = rows
    return [row[header.index(name)] for row in body if row[header.index("election_id")] == str(election_pk)]


def _dead_and_raw(table: str) -> tuple[int, int, bytes]:
    """Dead and live tuples of table, read from its pages (pageinspect), and the pages' raw bytes."""
    dead = live = 0
    raw = b""
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        cursor.execute("SELECT pg_relation_size(%s) / current_setting('block_size')::int", [table])
        blocks = cursor.fetchone()[0]
        for block in range(blocks):
            cursor.execute("SELECT get_raw_page(%s, %s)", [table, block])
            raw += bytes(cursor.fetchone()[0])
            cursor.execute(
                "SELECT count(*) FILTER (WHERE lp_flags = 1 AND t_xmax = '0'), count(*) FILTER (WHERE lp_flags <> 0"
                " AND NOT (lp_flags = 1 AND t_xmax = '0')) FROM heap_page_items(get_raw_page(%s, %s))",
                [table, block],
            )
            block_live, block_dead = cursor.fetchone()
            live, dead = live + block_live, dead + block_dead
    return dead, live, raw


def _older_transactions_end(timeout: float = 180.0) -> bool:
    """Wait until no transaction or snapshot begun before the last cast still runs (pg_dump's backend may outlive
    the client by a moment; on a shared server another database's long transaction counts too): VACUUM cannot drop
    a dead tuple such a transaction may still see. services.ballots_compact waits the same way, a few seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            if not services._older_transactions_running(cursor):
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_and_the_pages_do_not_line_ballots_up_with_voters(city_a, secretariat):
    # Earlier tests rolled back their ballots, which leaves aborted tuples in the pages until a vacuum: start clean.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM FULL councils_electionballot")
    election, voters, keys_ever = _election_cast_in_order(city_a, secretariat)
    voters = [str(v) for v in voters]

    def attack():
        dump = _pg_dump_tables("councils_electionballot", "councils_electionvoter")
        register = _column(dump["councils_electionvoter"], "membership_id", election.pk)
        assert register == voters  # the register keeps the order of casting: that alone is harmless
        _assert_unlinked(_column(dump["councils_electionballot"], "choice_id", election.pk), register)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT xmin::text, choice_id::text FROM councils_electionballot WHERE election_id = %s ORDER BY ctid",
                [election.pk],
            )
            rows = cursor.fetchall()
        assert len({xmin for xmin, _ in rows}) == 1  # every live ballot was written by the last cast
        _assert_unlinked([choice for _, choice in rows], register)

    attack()
    dead, live, _raw = _dead_and_raw("councils_electionballot")
    assert live == VOTERS and dead > 100  # until the election closes, earlier generations are dead tuples

    assert _older_transactions_end()
    services.election_close(election=election, actor=secretariat)  # VACUUM FULL after the commit
    attack()
    dead, live, raw = _dead_and_raw("councils_electionballot")
    assert (dead, live) == (0, VOTERS)
    current = set(ElectionBallot.objects.filter(election=election).values_list("id", flat=True))
    assert all(key.bytes in raw for key in current)  # the scan does find stored keys
    assert [key for key in keys_ever - current if key.bytes in raw] == []


@pytest.mark.django_db
def test_the_migration_rewrites_urns_stored_in_casting_order(city_a, secretariat):
    """Ballots stored before the urn was rewritten at each cast get a random order and new keys."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("councils.migrations.0002_election_secrecy_and_incidents")
    council = make_council(city_a, secretariat, seat_count=VOTERS + 5)
    term = council.terms.get()
    members = [add_member(term, secretariat) for _ in range(VOTERS)]
    election = services.election_create(
        council=council, term=term, title="P", role="president", candidates=members, actor=secretariat
    )
    old = [ElectionBallot.objects.create(id=uuid.uuid4(), election=election, choice=m) for m in members]
    migration.urns_rewrite(apps, None)
    stored = list(ElectionBallot.objects.filter(election=election).order_by("id"))
    assert sorted(b.choice_id for b in stored) == sorted(m.pk for m in members)
    assert not {b.id for b in stored} & {b.id for b in old}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_compaction_command_drops_dead_generations_of_an_open_urn(city_a, secretariat):
    """For an election closed while a backup was running (its snapshot keeps the dead tuples), or by hand."""
    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute("VACUUM FULL councils_electionballot")
    election, _voters, keys_ever = _election_cast_in_order(city_a, secretariat)
    assert _dead_and_raw("councils_electionballot")[0] > 100
    assert _older_transactions_end()
    call_command("elections_compact", stdout=io.StringIO())
    dead, live, raw = _dead_and_raw("councils_electionballot")
    assert (dead, live) == (0, VOTERS)
    current = set(ElectionBallot.objects.filter(election=election).values_list("id", flat=True))
    assert [key for key in keys_ever - current if key.bytes in raw] == []
