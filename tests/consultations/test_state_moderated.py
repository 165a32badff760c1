"""The state tells a phone that one of its own items or ballots changed, and nothing more (docs/realtime.md, "What
moved off the screen"): the ids of hidden items, and each merged item with the item it was merged into."""

import json

import pytest

from consultations import selectors, services
from consultations.models import ItemStatus
from consultations.tokens import participant_token

from .conftest import Phase, join, to_phase

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderated(live_session, facilitator):
    """Five challenges: approved, hidden once approved, pending then hidden, merged (it had a ballot), still pending."""
    session = live_session
    session.premoderation = True
    session.save(update_fields=["premoderation"])
    author, voter = join(session), join(session)
    to_phase(session, Phase.CHALLENGES)
    texts = ["Kept on screen", "Hidden after approval", "Hidden while pending", "Merged duplicate", "Still pending"]
    items = {text: services.item_submit(participant=author, kind="challenge", text=text) for text in texts}
    for text in ("Kept on screen", "Hidden after approval", "Merged duplicate"):
        services.item_moderate(item=items[text], action="approve", actor=facilitator)
    to_phase(session, Phase.CHALLENGE_VOTING)
    services.vote_cast(participant=voter, item_id=items["Merged duplicate"].pk)
    for text in ("Hidden after approval", "Hidden while pending"):
        services.item_moderate(item=items[text], action="hide", actor=facilitator)
    services.items_merge(source=items["Merged duplicate"], target=items["Kept on screen"], actor=facilitator)
    return session, items, author, voter


def test_the_public_state_names_hidden_and_merged_items_by_id_only(moderated):
    session, items, _, _ = moderated
    state = selectors.session_state(session, audience=selectors.PUBLIC)
    assert [it["id"] for it in state["items"]] == [items["Kept on screen"].pk]
    assert state["hidden"] == sorted([items["Hidden after approval"].pk, items["Hidden while pending"].pk])
    assert state["merged"] == [{"id": items["Merged duplicate"].pk, "into": items["Kept on screen"].pk}]


def test_an_attacker_reading_the_state_learns_no_hidden_text_no_pending_item_and_no_author(moderated):
    session, items, author, _ = moderated
    public = json.dumps(selectors.session_state(session, audience=selectors.PUBLIC), ensure_ascii=False)
    for text in ("Hidden after approval", "Hidden while pending", "Merged duplicate", "Still pending"):
        assert text not in public
    assert str(items["Still pending"].pk) not in json.dumps(
        {k: v for k, v in json.loads(public).items() if k in ("hidden", "merged")}
    )
    state = json.loads(public)
    assert all(type(item_id) is int for item_id in state["hidden"])
    assert all(entry.keys() == {"id", "into"} for entry in state["merged"])  # no author, no text, no tally
    assert participant_token(author) not in public


def test_the_rest_state_and_the_staff_state_carry_the_same_fields(moderated, api_client, facilitator_api):
    session, items, _, voter = moderated
    api_client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(voter)}")
    public = api_client.get(f"/api/v1/sessions/{session.join_code}/state").json()
    staff = facilitator_api.get(f"/api/v1/sessions/{session.join_code}/state").json()
    assert (
        public["hidden"]
        == staff["hidden"]
        == sorted([items["Hidden after approval"].pk, items["Hidden while pending"].pk])
    )
    assert (
        public["merged"]
        == staff["merged"]
        == [{"id": items["Merged duplicate"].pk, "into": items["Kept on screen"].pk}]
    )
    # Staff still see hidden items with their text in items, as before; merged ones are still left out.
    assert {it["status"] for it in staff["items"]} == {ItemStatus.APPROVED, ItemStatus.HIDDEN, ItemStatus.PENDING}


def test_me_gives_the_status_the_phone_compares_and_the_kind_of_each_ballot(moderated, api_client):
    session, items, author, voter = moderated
    api_client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(author)}")
    mine = {
        it["text"]: it["status"] for it in api_client.get(f"/api/v1/sessions/{session.join_code}/me").json()["items"]
    }
    assert mine == {
        "Kept on screen": "approved",
        "Hidden after approval": "hidden",
        "Hidden while pending": "hidden",
        "Merged duplicate": "merged",
        "Still pending": "pending",
    }
    api_client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(voter)}")
    ballots = api_client.get(f"/api/v1/sessions/{session.join_code}/me").json()["ballots"]
    assert ballots == [{"item": items["Kept on screen"].pk, "points": 1, "kind": "challenge"}]  # moved by the merge


def test_a_session_without_moderation_has_empty_lists(live_session):
    state = selectors.session_state(live_session, audience=selectors.PUBLIC)
    assert (state["hidden"], state["merged"]) == ([], [])
