"""Secret-ballot elections: codes, one ballot per member, secrecy by design, ties, quorum, roster update."""

import datetime

import pytest
from django.db import models

from councils import services
from councils.errors import AlreadyVoted, CouncilError, ElectionNotOpen, UnknownCode
from councils.models import (
    BallotCode,
    ElectionBallot,
    ElectionOutcome,
    ElectionVoter,
    MembershipChange,
)

from .factories import add_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(council, term, members, secretariat):
    return services.election_create(
        council=council, term=term, title="President", role="president", candidates=members[:2], actor=secretariat
    )


def _codes(election):
    return {c.membership_id: c.code for c in BallotCode.objects.filter(election=election)}


def test_the_ballot_is_stored_apart_from_who_voted():
    """No field of a ballot points at a voter, a code or a time; nothing in the register points at a ballot."""
    ballot_fields = {f.name: f for f in ElectionBallot._meta.get_fields()}
    assert set(ballot_fields) == {"id", "election", "choice"}
    assert isinstance(ballot_fields["id"], models.UUIDField)  # random key: insertion order is not kept
    assert not any(isinstance(f, (models.DateTimeField, models.DateField)) for f in ballot_fields.values())
    for model in (ElectionVoter, BallotCode):
        for field in model._meta.get_fields():
            assert getattr(field, "related_model", None) is not ElectionBallot
    assert not any(f.related_model in (ElectionVoter, BallotCode) for f in ElectionBallot._meta.get_fields())


def test_opening_gives_every_active_member_one_code(election, members, secretariat):
    services.election_open(election=election, actor=secretariat)
    assert set(_codes(election)) == {m.pk for m in members}
    election.refresh_from_db()
    assert election.eligible_count == 4


def test_a_code_votes_once(election, members, secretariat):
    services.election_open(election=election, actor=secretariat)
    code = _codes(election)[members[2].pk]
    services.ballot_cast(code=code, choice=members[0])
    with pytest.raises(AlreadyVoted):
        services.ballot_cast(code=code, choice=members[1])
    assert ElectionBallot.objects.count() == 1 and ElectionVoter.objects.count() == 1


def test_one_ballot_per_member_is_a_database_constraint(election, members, secretariat):
    from django.db import IntegrityError, transaction

    services.election_open(election=election, actor=secretariat)
    ElectionVoter.objects.create(election=election, membership=members[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        ElectionVoter.objects.create(election=election, membership=members[0])


def test_votes_only_while_open_and_only_for_candidates(election, members, secretariat):
    with pytest.raises(UnknownCode):
        services.ballot_cast(code="NOSUCHCD", choice=members[0])
    services.election_open(election=election, actor=secretariat)
    codes = _codes(election)
    with pytest.raises(CouncilError):
        services.ballot_cast(code=codes[members[0].pk], choice=members[3])  # not a candidate
    assert not ElectionVoter.objects.exists()
    services.election_close(election=election, actor=secretariat)
    with pytest.raises(ElectionNotOpen):
        services.ballot_cast(code=codes[members[1].pk], choice=members[0])


def test_the_winner_becomes_president_with_the_election_as_reason(election, members, secretariat):
    services.election_open(election=election, actor=secretariat)
    codes = _codes(election)
    for voter, choice in [(0, 1), (1, 1), (2, 0), (3, None)]:
        services.ballot_cast(code=codes[members[voter].pk], choice=members[choice] if choice is not None else None)
    election = services.election_close(election=election, actor=secretariat)
    assert election.outcome == ElectionOutcome.WINNER and election.winner == members[1]
    assert election.tally == {
        "candidates": {str(members[0].pk): 1, str(members[1].pk): 2},
        "blank": 1,
        "turnout": 4,
    }
    members[1].refresh_from_db()
    assert members[1].role == "president"
    change = MembershipChange.objects.filter(membership=members[1]).order_by("-id").first()
    assert change.election == election and change.changes["role"] == ["member", "president"]


def test_a_new_president_replaces_the_sitting_one(council, term, members, secretariat):
    sitting = add_member(term, role="president")
    election = services.election_create(
        council=council, term=term, title="P", role="president", candidates=[members[0]], actor=secretariat
    )
    services.election_open(election=election, actor=secretariat)
    for code in _codes(election).values():
        services.ballot_cast(code=code, choice=members[0])
    services.election_close(election=election, actor=secretariat)
    sitting.refresh_from_db()
    members[0].refresh_from_db()
    assert sitting.role == "member" and members[0].role == "president"


def test_a_tie_gives_no_winner_by_default(election, members, secretariat):
    services.election_open(election=election, actor=secretariat)
    codes = _codes(election)
    services.ballot_cast(code=codes[members[0].pk], choice=members[0])
    services.ballot_cast(code=codes[members[1].pk], choice=members[1])
    election = services.election_close(election=election, actor=secretariat)
    assert election.outcome == ElectionOutcome.TIE and election.winner is None
    members[0].refresh_from_db()
    assert members[0].role == "member"


def test_a_tie_drawn_by_lot_records_a_seed_that_reproduces_the_draw(council, term, members, secretariat):
    import random

    election = services.election_create(
        council=council,
        term=term,
        title="P",
        role="president",
        candidates=members[:2],
        actor=secretariat,
        tie_rule="lots",
    )
    services.election_open(election=election, actor=secretariat)
    codes = _codes(election)
    services.ballot_cast(code=codes[members[0].pk], choice=members[0])
    services.ballot_cast(code=codes[members[1].pk], choice=members[1])
    election = services.election_close(election=election, actor=secretariat)
    assert election.outcome == ElectionOutcome.WINNER_BY_LOT and election.lot_seed
    expected = random.Random(election.lot_seed).choice(sorted([members[0].pk, members[1].pk]))
    assert election.winner_id == expected


def test_below_the_quorum_there_is_no_winner(election, members, secretariat):
    services.election_open(election=election, actor=secretariat)
    services.ballot_cast(code=_codes(election)[members[0].pk], choice=members[0])  # 1 of 4 < 50%
    election = services.election_close(election=election, actor=secretariat)
    assert election.outcome == ElectionOutcome.NO_QUORUM and election.winner is None


def test_candidates_must_be_active_members_of_the_term(council, term, members, secretariat):
    services.membership_end(membership=members[0], actor=secretariat, reason="left", ends_on=datetime.date(2026, 6, 1))
    with pytest.raises(CouncilError):
        services.election_create(
            council=council, term=term, title="P", role="president", candidates=[members[0]], actor=secretariat
        )
