"""The one road (consultations/live/ingest.py): the pages, the API's views and the fast path all reach the writer
through it, so a refusal reads the same at every door and a page's ballot is committed by the group commit."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from rest_framework.test import APIClient

from consultations import services
from consultations.live import ingest
from consultations.live.writer import ballot_box
from consultations.models import Ballot, Item, Participant, VotingMethod
from consultations.tokens import browser_remember, participant_token

from .conftest import Phase, join, to_phase

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def voting(live_session):
    author = join(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    item = services.item_submit(participant=author, kind="challenge", text="Buses stop at eight")
    to_phase(live_session, Phase.CHALLENGE_VOTING)
    return live_session, item


def _browser(participant) -> Client:
    client = Client()
    store = client.session
    browser_remember(store, participant)
    store.save()
    return client


def test_a_page_ballot_is_committed_by_the_group_commit(voting, settings):
    settings.MAJLIS_BALLOT_GROUP_COMMIT = True
    session, item = voting
    person = services.participant_join(code=session.join_code, consent=True)
    before = ballot_box.batches
    response = _browser(person).post(reverse("frontend:participant_vote", args=[session.join_code]), {"item": item.pk})
    assert response.status_code == 302
    assert ballot_box.batches == before + 1  # the writer's commit, not the request's own transaction
    assert list(Ballot.objects.filter(item=item).values_list("participant_id", "points")) == [(person.pk, 1)]


@pytest.mark.parametrize("group_commit", [True, False])
def test_a_refusal_reads_the_same_on_the_page_and_in_the_api(voting, settings, group_commit):
    settings.MAJLIS_BALLOT_GROUP_COMMIT = group_commit
    session, item = voting
    session.challenge_voting_method = VotingMethod.DOT  # its refusal names a number: a message formatted when made
    session.save(update_fields=["challenge_voting_method"])
    page_person, api_person = (services.participant_join(code=session.join_code, consent=True) for _ in range(2))
    api = APIClient(HTTP_ACCEPT_LANGUAGE="ar")
    api.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(api_person)}")
    url = f"/api/v1/sessions/{session.join_code}/votes"
    detail = api.post(url, {"item": item.pk, "points": 9}, format="json").json()["detail"]
    page = _browser(page_person).post(
        reverse("frontend:participant_vote", args=[session.join_code]),
        {"item": item.pk, "points": 9},
        HTTP_ACCEPT_LANGUAGE="ar",
        follow=True,
    )
    with translation.override("ar"):  # refused in the writer's thread, worded in the request's language
        arabic = gettext("At most %(n)d points can go to one item.") % {"n": session.dot_max_per_item}
    assert detail == arabic != "At most 3 points can go to one item."
    assert detail in page.content.decode()  # the service's own words, in Arabic, at both doors
    assert not Ballot.objects.filter(item=item).exists()


def test_perform_answers_with_the_api_contract(voting):
    session, item = voting
    person = services.participant_join(code=session.join_code, consent=True)
    caller = ingest.Caller(code=session.join_code, participant=(person.pk, session.pk))
    cast = ingest.perform(ingest.VOTE, caller, b'{"item": %d}' % item.pk)
    assert (cast.status, cast.body["item"], cast.body["changed"], cast.ok) == (201, item.pk, True, True)
    withdrawn = ingest.perform(ingest.WITHDRAW, caller, {"item": str(item.pk)})
    assert (withdrawn.status, withdrawn.body) == (200, {"item": item.pk, "withdrawn": True})
    stranger = ingest.perform(ingest.VOTE, ingest.Caller(code=session.join_code, participant=(person.pk, 999)), {})
    assert stranger.status == 403 and not stranger.ok
    nobody = ingest.perform(ingest.VOTE, ingest.Caller(code=session.join_code), {"item": item.pk})
    assert (nobody.status, nobody.headers) == (401, {"WWW-Authenticate": "Participant"})
    bad = ingest.perform(ingest.VOTE, caller, b"{not json")
    assert bad.status == 400 and bad.body["detail"]
    assert not Ballot.objects.filter(item=item).exists()


def test_a_submission_through_the_road_keeps_the_idempotency_rules(voting, facilitator):
    session, _item = voting
    services.session_set_phase(session=session, phase="challenges", actor=facilitator)
    person = services.participant_join(code=session.join_code, consent=True)
    caller = ingest.Caller(code=session.join_code, participant=(person.pk, session.pk), idempotency_key="k-1")
    first = ingest.perform(ingest.SUBMIT, caller, {"kind": "challenge", "text": "No park nearby"})
    again = ingest.perform(ingest.SUBMIT, caller, {"kind": "challenge", "text": "No park nearby"})
    assert (first.status, first.headers, again.status, again.headers) == (201, {}, 201, {"Idempotent-Replayed": "true"})
    assert first.body == again.body
    assert Item.objects.filter(author=person).count() == 1


def test_an_erased_participant_cannot_submit_through_the_road(voting, facilitator):
    session, _item = voting
    services.session_set_phase(session=session, phase="challenges", actor=facilitator)
    person = services.participant_join(code=session.join_code, consent=True)
    caller = ingest.Caller(code=session.join_code, participant=(person.pk, session.pk))
    Participant.objects.filter(pk=person.pk).delete()
    answer = ingest.perform(ingest.SUBMIT, caller, {"kind": "challenge", "text": "Written after erasure"})
    assert (answer.status, answer.body["code"]) == (403, "unknown_participant")
    assert not Item.objects.filter(text="Written after erasure").exists()
