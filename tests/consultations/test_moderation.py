"""Moderation at the size of a room: many items at once, reasons audited, merges recorded and undone."""

import pytest

from cities.models import AuditEntry
from consultations import selectors, services
from consultations.errors import InvalidInput, MergeAlreadyUndone, MergeUndoBlocked, UnknownItem
from consultations.models import Ballot, Item, ItemMerge, Session, VotingMethod

from .conftest import Phase, join, to_phase


def _pending(session, facilitator, n=5, kind="challenge", texts=None):
    services.session_configure(session=session, actor=facilitator, premoderation=True)
    author = join(session)
    to_phase(session, Phase.CHALLENGES if kind == "challenge" else Phase.PROPOSALS, facilitator)
    texts = texts or [f"Challenge number {i}" for i in range(n)]
    return [services.item_submit(participant=author, kind=kind, text=text) for text in texts]


def _version(session):
    return Session.objects.get(pk=session.pk).version


def _tallies_exact(session):
    for item in Item.objects.filter(session=session):
        assert item.tally == sum(Ballot.objects.filter(item=item).values_list("points", flat=True)), item


def _ballots(session):
    return sorted(Ballot.objects.filter(session=session).values_list("participant_id", "item_id", "points"))


# --- Many at once ------------------------------------------------------------------------------------------


def test_approving_many_items_is_one_version_and_one_audit_record_each(live_session, facilitator):
    items = _pending(live_session, facilitator, n=6)
    before = _version(live_session)
    done = services.items_moderate(
        session=live_session, item_ids=[it.pk for it in items[:4]], action="approve", actor=facilitator
    )
    assert [it.pk for it in done] == [it.pk for it in items[:4]]
    assert _version(live_session) == before + 1
    statuses = dict(Item.objects.filter(session=live_session).values_list("pk", "status"))
    assert [statuses[it.pk] for it in items] == ["approved"] * 4 + ["pending"] * 2
    entries = AuditEntry.objects.filter(action="item.approve")
    assert sorted(int(e.target_id) for e in entries) == [it.pk for it in items[:4]]
    assert all(e.actor == facilitator and e.data["from"] == "pending" and e.data["bulk"] == 4 for e in entries)


def test_hiding_many_items_keeps_the_reason_in_every_audit_record(live_session, facilitator):
    items = _pending(live_session, facilitator, n=3)
    services.items_moderate(
        session=live_session,
        item_ids=[it.pk for it in items],
        action="hide",
        reason="other",
        note="  Names a teacher  ",
        actor=facilitator,
    )
    entries = AuditEntry.objects.filter(action="item.hide")
    assert entries.count() == 3
    assert {(e.data["reason"], e.data["note"]) for e in entries} == {("other", "Names a teacher")}
    assert set(Item.objects.values_list("status", flat=True)) == {"hidden"}


@pytest.mark.parametrize(
    ("ids", "action", "reason", "note"),
    [
        ("all", "hide", "", ""),  # hiding needs a reason
        ("all", "hide", "because", ""),  # not one of the reasons
        ("all", "hide", "other", ""),  # "another reason" needs a few words
        ("all", "hide", "other", "x" * 201),
        ("all", "delete", "", ""),
        ("none", "approve", "", ""),
    ],
)
def test_bad_bulk_moderation_is_refused_and_changes_nothing(live_session, facilitator, ids, action, reason, note):
    items = _pending(live_session, facilitator, n=3)
    before = _version(live_session)
    with pytest.raises(InvalidInput) as refused:
        services.items_moderate(
            session=live_session,
            item_ids=[it.pk for it in items] if ids == "all" else [],
            action=action,
            reason=reason,
            note=note,
            actor=facilitator,
        )
    assert str(refused.value.message)
    assert _version(live_session) == before
    assert set(Item.objects.values_list("status", flat=True)) == {"pending"}
    assert not AuditEntry.objects.filter(action__startswith="item.").exists()


def test_an_item_of_another_session_refuses_the_whole_batch(live_session, consultation, facilitator):
    items = _pending(live_session, facilitator, n=2)
    other = services.session_create(consultation=consultation, title="Other", created_by=facilitator)
    foreign = _pending(other, facilitator, n=1)
    with pytest.raises(UnknownItem):
        services.items_moderate(
            session=live_session, item_ids=[items[0].pk, foreign[0].pk], action="approve", actor=facilitator
        )
    assert set(Item.objects.values_list("status", flat=True)) == {"pending"}


