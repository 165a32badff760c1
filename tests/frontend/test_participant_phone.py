"""The participant page as the phone's script and a browser without JavaScript read it: forms that carry the phase
they were shown in (a request after the session moved on is answered with the current page, the text kept), the
text limit given by the server without maxlength, and points worded as points."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from consultations import services
from consultations.models import Ballot, Item, Phase, VotingMethod

from .test_session_pages import _approved_challenge, consultation, joined_client, live_session, page_url, to_phase

__all__ = ["consultation", "live_session"]  # fixtures shared with test_session_pages

pytestmark = pytest.mark.django_db


def _labels(html: str) -> dict:
    return json.loads(re.search(r'<script id="live-labels" type="application/json">(.*?)</script>', html, re.S)[1])


def test_every_form_carries_the_phase_it_was_shown_in(live_session):
    _approved_challenge(live_session)
    client = joined_client(live_session)
    html = client.get(page_url(live_session)).content.decode()
    assert html.count('name="phase" value="challenges"') == 1
    to_phase(live_session, Phase.CHALLENGE_VOTING)
    html = client.get(page_url(live_session)).content.decode()
    assert html.count('name="phase" value="challenge_voting"') == 1  # the one vote form
    assert 'class="vote-form" novalidate' in html  # a number over the limit is answered by the server, translated


def test_the_text_box_has_the_server_s_limit_but_no_maxlength(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    html = client.get(page_url(live_session)).content.decode()
    area = re.search(r"<textarea[^>]*>", html)[0]
    assert "maxlength" not in area  # a browser would cut a longer paste silently
    assert f'data-max="{services.ITEM_TEXT_MAX}"' in area
    assert f"At most {services.ITEM_TEXT_MAX} characters." in html  # said without JavaScript too
    labels = _labels(html)
    assert labels["charsLeft"] == "Characters left: %(n)s" and "%(n)s" in labels["charsOver"]
    assert str(services.ITEM_TEXT_MAX) in labels["tooLong"]


def test_a_text_sent_after_the_session_moved_on_is_not_submitted_and_is_shown_back(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    client.get(page_url(live_session))
    to_phase(live_session, Phase.CHALLENGE_VOTING)  # the page without JavaScript cannot know
    text = "Les bus s'arrêtent à 20h <b>"
    response = client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]),
        {"kind": "challenge", "text": text, "phase": "challenges"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 409
    html = response.content.decode()
    with translation.override("fr"):
        said = translation.gettext(
            "The session has moved on to “%(phase)s”: your text was not sent. It is kept below to copy."
        ) % {"phase": Phase.CHALLENGE_VOTING.label}
    assert escape(said) in html
    assert re.search(r'<textarea id="unsent-text"[^>]*readonly[^>]*>' + re.escape(escape(text)) + "</textarea>", html)
    assert not Item.objects.exists()


def test_a_text_sent_in_its_phase_is_submitted_as_before(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    response = client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]),
        {"kind": "challenge", "text": "Streets are dark", "phase": "challenges"},
    )
    assert response.status_code == 302
    assert Item.objects.get().text == "Streets are dark"


def test_a_vote_sent_after_the_session_moved_on_is_not_counted_and_the_page_says_so(live_session):
    item = _approved_challenge(live_session)
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGE_VOTING)
    to_phase(live_session, Phase.RESULTS)
    response = client.post(
        reverse("frontend:participant_vote", args=[live_session.join_code]),
        {"item": item.pk, "phase": "challenge_voting"},
        HTTP_ACCEPT_LANGUAGE="ar",
        follow=True,
    )
    with translation.override("ar"):
        said = translation.gettext("The session has moved on to “%(phase)s”: your vote was not counted.") % {
            "phase": Phase.RESULTS.label
        }
    assert escape(said) in response.content.decode()
    assert not Ballot.objects.exists()


def test_dot_ballots_are_worded_in_points_with_the_language_s_plural_forms(live_session):
    live_session.challenge_voting_method = VotingMethod.DOT
    live_session.dot_points, live_session.dot_max_per_item = 5, 3
    live_session.save(update_fields=["challenge_voting_method", "dot_points", "dot_max_per_item"])
    item = _approved_challenge(live_session)
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGE_VOTING)
    client.post(reverse("frontend:participant_vote", args=[live_session.join_code]), {"item": item.pk, "points": 2})
    html = client.get(page_url(live_session), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    with translation.override("ar"):
        two = translation.npgettext("phone", "%(n)s point", "%(n)s points", 2) % {"n": 2}
        three = translation.npgettext("phone", "%(n)s point", "%(n)s points", 3) % {"n": 3}
    assert two != three  # Arabic has a dual
    assert f"<strong>{two}</strong>" in html
    labels = _labels(html)
    assert labels["pointsN"]["2"] == two and labels["pointsN"]["3"] == three and len(labels["pointsN"]) == 6


def test_the_page_lists_its_own_items_status_for_the_script(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]),
        {"kind": "challenge", "text": "Streets are dark", "phase": "challenges"},
    )
    html = client.get(page_url(live_session)).content.decode()
    mine = json.loads(re.search(r'<script id="live-mine" type="application/json">(.*?)</script>', html, re.S)[1])
    assert mine == {"items": {str(Item.objects.get().pk): "approved"}}
