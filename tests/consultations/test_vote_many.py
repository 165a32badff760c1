"""services.vote_cast_many (the ballot box's set-based writer) decides exactly as vote_cast one after the other."""

import contextlib

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from consultations import services
from consultations.models import Ballot, Participant, Session

from .conftest import join, to_phase

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(consultation, facilitator):
    """Two sessions: dot voting (3 points, at most 2 on one item) on challenges and approval voting."""
    dot = services.session_create(
        consultation=consultation,
        title="Dot",
        created_by=facilitator,
        challenge_voting_method="dot",
        dot_points=3,
        dot_max_per_item=2,
        premoderation=False,
    )
    approval = services.session_create(
        consultation=consultation, title="Approval", created_by=facilitator, premoderation=False
    )
    people, items = [], []
    for session in (dot, approval):
        to_phase(session, "challenges")
        members = [join(session) for _ in range(3)]
        people += members
        items += [
            services.item_submit(participant=members[0], kind="challenge", text=f"{session.title} {i}")
            for i in range(3)
        ]
    services.item_moderate(item=items[2], action="hide", actor=facilitator)  # not open for votes
    for session in (dot, approval):
        to_phase(session, "challenge_voting")
    closed = services.session_create(consultation=consultation, title="Closed", created_by=facilitator)
    late = join(closed)
    to_phase(closed, "closed")
    people.append(late)
    ghost = Participant(pk=10**9, session_id=dot.pk)  # a token whose participant was erased
    people.append(ghost)
    # Ids of no item: one in range, one beyond any integer column (the database would refuse it in a query).
    return {"people": people, "items": [i.pk for i in items] + [10**9, 10**30], "sessions": [dot, approval, closed]}


def _outcome(value):
    if isinstance(value, Exception):
        return (type(value).__name__, str(getattr(value, "message", value)))
    return (value.ballot.item_id, value.ballot.participant_id, value.ballot.points, value.changed, value.created)


def _state(world):
    ballots = sorted(Ballot.objects.values_list("participant_id", "item_id", "points"))
    versions = {s.pk: s.version for s in Session.objects.filter(pk__in=[s.pk for s in world["sessions"]])}
    return ballots, versions


# Weighted towards the dot-voting session's people and items, where the rules interact (points left, changes).
request = st.tuples(
    st.sampled_from([0, 0, 0, 1, 1, 2, 3, 4, 6, 7]),
    st.sampled_from([0, 0, 1, 1, 2, 3, 4, 6, 7]),
    st.sampled_from([1, 2, 2, "2", 3, 0, -1, "x"]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(prefix=[], sequence=[(0, 0, 2), (0, 1, 2), (0, 0, 1), (0, 1, 2)])
@example(prefix=[(0, 0, 2)], sequence=[(0, 1, 1), (0, 0, 2), (1, 0, 1), (0, 1, 2)])
@given(prefix=st.lists(request, max_size=6), sequence=st.lists(request, min_size=1, max_size=25))
def test_vote_cast_many_decides_like_vote_cast_one_after_the_other(world, prefix, sequence):
    def as_kwargs(triples):
        return [
            {"participant": world["people"][p], "item_id": world["items"][i], "points": pts} for p, i, pts in triples
        ]

    with transaction.atomic():
        for kwargs in as_kwargs(prefix):  # ballots already in the database before the group
            with contextlib.suppress(services.SessionError):
                services.vote_cast(**kwargs)
        _, before_versions = _state(world)

        with transaction.atomic():
            results = services.vote_cast_many(as_kwargs(sequence))
            many = [_outcome(v) for v in results]
            many_ballots, many_versions = _state(world)
            # A written ballot's answer gives the version its group committed; an unchanged one gives none. Its
            # ballot is the stored row (a group never deletes one, so the row is still there).
            stored_ids = {(p, i): pk for pk, p, i in Ballot.objects.values_list("pk", "participant_id", "item_id")}
            for v in results:
                if isinstance(v, services.VoteResult):
                    assert v.version == (many_versions[v.ballot.session_id] if v.changed else None)
                    assert v.ballot.pk == stored_ids[v.ballot.participant_id, v.ballot.item_id]
            transaction.set_rollback(True)

        one_by_one, last_version = [], {}
        for kwargs in as_kwargs(sequence):
            try:
                with transaction.atomic():
                    result = services.vote_cast(**kwargs)
                    one_by_one.append(_outcome(result))
                    if result.changed:  # each change raises its session's version by one and answers it
                        session_id = result.ballot.session_id
                        assert result.version > last_version.get(session_id, before_versions[session_id])
                        last_version[session_id] = result.version
                    else:
                        assert result.version is None
            except services.SessionError as exc:
                one_by_one.append(_outcome(exc))
        single_ballots, single_versions = _state(world)
        transaction.set_rollback(True)

    assert many == one_by_one
    assert many_ballots == single_ballots
    assert all(single_versions[session_id] == version for session_id, version in last_version.items())
    for session_id, version in before_versions.items():
        # The group raises a session's version once, one by one once per change: both move iff something changed.
        assert (many_versions[session_id] > version) == (single_versions[session_id] > version)


def test_a_group_goes_through_the_ballot_box_with_few_queries(world, django_assert_num_queries):
    dot_people = world["people"][:3]
    requests = [{"participant": p, "item_id": world["items"][i], "points": 1} for p in dot_people for i in (0, 1)]
    # participants with their sessions, items, held ballots, insert, version, statuses again, tallies
    with transaction.atomic(), django_assert_num_queries(7):
        results = services.vote_cast_many(requests)
    assert [r.created for r in results] == [True] * 6
    assert Ballot.objects.count() == 6


def test_a_group_stamps_the_ballots_it_creates_and_changes(world):
    """The group writes its rows in plain SQL (ballot_rows): the times it stores read back as the ORM's own."""
    person, item = world["people"][0], world["items"][0]
    before = timezone.now()
    with transaction.atomic():
        (created,) = services.vote_cast_many([{"participant": person, "item_id": item, "points": 1}])
    ballot = Ballot.objects.get(pk=created.ballot.pk)
    assert ballot.created_at == ballot.updated_at
    assert before <= ballot.created_at <= timezone.now()
    assert ballot.created_at.tzinfo is not None
    with transaction.atomic():
        (changed,) = services.vote_cast_many([{"participant": person, "item_id": item, "points": 2}])
    assert changed.changed and changed.ballot.pk == ballot.pk
    ballot.refresh_from_db()
    assert ballot.points == 2
    assert ballot.updated_at > ballot.created_at
    assert Ballot.objects.filter(participant=person).count() == 1


def test_an_item_id_beyond_any_integer_refuses_that_ballot_alone(world):
    """The ballot box's group is one statement per step: an id the database cannot take would fail every ballot of
    the group (a 500 for each voter), where vote_cast answers UnknownItem."""
    person, other = world["people"][0], world["people"][1]
    with transaction.atomic():
        huge, fine = services.vote_cast_many(
            [
                {"participant": person, "item_id": 10**30, "points": 1},
                {"participant": other, "item_id": world["items"][0], "points": 1},
            ]
        )
    assert isinstance(huge, services.UnknownItem)
    assert fine.changed and fine.created
    assert list(Ballot.objects.values_list("participant_id", flat=True)) == [other.pk]
