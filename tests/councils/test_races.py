"""One ballot per member under parallel requests, on PostgreSQL."""

import threading

import pytest
from django.db import connection
from django.test import Client

from councils import services
from councils.models import BallotCode, ElectionBallot, ElectionVoter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _parallel(n, target):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        try:
            barrier.wait()
            results.append(target(i))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_the_same_ballot_code_sent_in_parallel_counts_once(council, term, members, secretariat):
    election = services.election_create(
        council=council, term=term, title="P", role="president", candidates=members[:2], actor=secretariat
    )
    services.election_open(election=election, actor=secretariat)
    code = BallotCode.objects.get(election=election, membership=members[0]).code

    def vote(i):
        choice = members[i % 2].pk
        return Client().post(f"/e/{code}/", {"choice": str(choice)}).status_code

    results, errors = _parallel(8, vote)
    assert not errors
    assert ElectionVoter.objects.filter(election=election).count() == 1
    assert ElectionBallot.objects.filter(election=election).count() == 1
    assert sorted(results).count(200) == 1  # one thanks page; the others are told the code was used
    assert all(status in (200, 409) for status in results)


def test_members_voting_at_once_lose_no_ballot_while_the_urn_is_rewritten(council, term, secretariat):
    """Each cast rewrites the whole urn (services._urn_rewrite) under the election's row lock: parallel casts of
    different members queue, and none overwrites another's ballot."""
    from collections import Counter

    from .factories import add_member

    voters = [add_member(term, secretariat) for _ in range(10)]
    election = services.election_create(
        council=council, term=term, title="P", role="president", candidates=voters[:3], actor=secretariat
    )
    services.election_open(election=election, actor=secretariat)
    codes = {c.membership_id: c.code for c in BallotCode.objects.filter(election=election)}

    def vote(i):
        response = Client().post("/e/", {"code": codes[voters[i].pk], "choice": str(voters[i % 3].pk)})
        return response.status_code

    results, errors = _parallel(10, vote)
    assert not errors and results == [200] * 10
    assert ElectionVoter.objects.filter(election=election).count() == 10
    stored = Counter(ElectionBallot.objects.filter(election=election).values_list("choice_id", flat=True))
    assert stored == Counter(voters[i % 3].pk for i in range(10))
