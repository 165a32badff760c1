"""Item.tally, the sum of an item's ballot points that the live state reads, stays equal to that sum whatever
writes the ballots: vote_cast, vote_cast_many (alone or in the ballot box's deferred groups), vote_withdraw and
items_merge, and on PostgreSQL under parallel group commits."""

import contextlib
import logging
import random
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultations import selectors, services
from consultations.live import locks
from consultations.models import Ballot, Item

from .conftest import join, to_phase


def _session(consultation, facilitator, *, method="dot", items=4, people=6):
    session = services.session_create(
        consultation=consultation,
        title=f"Tally {method}",
        created_by=facilitator,
        challenge_voting_method=method,
        dot_points=5,
        dot_max_per_item=3,
        premoderation=False,
    )
    to_phase(session, "challenges")
    members = [join(session) for _ in range(people)]
    made = [
        services.item_submit(participant=members[0], kind="challenge", text=f"Item number {i}") for i in range(items)
    ]
    to_phase(session, "challenge_voting")
    return session, members, made


def mismatches() -> list[tuple[int, int, int]]:
    """(item, tally, sum of its ballots) for every item whose tally is wrong."""
    sums = dict(Ballot.objects.values("item").annotate(n=Sum("points")).values_list("item", "n"))
    return [
        (pk, tally, sums.get(pk, 0))
        for pk, tally in Item.objects.values_list("pk", "tally")
        if tally != sums.get(pk, 0)
    ]