def test_a_merged_item_in_the_batch_refuses_it(live_session, facilitator):
    items = _pending(live_session, facilitator, n=3)
    services.items_merge(source=items[2], target=items[0], actor=facilitator)
    with pytest.raises(InvalidInput):
        services.items_moderate(
            session=live_session, item_ids=[items[1].pk, items[2].pk], action="approve", actor=facilitator
        )
    assert Item.objects.get(pk=items[1].pk).status == "pending"


def test_moderating_items_already_in_that_status_changes_nothing(live_session, facilitator):
    items = _pending(live_session, facilitator, n=2)
    ids = [it.pk for it in items]
    services.items_moderate(session=live_session, item_ids=ids, action="approve", actor=facilitator)
    before = _version(live_session)
    services.items_moderate(session=live_session, item_ids=ids, action="approve", actor=facilitator)
    assert _version(live_session) == before
    assert AuditEntry.objects.filter(action="item.approve").count() == 2


# --- Merges and their undo --------------------------------------------------------------------------------


def _voting(session, facilitator, method=VotingMethod.APPROVAL, n=3, **settings):
    services.session_configure(session=session, actor=facilitator, challenge_voting_method=method, **settings)
    author = join(session)
    to_phase(session, Phase.CHALLENGES, facilitator)
    items = [services.item_submit(participant=author, kind="challenge", text=f"Challenge {i}") for i in range(n)]
    to_phase(session, Phase.CHALLENGE_VOTING, facilitator)
    return items


def test_a_merge_records_the_ballots_it_moves_and_the_statuses_before(live_session, facilitator):
    source, target, _other = _voting(live_session, facilitator)
    both, only_source = join(live_session), join(live_session)
    for voter in (both, only_source):
        services.vote_cast(participant=voter, item_id=source.pk)
    services.vote_cast(participant=both, item_id=target.pk)
    kept = services.items_merge(source=source, target=target, actor=facilitator)
    merge = ItemMerge.objects.get(pk=kept.merge_id)
    assert (merge.source_id, merge.target_id, merge.actor) == (source.pk, target.pk, facilitator)
    assert (merge.source_status, merge.target_status, merge.target_status_after) == ("approved",) * 3
    assert sorted(merge.ballots) == sorted([[both.pk, 1, 1, 1], [only_source.pk, 1, 0, 1]])
    assert AuditEntry.objects.get(action="item.merge").data["merge"] == merge.pk


def test_undoing_a_merge_restores_ballots_tallies_and_statuses_exactly(live_session, facilitator):
    source, target, other = _voting(
        live_session, facilitator, method=VotingMethod.DOT, dot_points=5, dot_max_per_item=3
    )
    a, b, c = join(live_session), join(live_session), join(live_session)
    services.vote_cast(participant=a, item_id=source.pk, points=2)
    services.vote_cast(participant=a, item_id=target.pk, points=2)  # capped at 3 by the merge
    services.vote_cast(participant=b, item_id=source.pk, points=3)
    services.vote_cast(participant=c, item_id=target.pk, points=1)
    services.vote_cast(participant=c, item_id=other.pk, points=2)
    before = _ballots(live_session)
    tallies = dict(Item.objects.values_list("pk", "tally"))
    services.item_moderate(item=target, action="hide", actor=facilitator)
    kept = services.items_merge(source=source, target=target, actor=facilitator)
    assert kept.status == "approved"  # the approved duplicate approved the item kept
    assert Item.objects.get(pk=target.pk).tally == 3 + 3 + 1
    version = _version(live_session)
    done = services.items_merge_undo(merge=ItemMerge.objects.get(pk=kept.merge_id), actor=facilitator)
    assert (done.restored, done.not_restored) == (2, 0)
    assert _ballots(live_session) == before
    assert dict(Item.objects.values_list("pk", "tally")) == tallies
    assert dict(Item.objects.values_list("pk", "status")) == {
        source.pk: "approved",
        target.pk: "hidden",
        other.pk: "approved",
    }
    assert Item.objects.get(pk=source.pk).merged_into is None
    assert _version(live_session) == version + 1
    entry = AuditEntry.objects.get(action="item.merge_undo")
    assert entry.actor == facilitator and entry.data["merge"] == done.merge.pk
    assert done.merge.undone_by == facilitator and done.merge.undone_at is not None


def test_undoing_a_merge_twice_is_refused(live_session, facilitator):
    source, target, _other = _voting(live_session, facilitator)
    merge = ItemMerge.objects.get(pk=services.items_merge(source=source, target=target, actor=facilitator).merge_id)
    services.items_merge_undo(merge=merge, actor=facilitator)
    version = _version(live_session)
    with pytest.raises(MergeAlreadyUndone):
        services.items_merge_undo(merge=merge, actor=facilitator)
    assert _version(live_session) == version


