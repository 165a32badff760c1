"""Live results under disclosure control, read through the API as a participant or the console would read them
(consultations.selectors.session_results; the rule itself: cities/disclosure.py, attacked in
tests/hardening/test_disclosure.py)."""

import pytest

from consultations import services
from consultations.models import Phase

from .conftest import join

pytestmark = pytest.mark.django_db


def _room(session, facilitator, profiles, votes):
    """Participants with ``profiles`` and three approved challenges; ``votes[i]`` lists the items person i supports.
    Returns (people, items); the session is left in its results phase."""
    author = join(session)
    services.session_set_phase(session=session, phase=Phase.CHALLENGES, actor=facilitator)
    items = [services.item_submit(participant=author, kind="challenge", text=f"Challenge {n}") for n in range(3)]
    people = [join(session, **profile) for profile in profiles]
    services.session_set_phase(session=session, phase=Phase.CHALLENGE_VOTING, actor=facilitator)
    for person, chosen in zip(people, votes, strict=True):
        for n in chosen:
            services.vote_cast(participant=person, item_id=items[n].pk)
    return people, items


def _results(client, session):
    response = client.get(f"/api/v1/sessions/{session.join_code}/results")
    assert response.status_code == 200
    return response.json()


def test_the_only_boy_among_six_girls_keeps_his_ballot(live_session, facilitator, facilitator_api):
    """The issue's attack: supporters minus the visible cells of each item gave the boy's whole ballot."""
    girl = {"gender": "female", "age_band": "15_17"}
    boy = {"gender": "male", "age_band": "under_15"}
    _people, items = _room(
        live_session, facilitator, [girl] * 6 + [boy], [[0, 1], [0], [0, 2], [1], [1, 2], [], [0, 1]]
    )
    during = _results(facilitator_api, live_session)
    assert during["disclosure"]["breakdowns"] == "after_voting"
    assert all(b == {"groups": {}, "items": {}, "shown": False, "pooled": []} for b in during["breakdowns"].values())

    services.session_set_phase(session=live_session, phase=Phase.RESULTS, actor=facilitator)
    results = _results(facilitator_api, live_session)
    assert results["disclosure"] == {
        "method": "complementary_suppression",
        "threshold": 5,
        "basis": "voters",
        "breakdowns": "shown",
        "question": None,
    }
    supporters = {it["id"]: it["supporters"] for it in results["items"]}
    assert supporters == {items[0].pk: 4, items[1].pk: 4, items[2].pk: 2}  # the vote stays exact
    for name, breakdown in results["breakdowns"].items():
        for item_id, cells in breakdown["items"].items():
            visible = sum(v for v in cells.values() if isinstance(v, int))
            hidden = [g for g, v in cells.items() if isinstance(v, str)]
            # subtracting what is visible never isolates a group of fewer than five
            assert not (len(hidden) == 1 and supporters[int(item_id)] - visible < 5), (name, cells)
    # one boy: he would be a group of one, and pooled he would leave a single group: no gender breakdown at all
    assert results["breakdowns"]["gender"]["shown"] is False
    assert results["breakdowns"]["age_band"]["shown"] is False
    assert [c["score"] for c in results["consensus"]] == sorted(
        (round(s / 8, 4) for s in (4, 4, 2)), reverse=True
    )  # no group published: each item's share of the room (the author joined too)


def test_cells_are_hidden_with_their_complement_and_a_late_joiner_changes_nothing(
    live_session, facilitator, facilitator_api
):
    profiles = [{"gender": "female"}] * 6 + [{"gender": "male"}] * 6
    votes = [[0]] * 6 + [[0], [0], [1], [1], [1], [1]]  # item 0: six girls, two boys
    _people, items = _room(live_session, facilitator, profiles, votes)
    services.session_set_phase(session=live_session, phase=Phase.RESULTS, actor=facilitator)
    results = _results(facilitator_api, live_session)
    gender = results["breakdowns"]["gender"]
    assert results["disclosure"]["question"] == "gender"
    assert gender["groups"] == {"female": 6, "male": 6}
    assert gender["items"][str(items[0].pk)] == {"female": "*", "male": "<5"}
    for _n in range(4):  # four more boys join after voting: the boys are still the same six voters
        join(live_session, gender="male")
    assert _results(facilitator_api, live_session)["breakdowns"] == results["breakdowns"]


def test_one_question_is_broken_down_so_that_two_cannot_cross(live_session, facilitator, facilitator_api):
    """Gender and age band both have two groups of five or more; only one is published (the first on a tie): the
    people in both would otherwise let a hidden count follow from the two rows together."""
    profiles = (
        [{"gender": "female", "age_band": "15_17"}] * 3
        + [{"gender": "female", "age_band": "18_24"}] * 3
        + [{"gender": "male", "age_band": "15_17"}] * 3
        + [{"gender": "male", "age_band": "18_24"}] * 3
    )
    _room(live_session, facilitator, profiles, [[0]] * 12)
    services.session_set_phase(session=live_session, phase=Phase.RESULTS, actor=facilitator)
    results = _results(facilitator_api, live_session)
    assert results["disclosure"]["question"] == "gender"
    assert [b["shown"] for b in results["breakdowns"].values()] == [True, False, False]
    assert results["consensus_groups"] == ["gender:female", "gender:male"]