@pytest.mark.django_db
class TestEveryWriterKeepsTheTally:
    @pytest.fixture
    def world(self, consultation, facilitator):
        return _session(consultation, facilitator)

    # An operation: (kind, person, item, points). Kinds: cast alone, a group through the deferred writes of the
    # ballot box (with a run that is refused and rolled back), withdraw, merge one item into another.
    operation = st.tuples(
        st.sampled_from(["cast", "cast", "group", "group", "withdraw", "merge"]),
        st.integers(0, 5),
        st.integers(0, 3),
        st.sampled_from([1, 2, 3, 4, 0]),
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(operations=st.lists(operation, min_size=1, max_size=20), seed=st.integers(0, 2**16))
    def test_tally_equals_the_sum_after_any_mix_of_writes(self, world, operations, seed):
        _, people, items = world
        rng = random.Random(seed)
        with transaction.atomic():
            for kind, person, item, points in operations:
                kwargs = {"participant": people[person], "item_id": items[item].pk, "points": points}
                with contextlib.suppress(services.SessionError):
                    if kind == "cast":
                        services.vote_cast(**kwargs)
                    elif kind == "withdraw":
                        services.vote_withdraw(participant=people[person], item_id=items[item].pk)
                    elif kind == "merge":
                        other = items[(item + 1) % len(items)]
                        services.items_merge(source=items[item], target=other, actor=None)
                    else:
                        group = [
                            dict(
                                kwargs,
                                participant=rng.choice(people),
                                item_id=rng.choice(items).pk,
                                points=rng.randint(1, 3),
                            )
                            for _ in range(rng.randint(1, 6))
                        ]
                        with locks.tallies_deferred():
                            with transaction.atomic(), locks.tallies_deferred():
                                services.vote_cast_many(group)
                            with contextlib.suppress(RuntimeError), transaction.atomic(), locks.tallies_deferred():
                                services.vote_cast_many([dict(kwargs, points=1)])
                                raise RuntimeError("this run is refused: its ballots and tallies roll back")
                assert mismatches() == []
            transaction.set_rollback(True)

    def test_the_live_state_shows_the_tallies(self, world):
        session, people, items = world
        services.vote_cast(participant=people[0], item_id=items[0].pk, points=3)
        services.vote_cast(participant=people[1], item_id=items[0].pk, points=2)
        services.vote_cast(participant=people[1], item_id=items[1].pk, points=1)
        services.vote_withdraw(participant=people[0], item_id=items[0].pk)
        votes = {it["id"]: it["votes"] for it in selectors.session_snapshot(session.pk).items}
        assert votes == {items[0].pk: 2, items[1].pk: 1, items[2].pk: 0, items[3].pk: 0}

    def test_merge_moves_the_points_capped_per_person(self, world):
        _, people, items = world
        services.vote_cast(participant=people[0], item_id=items[0].pk, points=2)
        services.vote_cast(participant=people[0], item_id=items[1].pk, points=2)  # 4 together: capped at 3
        services.vote_cast(participant=people[1], item_id=items[0].pk, points=1)
        services.items_merge(source=items[0], target=items[1], actor=None)
        assert Item.objects.get(pk=items[0].pk).tally == 0
        assert Item.objects.get(pk=items[1].pk).tally == 3 + 1
        assert mismatches() == []


@pytest.mark.django_db
def test_a_deferred_group_writes_its_tallies_once_at_the_end_in_item_order(consultation, facilitator):
    _, people, items = _session(consultation, facilitator)
    requests = [{"participant": people[i], "item_id": items[3 - i].pk, "points": i % 3 + 1} for i in range(4)]
    calls = []

    def record(execute, sql, params, many, context):
        calls.append((sql, params, many))
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(record):
        with locks.tallies_deferred():
            services.vote_cast_many(requests[:2])
            services.vote_cast_many(requests[2:])
            inside = len(calls)
        after = len(calls)
    writes = [(i, params, many) for i, (sql, params, many) in enumerate(calls) if '"tally" = "tally" +' in sql]
    assert [i for i, _, _ in writes] == [inside] == [after - 1]  # nothing inside the block, one write at its end
    ((_, rows, many),) = writes
    assert many  # one statement per item, in one round trip
    assert [tuple(row) for row in rows] == [(1, items[0].pk), (3, items[1].pk), (2, items[2].pk), (1, items[3].pk)]
    assert [Item.objects.get(pk=i.pk).tally for i in items] == [1, 3, 2, 1]


@pytest.mark.django_db
def test_a_deferred_block_left_by_an_error_drops_its_changes(consultation, facilitator):
    _, _, items = _session(consultation, facilitator)
    with transaction.atomic(), locks.tallies_deferred():
        locks.tally_add({items[0].pk: 2})
        with contextlib.suppress(ValueError), locks.tallies_deferred():
            locks.tally_add({items[0].pk: 5, items[1].pk: 1})
            raise ValueError
    assert [Item.objects.get(pk=i.pk).tally for i in items[:2]] == [2, 0]


@pytest.mark.django_db
def test_the_tallies_command_finds_and_repairs_wrong_tallies(consultation, facilitator, capsys):
    session, people, items = _session(consultation, facilitator)
    services.vote_cast(participant=people[0], item_id=items[0].pk, points=2)
    call_command("tallies")
    assert "All 4 tallies match" in capsys.readouterr().out
    Item.objects.filter(pk__in=[items[0].pk, items[1].pk]).update(tally=7)  # written around the services
    with pytest.raises(CommandError, match="2 tallies do not match"):
        call_command("tallies")
    assert Item.objects.get(pk=items[0].pk).tally == 7  # a check changes nothing
    call_command("tallies", "--repair", "--session", str(session.pk))
    assert "Repaired 2 tallies" in capsys.readouterr().out
    assert mismatches() == []
    with pytest.raises(CommandError, match="no session with id 999999"):
        call_command("tallies", "--repair", "--session", "999999")


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_ballots_already_there(city_a, facilitator):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("consultations", "0002_item_submission_key")])
    try:
        old = executor.loader.project_state([("consultations", "0002_item_submission_key")]).apps
        consultation = old.get_model("consultations", "Consultation").objects.create(
            city_id=city_a.pk, title="Before tallies"
        )
        session = old.get_model("consultations", "Session").objects.create(
            consultation=consultation, title="Old", join_code="OLDCOD"
        )
        people = old.get_model("consultations", "Participant").objects
        participant, other = (people.create(session=session, consented_at=timezone.now()) for _ in range(2))
        item_model = old.get_model("consultations", "Item")
        voted, silent = (item_model.objects.create(session=session, kind="challenge", text=t) for t in "ab")
        ballots = old.get_model("consultations", "Ballot").objects
        ballots.create(session=session, participant=participant, item=voted, points=2)
        ballots.create(session=session, participant=other, item=voted, points=3)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert dict(Item.objects.filter(pk__in=[voted.pk, silent.pk]).values_list("pk", "tally")) == {
        voted.pk: 5,
        silent.pk: 0,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_group_commits_on_the_same_items_neither_deadlock_nor_miscount(consultation, facilitator):
    """Two writers (as two workers' ballot boxes, each person's ballots going to one of them) commit groups of
    several runs that touch the same items in opposite orders: the tallies are locked once per group, in item
    order, so neither waits for the other in a cycle."""
    session, people, items = _session(consultation, facilitator, method="dot", items=6, people=40)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        mine = people[seed::2]
        try:
            barrier.wait()
            for _round in range(25):
                order = items if (seed + _round) % 2 else list(reversed(items))
                group = [
                    {"participant": rng.choice(mine), "item_id": item.pk, "points": rng.randint(1, 2)} for item in order
                ]
                with transaction.atomic(), locks.tallies_deferred():
                    with transaction.atomic(), locks.tallies_deferred():
                        services.vote_cast_many(group[:3])
                    with contextlib.suppress(services.SessionError), transaction.atomic(), locks.tallies_deferred():
                        services.vote_withdraw(participant=rng.choice(mine), item_id=rng.choice(items).pk)
                    with transaction.atomic(), locks.tallies_deferred():
                        services.vote_cast_many(group[3:])
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Ballot.objects.filter(session=session).exists()
    assert mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_ballot_boxes_with_joins_ballots_and_withdrawals_lose_nothing(consultation, facilitator, caplog):
    """Two ballot boxes (two workers) take joins, ballots and withdrawals of the same people at once: no request
    fails, tallies match, and no group deadlocks, since a group of several runs takes its participants' and
    sessions' locks up front in the shared order (locks.group_lock; before it, groups here deadlocked several
    times a run and, now and then, three times in a row, which failed requests)."""
    from concurrent.futures import ThreadPoolExecutor

    from consultations.live.writer import BallotBox

    session, people, items = _session(consultation, facilitator, method="dot", items=5, people=30)
    boxes = [BallotBox(), BallotBox()]
    rng = random.Random(7)
    requests = []
    for _i in range(600):
        kind = rng.choice(["vote", "vote", "vote", "withdraw", "join"])
        if kind == "vote":
            requests.append(
                (
                    services.vote_cast,
                    {"participant": rng.choice(people), "item_id": rng.choice(items).pk, "points": rng.randint(1, 2)},
                )
            )
        elif kind == "withdraw":
            requests.append(
                (services.vote_withdraw, {"participant": rng.choice(people), "item_id": rng.choice(items).pk})
            )
        else:
            requests.append((services.participant_join, {"code": session.join_code, "consent": True}))

    def send(i):
        fn, kwargs = requests[i]
        try:
            boxes[i % 2].submit(fn, **kwargs).result(timeout=60)
            return "ok"
        except services.SessionError as refused:  # too many points: a rule, not a failure
            return type(refused).__name__
        except Exception as exc:
            return exc

    caplog.set_level(logging.INFO, logger="consultations.live.writer")
    try:
        with ThreadPoolExecutor(max_workers=24) as pool:
            outcomes = list(pool.map(send, range(len(requests))))
    finally:
        for box in boxes:
            box.stop()
    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert failures == []
    assert [r.getMessage() for r in caplog.records if "deadlocked" in r.getMessage()] == []
    assert outcomes.count("ok") > 300
    assert sum(box.batches for box in boxes) < len(requests)  # grouped
    assert mismatches() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_repair_during_a_ballot_not_yet_committed_keeps_that_ballot(consultation, facilitator):
    """tallies --repair while a ballot's transaction is open: the repair waits for it, then counts it."""
    _, people, items = _session(consultation, facilitator)
    services.vote_cast(participant=people[0], item_id=items[0].pk, points=2)
    Item.objects.filter(pk=items[0].pk).update(tally=9)  # wrong, as after a load around the services
    written, release = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def ballot() -> None:
        try:
            with transaction.atomic():
                services.vote_cast(participant=people[1], item_id=items[0].pk, points=3)
                written.set()
                release.wait(10)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    def repair() -> None:
        try:
            with transaction.atomic():
                services.tallies_recount(Item.objects.filter(pk=items[0].pk))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    voter = threading.Thread(target=ballot)
    voter.start()
    assert written.wait(10)
    repairer = threading.Thread(target=repair)
    repairer.start()
    repairer.join(0.5)
    assert repairer.is_alive()  # waiting for the ballot's transaction
    release.set()
    voter.join()
    repairer.join(10)
    assert errors == []
    assert Item.objects.get(pk=items[0].pk).tally == 2 + 3
    assert mismatches() == []


def _statements(run) -> list[str]:
    calls: list[str] = []

    def record(execute, sql, params, many, context):
        calls.append(sql)
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(record):
        run()
    return calls


@pytest.mark.django_db
@pytest.mark.parametrize("writer", ["cast", "cast_many", "withdraw", "merge"])
def test_every_writer_locks_the_session_before_the_items_it_counts(consultation, facilitator, writer):
    """The ballot box's groups lock participants, then the session (its version), then the items (tallies): a
    writer outside it that took an item before the session could wait on a group that waits on it."""
    _, people, items = _session(consultation, facilitator)
    services.vote_cast(participant=people[0], item_id=items[0].pk, points=1)
    run = {
        "cast": lambda: services.vote_cast(participant=people[1], item_id=items[1].pk, points=2),
        "cast_many": lambda: services.vote_cast_many([{"participant": people[1], "item_id": items[1].pk}]),
        "withdraw": lambda: services.vote_withdraw(participant=people[0], item_id=items[0].pk),
        "merge": lambda: services.items_merge(source=items[0], target=items[1], actor=None),
    }[writer]
    sql = _statements(run)
    session_lock = next(
        i
        for i, text in enumerate(sql)
        if text.startswith('UPDATE "consultations_session"')
        or (text.startswith('SELECT "consultations_session"."id"') and "FOR UPDATE" in text)
        or (writer == "merge" and text.startswith('SELECT "consultations_session"."id"'))
    )
    item_locks = [
        i
        for i, text in enumerate(sql)
        if '"tally" = "tally" +' in text
        or (text.startswith("SELECT") and 'FROM "consultations_item"' in text and "FOR UPDATE" in text)
        or (
            writer == "merge"
            and text.startswith('SELECT "consultations_item"')
            and "ORDER BY" in text
            and '"consultations_item"."id" IN' in text
        )
    ]
    assert item_locks and session_lock < min(item_locks)
    assert mismatches() == []