def test_a_merge_is_undone_only_after_the_later_merges_of_its_items(live_session, facilitator):
    first, second, third = _voting(live_session, facilitator)
    older = services.items_merge(source=first, target=second, actor=facilitator).merge_id
    newer = services.items_merge(source=second, target=third, actor=facilitator).merge_id
    with pytest.raises(MergeUndoBlocked):
        services.items_merge_undo(merge=ItemMerge.objects.get(pk=older), actor=facilitator)
    board = selectors.moderation_board(live_session)
    assert [(m["id"], m["undoable"]) for m in board["merges"]] == [(newer, True), (older, False)]
    services.items_merge_undo(merge=ItemMerge.objects.get(pk=newer), actor=facilitator)
    services.items_merge_undo(merge=ItemMerge.objects.get(pk=older), actor=facilitator)
    assert set(Item.objects.values_list("status", flat=True)) == {"approved"}


def test_undo_after_ballots_changed_keeps_the_new_ballot_and_restores_within_the_budget(live_session, facilitator):
    """The decision documented in docs/guide.md: a ballot changed on the item kept after the merge stays as it is;
    the duplicate's ballot comes back as far as the participant's points allow; the others are counted."""
    source, target, other = _voting(
        live_session, facilitator, method=VotingMethod.DOT, dot_points=5, dot_max_per_item=3
    )
    spender, withdrawer, untouched = join(live_session), join(live_session), join(live_session)
    services.vote_cast(participant=spender, item_id=source.pk, points=3)
    services.vote_cast(participant=withdrawer, item_id=source.pk, points=2)
    services.vote_cast(participant=untouched, item_id=source.pk, points=1)
    merge = ItemMerge.objects.get(pk=services.items_merge(source=source, target=target, actor=facilitator).merge_id)
    # After the merge: the spender moves their points around, the withdrawer takes theirs back.
    services.vote_cast(participant=spender, item_id=target.pk, points=2)
    services.vote_cast(participant=spender, item_id=other.pk, points=3)
    services.vote_withdraw(participant=withdrawer, item_id=target.pk)
    done = services.items_merge_undo(merge=merge, actor=facilitator)
    mine = {(p, i): n for p, i, n in _ballots(live_session)}
    assert mine[spender.pk, target.pk] == 2 and mine[spender.pk, other.pk] == 3
    assert (spender.pk, source.pk) not in mine  # 5 points spent: nothing left for the duplicate
    assert mine[withdrawer.pk, source.pk] == 2 and (withdrawer.pk, target.pk) not in mine
    assert mine[untouched.pk, source.pk] == 1 and (untouched.pk, target.pk) not in mine
    assert (done.restored, done.not_restored) == (2, 1)
    _tallies_exact(live_session)


def test_undo_skips_a_participant_set_aside_since_the_merge(live_session, facilitator):
    from consultations import joins

    source, target, _other = _voting(live_session, facilitator)
    voter = join(live_session)
    services.vote_cast(participant=voter, item_id=source.pk)
    merge = ItemMerge.objects.get(pk=services.items_merge(source=source, target=target, actor=facilitator).merge_id)
    joins.participants_set_aside(session=live_session, participant_ids=[voter.pk], actor=facilitator)
    done = services.items_merge_undo(merge=merge, actor=facilitator)
    assert (done.restored, done.not_restored) == (0, 1)
    assert not Ballot.objects.filter(participant=voter).exists()
    _tallies_exact(live_session)


# --- The board the console reads --------------------------------------------------------------------------


def test_the_board_lists_each_item_once_with_duplicates_suggested_for_pending_ones(live_session, facilitator):
    texts = ["More buses to the university", "Clean the park near the school", "more buses to the university!"]
    items = _pending(live_session, facilitator, texts=texts)
    services.items_moderate(session=live_session, item_ids=[items[0].pk], action="approve", actor=facilitator)
    board = selectors.moderation_board(live_session)
    assert [it["id"] for it in board["items"]] == [it.pk for it in items]
    by_id = {it["id"]: it for it in board["items"]}
    assert [s["id"] for s in by_id[items[2].pk]["suggestions"]][:1] == [items[0].pk]
    assert by_id[items[0].pk]["suggestions"] == []  # approved: no suggestion
    assert board["voting"]["challenge"]["method"] == "approval"


# --- The API ----------------------------------------------------------------------------------------------


