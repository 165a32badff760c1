"""Moderation racing a voting room, with real parallel requests on PostgreSQL: bulk moderation, a merge and its
undo while participants vote on the same items. The tallies must stay exactly the sum of the ballots."""

import pytest
from rest_framework.test import APIClient

from consultations import services
from consultations.models import Ballot, Item, ItemMerge
from consultations.tokens import participant_token
from tests.conftest import token_client
from tests.consultations.conftest import in_parallel, voting_session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[False, True], ids=["direct", "group-commit"])
def group_commit(request, settings):
    settings.MAJLIS_BALLOT_GROUP_COMMIT = request.param


def test_bulk_moderation_and_a_merge_undone_while_the_room_votes_keep_tallies_exact(city_a, facilitator, group_commit):
    session, items = voting_session(
        city_a, facilitator, items=6, challenge_voting_method="dot", dot_points=4, dot_max_per_item=2
    )
    voters = [services.participant_join(code=session.join_code, consent=True) for _ in range(16)]
    for voter in voters[:8]:  # ballots on both items before the merge
        services.vote_cast(participant=voter, item_id=items[1].pk, points=2)
        services.vote_cast(participant=voter, item_id=items[0].pk, points=1)
    code = session.join_code
    staff = token_client(facilitator)

    def vote(voter, round_):
        def cast():
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(voter)}")
            statuses = []
            for i in (0, 1, 2, 3):
                item = items[(i + round_) % 4]
                answer = client.post(f"/api/v1/sessions/{code}/votes", {"item": item.pk, "points": 1}, format="json")
                statuses.append(answer.status_code)
            return statuses

        return cast

    def merge_and_undo():
        merged = staff.post(f"/api/v1/sessions/{code}/items/{items[1].pk}/merge", {"into": items[0].pk})
        undone = staff.post(f"/api/v1/sessions/{code}/merges/{merged.json()['merge']}/undo")
        return [merged.status_code, undone.status_code]

    def moderate():
        statuses = []
        for action, ids in (("hide", [2, 4]), ("approve", [2, 4, 5]), ("hide", [3])):
            body = {"items": [items[i].pk for i in ids], "action": action, "reason": "off_topic"}
            statuses.append(staff.post(f"/api/v1/sessions/{code}/items/moderation", body, format="json").status_code)
        return statuses

    jobs = [vote(voter, n) for n, voter in enumerate(voters)] + [merge_and_undo, moderate]
    results, errors = in_parallel(jobs)
    assert errors == []
    assert results[-2] == [200, 200] and results[-1] == [200, 200, 200]
    for statuses in results[:-2]:  # a vote on an item merged or hidden at that moment is refused, never a 500
        assert set(statuses) <= {200, 201, 400, 404, 409}, statuses
    for item in Item.objects.filter(session=session):
        assert item.tally == sum(Ballot.objects.filter(item=item).values_list("points", flat=True)), item.pk
    for voter in voters:
        assert sum(Ballot.objects.filter(participant=voter).values_list("points", flat=True)) <= 4
        assert all(points <= 2 for points in Ballot.objects.filter(participant=voter).values_list("points", flat=True))
    assert ItemMerge.objects.get().undone_at is not None
    assert Item.objects.get(pk=items[1].pk).status == "approved"


def test_a_vote_racing_a_merge_is_moved_with_it_or_refused_never_left_on_the_merged_item(
    city_a, facilitator, group_commit
):
    session, (kept, duplicate) = voting_session(city_a, facilitator, items=2)
    voters = [services.participant_join(code=session.join_code, consent=True) for _ in range(24)]
    code = session.join_code
    staff = token_client(facilitator)

    def vote(voter):
        def cast():
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(voter)}")
            return client.post(f"/api/v1/sessions/{code}/votes", {"item": duplicate.pk}, format="json").status_code

        return cast

    def merge():
        return staff.post(f"/api/v1/sessions/{code}/items/{duplicate.pk}/merge", {"into": kept.pk}).status_code

    # The merge in the middle of the voters, so that some votes read the duplicate before it commits.
    jobs = [vote(voter) for voter in voters[:12]] + [merge] + [vote(voter) for voter in voters[12:]]
    results, errors = in_parallel(jobs)
    assert errors == [] and results[12] == 200
    answers = results[:12] + results[13:]
    assert set(answers) <= {201, 404}, answers  # counted, or refused because the item was merged: never a 500
    assert not Ballot.objects.filter(item=duplicate).exists()  # nothing stranded on the item nobody sees
    counted = {voter.pk for voter, status in zip(voters, answers, strict=True) if status == 201}
    assert set(Ballot.objects.filter(item=kept).values_list("participant_id", flat=True)) == counted
    assert Item.objects.get(pk=kept.pk).tally == len(counted)
