"""The projector page as the server renders it (also what a projector without JavaScript shows), and the words of
result counts: points under dot voting, votes under approval voting, with each language's plural forms."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from consultations import services
from consultations.models import Phase, VotingMethod
from frontend.views.sessions import _bar_labels, count_text
from tests.frontend.test_session_pages import staff_client, to_phase

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_session(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Fes youth priorities", created_by=facilitator, participants_may_be_minors=False
    )
    return services.session_create(
        consultation=consultation, title="Session 1", created_by=facilitator, premoderation=False
    )


def projector_url(session, **query) -> str:
    url = reverse("frontend:projector", args=[session.consultation.city.slug, session.join_code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _labels(html: str) -> dict:
    return json.loads(re.search(r'<script id="live-labels" type="application/json">(.*?)</script>', html).group(1))


def _count_in_js(labels: dict, n: int, method: str) -> str:
    """What live.js `count(n, method)` shows, written again here from the documented table."""
    counts = labels["counts"]
    index = counts["index"][n if n < len(counts["index"]) else 100 + n % 100]
    return (counts["points"] if method == "dot" else counts["votes"])[index].replace("%(n)s", str(n))


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_count_table_gives_every_number_the_form_the_catalogue_gives(language):
    with translation.override(language):
        labels = _bar_labels()
        for n in [*range(0, 260), 999, 1000, 1002, 1003, 1011, 12345]:
            for method in (VotingMethod.DOT, VotingMethod.APPROVAL):
                assert _count_in_js(labels, n, method) == count_text(n, method), (n, method)


def test_points_are_counted_as_points_in_arabic_with_its_plural_forms():
    with translation.override("ar"):
        forms = {n: count_text(n, VotingMethod.DOT) for n in (0, 1, 2, 3, 11, 100, 103)}
    assert forms[2] == "نقطتان (2)" and forms[3] == "3 نقاط" and forms[11] == "11 نقطةً" and forms[100] == "100 نقطة"
    assert forms[103] == "103 نقاط"
    with translation.override("fr"):
        assert count_text(12, VotingMethod.DOT) == "12 points" and count_text(1, VotingMethod.DOT) == "1 point"
        assert count_text(12, VotingMethod.APPROVAL) == "12 votes"


def test_projector_shows_approved_items_only_and_pages_without_javascript(live_session, facilitator):
    services.session_configure(session=live_session, actor=None, premoderation=True)
    author = services.participant_join(code=live_session.join_code, consent=True)
    to_phase(live_session, Phase.CHALLENGES)
    for i in range(8):
        item = services.item_submit(participant=author, kind="challenge", text=f"Approved challenge {i}")
        services.item_moderate(item=item, action="approve", actor=facilitator)
    services.item_submit(participant=author, kind="challenge", text="Still waiting for a facilitator")
    client = staff_client(facilitator)
    first = client.get(projector_url(live_session)).content.decode()
    assert "Still waiting" not in first
    assert all(f"Approved challenge {i}<" in first for i in range(6)) and "Approved challenge 6" not in first
    assert "url=?page=2" in first and "1 / 2" in first
    second = client.get(projector_url(live_session, page=2)).content.decode()
    assert "Approved challenge 6" in second and "Approved challenge 7" in second and "url=?page=1" in second
    assert re.search(r'class="projector-card is-newest"[^>]*><p dir="auto">Approved challenge 7<', second)
    assert "Still waiting" not in second and "Still waiting" not in json.dumps(_labels(second))


@pytest.mark.parametrize(
    ("given", "used"), [("", "8.0"), ("2", "2.0"), ("0.01", "0.5"), ("9999", "120.0"), ("x", "8.0")]
)
def test_the_page_interval_comes_from_the_address_within_bounds(live_session, facilitator, given, used):
    html = staff_client(facilitator).get(projector_url(live_session, interval=given)).content.decode()
    assert f'data-interval="{used}"' in html


def test_projector_never_shows_nor_uses_up_a_staff_message(live_session, facilitator):
    client = staff_client(facilitator)
    city = live_session.consultation.city.slug
    locked = client.post(
        reverse("frontend:session_action", args=[city, live_session.join_code, "lock"]), {"locked": "1"}
    )
    assert locked.status_code == 302  # the message waits for the next page
    message = "Room locked: nobody new may join."
    for _ in range(2):
        html = client.get(projector_url(live_session)).content.decode()
        assert message not in html and 'class="messages"' not in html
    console = client.get(reverse("frontend:session_console", args=[city, live_session.join_code]))
    assert message in console.content.decode()


def test_results_count_points_under_dot_voting_and_votes_under_approval(live_session, facilitator):
    services.session_configure(session=live_session, actor=None, challenge_voting_method=VotingMethod.DOT, dot_points=3)
    people = [services.participant_join(code=live_session.join_code, consent=True) for _ in range(2)]
    to_phase(live_session, Phase.CHALLENGES)
    challenge = services.item_submit(participant=people[0], kind="challenge", text="Dark streets")
    to_phase(live_session, Phase.PROPOSALS)
    proposal = services.item_submit(participant=people[0], kind="proposal", text="Street lights")
    to_phase(live_session, Phase.CHALLENGE_VOTING)
    for person in people:
        services.vote_cast(participant=person, item_id=challenge.pk, points=3)
    to_phase(live_session, Phase.PROPOSAL_VOTING)
    for person in people:
        services.vote_cast(participant=person, item_id=proposal.pk)
    to_phase(live_session, Phase.RESULTS)
    html = staff_client(facilitator).get(projector_url(live_session), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert ">6 points<" in html and ">2 votes<" in html


def test_after_publishing_the_projector_points_to_the_results_not_to_joining(live_session, facilitator):
    services.session_publish(session=live_session, actor=facilitator)
    html = staff_client(facilitator).get(projector_url(live_session)).content.decode()
    assert "This session is closed." in html and "The results are on the phone you took part with" in html
    assert f"/s/{live_session.join_code}" in html
    assert f"/j/{live_session.join_code}" not in html and "Scan or go to" not in html
    assert 'class="projector-code"' not in html