def test_a_filtered_view_publishes_the_same_cells(live_session, facilitator):
    """Two views (all items, challenges only) give each item the same cells: nothing to subtract between them."""
    from consultations import selectors

    profiles = [{"gender": "female"}] * 6 + [{"gender": "male"}] * 6
    _room(live_session, facilitator, profiles, [[0, 1]] * 6 + [[0], [0], [1], [1], [2], [2]])
    services.session_set_phase(session=live_session, phase=Phase.RESULTS, actor=facilitator)
    everything = selectors.session_results(live_session)["breakdowns"]["gender"]["items"]
    challenges = selectors.session_results(live_session, kind="challenge")["breakdowns"]["gender"]["items"]
    assert challenges == everything and len(everything) == 3


def test_going_back_to_voting_does_not_let_two_readings_give_a_newcomer_away(
    live_session, facilitator, facilitator_api
):
    """Phases move back as well as forwards: results are shown, the facilitator reopens voting, a boy and a girl join
    and vote, results are shown again. The item's total rises by one and the boys' exact cell by one: the boy's
    ballot (a group of one) is read from the difference, though the total alone left two possibilities."""
    profiles = [{"gender": "male"}] * 10 + [{"gender": "female"}] * 5 + [{"gender": "unsaid"}] * 5
    votes = [[0, 1]] * 5 + [[1]] * 5 + [[0, 1]] * 2 + [[1]] * 3 + [[0, 1]] * 3 + [[1]] * 2
    _people, items = _room(live_session, facilitator, profiles, votes)
    services.session_set_phase(session=live_session, phase=Phase.RESULTS, actor=facilitator)
    before = _results(facilitator_api, live_session)

    services.session_set_phase(session=live_session, phase=Phase.CHALLENGE_VOTING, actor=facilitator)
    boy, girl = join(live_session, gender="male"), join(live_session, gender="female")
    for person, chosen in ((boy, [0, 1]), (girl, [1])):
        for n in chosen:
            services.vote_cast(participant=person, item_id=items[n].pk)
    services.session_set_phase(session=live_session, phase=Phase.RESULTS, actor=facilitator)
    after = _results(facilitator_api, live_session)

    item = str(items[0].pk)
    total = {r["id"]: r["supporters"] for r in after["items"]}[items[0].pk] - {
        r["id"]: r["supporters"] for r in before["items"]
    }[items[0].pk]
    assert total == 1  # one of the two newcomers supported item 0: the vote itself says no more
    cells = [r["breakdowns"]["gender"]["items"].get(item, {}).get("male") for r in (before, after)]
    grown = before["breakdowns"]["gender"]["groups"] != after["breakdowns"]["gender"]["groups"]
    # both exact over grown groups: their difference is the newcomers' support, here the boy's ballot
    assert not (grown and all(isinstance(c, int) for c in cells)), cells
    assert after["disclosure"]["breakdowns"] == "withheld"


def _shown_room(session, facilitator):
    """Twenty voters over two items, in their results phase, with a gender breakdown shown."""
    profiles = [{"gender": "male"}] * 10 + [{"gender": "female"}] * 5 + [{"gender": "unsaid"}] * 5
    votes = [[0, 1]] * 5 + [[1]] * 5 + [[0, 1]] * 2 + [[1]] * 3 + [[0, 1]] * 3 + [[1]] * 2
    people, items = _room(session, facilitator, profiles, votes)
    services.session_set_phase(session=session, phase=Phase.RESULTS, actor=facilitator)
    return people, items


def test_setting_ballots_aside_after_voting_withholds_the_breakdowns_for_good(
    live_session, facilitator, facilitator_api
):
    """Two readings around a set-aside would differ by the ballots of the few set aside: by group, theirs."""
    from consultations import joins

    people, _items = _shown_room(live_session, facilitator)
    assert _results(facilitator_api, live_session)["disclosure"]["breakdowns"] == "shown"
    joins.participants_set_aside(session=live_session, participant_ids=[people[0].pk], actor=facilitator)
    after = _results(facilitator_api, live_session)
    assert after["disclosure"]["breakdowns"] == "withheld"
    assert all(not b["shown"] and b["items"] == {} for b in after["breakdowns"].values())
    joins.participants_restore(session=live_session, participant_ids=[people[0].pk], actor=facilitator)
    assert _results(facilitator_api, live_session)["disclosure"]["breakdowns"] == "withheld"  # for good


def test_merging_items_after_voting_withholds_the_breakdowns(live_session, facilitator, facilitator_api):
    """A merge adds up two items' supporters less those who supported both: by group, a count the breakdowns of the
    two items did not give."""
    _people, items = _shown_room(live_session, facilitator)
    services.items_merge(source=items[0], target=items[1], actor=facilitator)
    assert _results(facilitator_api, live_session)["disclosure"]["breakdowns"] == "withheld"


def test_the_first_vote_of_each_kind_does_not_withhold_the_breakdowns(live_session, facilitator, facilitator_api):
    """Entering a voting phase for the first time, or voting on proposals after challenges, changes no ballot
    counted before: breakdowns come back once voting is over."""
    _people, _items = _shown_room(live_session, facilitator)
    live_session.refresh_from_db()
    assert not live_session.breakdowns_withheld
    services.session_set_phase(session=live_session, phase=Phase.PROPOSAL_VOTING, actor=facilitator)
    services.session_set_phase(session=live_session, phase=Phase.RESULTS, actor=facilitator)
    assert _results(facilitator_api, live_session)["disclosure"]["breakdowns"] == "shown"