def test_api_moderates_many_items_and_undoes_a_merge(facilitator_api, live_session, facilitator):
    items = _pending(live_session, facilitator, n=4)
    code = live_session.join_code
    answer = facilitator_api.post(
        f"/api/v1/sessions/{code}/items/moderation",
        {"items": [it.pk for it in items[:2]], "action": "hide", "reason": "off_topic"},
        format="json",
    )
    assert answer.status_code == 200
    assert [(it["id"], it["status"]) for it in answer.json()["items"]] == [(it.pk, "hidden") for it in items[:2]]
    assert set(AuditEntry.objects.filter(action="item.hide").values_list("data__reason", flat=True)) == {"off_topic"}
    merged = facilitator_api.post(f"/api/v1/sessions/{code}/items/{items[3].pk}/merge", {"into": items[2].pk})
    assert merged.status_code == 200 and merged.json()["id"] == items[2].pk
    merge_id = merged.json()["merge"]
    board = facilitator_api.get(f"/api/v1/sessions/{code}/moderation").json()
    assert board["merges"][0]["id"] == merge_id and board["merges"][0]["undoable"] is True
    assert items[3].pk not in [it["id"] for it in board["items"]]
    undone = facilitator_api.post(f"/api/v1/sessions/{code}/merges/{merge_id}/undo")
    assert undone.status_code == 200
    assert undone.json()["source"] == {**undone.json()["source"], "id": items[3].pk, "status": "pending"}
    again = facilitator_api.post(f"/api/v1/sessions/{code}/merges/{merge_id}/undo", HTTP_ACCEPT_LANGUAGE="fr")
    assert again.status_code == 409 and again.json()["code"] == "merge_undone"
    assert again.json()["detail"] == "Cette fusion a déjà été annulée."


@pytest.mark.parametrize(
    "body",
    [
        {"items": "all", "action": "hide"},  # no reason
        {"items": "all", "action": "hide", "reason": "nonsense"},
        {"items": [], "action": "approve"},
        {"items": "all", "action": "publish"},
        {"action": "approve"},
    ],
)
def test_api_bad_bulk_moderation_is_a_translated_400_and_changes_nothing(
    facilitator_api, live_session, facilitator, body
):
    items = _pending(live_session, facilitator, n=2)
    if body.get("items") == "all":
        body = {**body, "items": [it.pk for it in items]}
    version = _version(live_session)
    answer = facilitator_api.post(
        f"/api/v1/sessions/{live_session.join_code}/items/moderation", body, format="json", HTTP_ACCEPT_LANGUAGE="ar"
    )
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in detail), detail  # said in Arabic
    assert _version(live_session) == version
    assert set(Item.objects.values_list("status", flat=True)) == {"pending"}


def test_api_moderation_refuses_other_cities_and_anonymous_callers(api_client, charlie_api, live_session, facilitator):
    items = _pending(live_session, facilitator, n=2)
    code = live_session.join_code
    merge_id = services.items_merge(source=items[1], target=items[0], actor=facilitator).merge_id
    body = {"items": [items[0].pk], "action": "approve"}
    for client, status in ((charlie_api, 404), (api_client, 401)):
        assert client.post(f"/api/v1/sessions/{code}/items/moderation", body, format="json").status_code == status
        assert client.get(f"/api/v1/sessions/{code}/moderation").status_code == status
        assert client.post(f"/api/v1/sessions/{code}/merges/{merge_id}/undo").status_code == status
    assert Item.objects.get(pk=items[0].pk).status == "pending"
    assert ItemMerge.objects.get(pk=merge_id).undone_at is None


def test_api_undo_of_another_sessions_merge_is_404(facilitator_api, live_session, consultation, facilitator):
    other = services.session_create(consultation=consultation, title="Other", created_by=facilitator)
    items = _pending(other, facilitator, n=2)
    merge_id = services.items_merge(source=items[1], target=items[0], actor=facilitator).merge_id
    assert facilitator_api.post(f"/api/v1/sessions/{live_session.join_code}/merges/{merge_id}/undo").status_code == 404
    assert ItemMerge.objects.get(pk=merge_id).undone_at is None


def test_api_single_hide_keeps_its_reason_and_refuses_an_unknown_one(facilitator_api, live_session, facilitator):
    items = _pending(live_session, facilitator, n=2)
    url = f"/api/v1/sessions/{live_session.join_code}/items"
    answer = facilitator_api.post(f"{url}/{items[0].pk}/moderation", {"action": "hide", "reason": "hurtful"})
    assert answer.status_code == 200 and answer.json()["status"] == "hidden"
    assert AuditEntry.objects.get(action="item.hide").data["reason"] == "hurtful"
    refused = facilitator_api.post(f"{url}/{items[1].pk}/moderation", {"action": "hide", "reason": "boring"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_input"
    assert Item.objects.get(pk=items[1].pk).status == "pending"
