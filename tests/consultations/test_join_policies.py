"""One person, one voice in a live room (consultations/joins.py): the join policies, the device id, the console's
suspicious joins and setting ballots aside, on every road a join takes (service, DRF view, page form)."""

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cities.models import AuditEntry
from consultations import joins, services
from consultations.errors import JoinPassRefused, UnknownParticipant
from consultations.models import Ballot, Item, ItemKind, JoinPolicy, Participant, Phase

from .conftest import to_phase

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(live_session, facilitator):
    """A session voting on one approved challenge."""
    author = services.participant_join(code=live_session.join_code, consent=True)
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    item = services.item_submit(participant=author, kind=ItemKind.CHALLENGE, text="Libraries close early")
    services.item_moderate(item=item, action="approve", actor=facilitator)
    to_phase(live_session, Phase.CHALLENGE_VOTING, facilitator)
    return live_session, item


def _policy(session, policy, facilitator):
    return services.session_configure(session=session, actor=facilitator, join_policy=policy)


def _api_join(session, body=None, address="10.0.0.1", **headers):
    return APIClient().post(
        f"/api/v1/sessions/{session.join_code}/join",
        body or {"consent": True},
        format="json",
        REMOTE_ADDR=address,
        **headers,
    )


# --- Open link: one participant per device ------------------------------------------------------------------


@pytest.mark.slow
def test_rejoining_with_the_same_device_returns_the_same_participant_and_cannot_multiply_votes(room):
    session, item = room
    before = Participant.objects.filter(session=session).count()
    seen = set()
    for _ in range(300):  # the attack: re-join and vote, 300 times
        response = _api_join(session, {"consent": True, "device": "phone-1"})
        assert response.status_code == 201
        seen.add(response.json()["participant"])
        vote = APIClient()
        vote.credentials(HTTP_AUTHORIZATION=f"Participant {response.json()['token']}")
        answer = vote.post(f"/api/v1/sessions/{session.join_code}/votes", {"item": item.pk}, format="json")
        assert answer.status_code in (200, 201)
    assert len(seen) == 1
    assert Participant.objects.filter(session=session).count() == before + 1
    item.refresh_from_db()
    assert item.tally == 1 and Ballot.objects.filter(item=item).count() == 1


def test_the_join_answer_says_whether_the_device_had_joined(live_session):
    first = _api_join(live_session, {"consent": True, "device": "abc"}).json()
    again = _api_join(live_session, {"consent": True, "device": "abc"}).json()
    other = _api_join(live_session, {"consent": True, "device": "xyz"}).json()
    assert first["resumed"] is False and again["resumed"] is True and other["resumed"] is False
    assert first["participant"] == again["participant"] != other["participant"]


def test_a_device_id_is_per_session(live_session, consultation, facilitator):
    other = services.session_create(consultation=consultation, title="Other", created_by=facilitator)
    a = services.participant_join(code=live_session.join_code, consent=True, device="same")
    b = services.participant_join(code=other.join_code, consent=True, device="same")
    assert a.pk != b.pk and a.device_key != b.device_key


def test_one_group_with_the_same_device_twice_admits_one_participant(live_session):
    request = {"code": live_session.join_code, "consent": True, "device": "twice"}
    first, second = services.participant_join_many([request, dict(request)])
    assert first.pk == second.pk and second.resumed and not first.resumed
    assert Participant.objects.filter(session=live_session, device_key=first.device_key).count() == 1


def test_neither_the_device_id_nor_the_address_is_stored(live_session):
    person = services.participant_join(
        code=live_session.join_code, consent=True, device="my-secret-device", address="203.0.113.9"
    )
    person.refresh_from_db()
    stored = " ".join(str(v) for v in Participant.objects.filter(pk=person.pk).values().get().values())
    assert "my-secret-device" not in stored and "203.0.113.9" not in stored
    assert person.device_key == joins.device_key(live_session.pk, "my-secret-device")
    assert person.origin_key == joins.origin_key(live_session.pk, "203.0.113.9")


def test_a_bad_device_id_is_a_clear_error_and_creates_nobody(live_session):
    before = Participant.objects.count()
    response = _api_join(live_session, {"consent": True, "device": "x" * 65})
    assert response.status_code == 400 and response.json()["errors"]["device"]
    assert Participant.objects.count() == before


def test_the_join_page_resumes_the_browser_s_participant_even_without_its_participant_cookie(live_session):
    browser = Client()
    _page_join(browser, live_session)
    first = Participant.objects.filter(session=live_session).latest("pk")
    session = browser.session
    session.pop("majlis_participants")  # forget which participant it is: its device id remains
    session.save()
    _page_join(browser, live_session)
    assert Participant.objects.filter(session=live_session).latest("pk") == first
    assert Participant.objects.filter(session=live_session).count() == 1


def _page_join(browser, session, **extra):
    """The join page's two steps (consent, then the optional questions): the last answer."""
    response = browser.post(f"/j/{session.join_code}/", {"step": "consent", "consent": "on", **extra})
    if response.status_code == 302 and "step=profile" in response["Location"]:
        response = browser.post(f"/j/{session.join_code}/", {"step": "profile"})
    return response


# --- Rotating code --------------------------------------------------------------------------------------------


def test_rotating_code_admits_the_current_and_previous_minute_only(live_session, facilitator):
    session = _policy(live_session, JoinPolicy.ROTATING, facilitator)
    now = time.time()
    with pytest.raises(JoinPassRefused):
        services.participant_join(code=session.join_code, consent=True)
    with pytest.raises(JoinPassRefused):
        services.participant_join(code=session.join_code, consent=True, room_code="AAAAA")
    with pytest.raises(JoinPassRefused):
        stale = joins.room_code(session.pk, at=now - 125)
        services.participant_join(code=session.join_code, consent=True, room_code=stale)
    assert services.participant_join(code=session.join_code, consent=True, room_code=joins.room_code(session.pk)).pk
    previous = joins.room_code(session.pk, at=now - 60)
    assert services.participant_join(code=session.join_code, consent=True, room_code=previous.lower()).pk
    assert joins.room_code(session.pk) != joins.room_code(session.pk, at=now + 60)


def test_rotating_code_refusal_is_a_translated_403_through_the_api(live_session, facilitator):
    session = _policy(live_session, JoinPolicy.ROTATING, facilitator)
    response = _api_join(session, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 403 and response.json()["code"] == "join_pass_refused"
    assert "code" in response.json()["detail"]  # translated text, checked against the catalogue below
    ok = _api_join(session, {"consent": True, "room_code": joins.room_code(session.pk)})
    assert ok.status_code == 201


def test_the_projector_shows_the_room_code_and_carries_it_in_the_qr_code(live_session, facilitator, client):
    session = _policy(live_session, JoinPolicy.ROTATING, facilitator)
    client.force_login(facilitator)
    page = client.get(f"/staff/{session.consultation.city.slug}/sessions/{session.join_code}/projector/")
    code = joins.room_code(session.pk)
    assert page.status_code == 200 and code.encode() in page.content
    assert b'http-equiv="refresh"' in page.content
    api = APIClient()
    api.force_authenticate(facilitator)
    answer = api.get(f"/api/v1/sessions/{session.join_code}/room-code").json()
    assert answer["room_code"] in (code, joins.room_code(session.pk))
    assert f"?room={answer['room_code']}" in answer["join_url"]


def test_the_join_page_takes_the_room_code_from_the_qr_code_or_the_form(live_session, facilitator):
    session = _policy(live_session, JoinPolicy.ROTATING, facilitator)
    browser = Client()
    page = browser.get(f"/j/{session.join_code}/")
    assert b'name="room_code"' in page.content
    wrong = _page_join(browser, session, room_code="AAAAA")
    assert wrong.status_code == 403 and b'name="room_code"' in wrong.content
    assert not Participant.objects.filter(session=session).exists()
    browser.get(f"/j/{session.join_code}/?room={joins.room_code(session.pk)}")
    joined = _page_join(browser, session)
    assert joined.status_code == 302 and Participant.objects.filter(session=session).count() == 1


def test_a_wrong_room_code_or_card_is_said_before_the_questions_and_stays_to_be_corrected(live_session, facilitator):
    """The consultation asks its questions after consent: a wrong room code or card is refused at the consent step,
    not after the answers, translated, and what was typed stays."""
    session = _policy(live_session, JoinPolicy.ROTATING, facilitator)
    assert session.consultation.ask_gender  # the join page has a second step
    browser = Client()
    wrong = browser.post(
        f"/j/{session.join_code}/",
        {"step": "consent", "consent": "on", "room_code": "QQQQQ"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert wrong.status_code == 403
    assert "Tapez le code affiché maintenant." in wrong.content.decode()
    assert b'value="QQQQQ"' in wrong.content
    right = browser.post(
        f"/j/{session.join_code}/", {"step": "consent", "consent": "on", "room_code": joins.room_code(session.pk)}
    )
    assert right.status_code == 302 and "step=profile" in right["Location"]

    cards_session = _policy(live_session, JoinPolicy.CARDS, facilitator)
    unknown = Client().post(
        f"/j/{cards_session.join_code}/", {"step": "consent", "consent": "on", "card": "NOTACARD99"}
    )
    assert unknown.status_code == 403 and b'value="NOTACARD99"' in unknown.content
    assert not Participant.objects.filter(session=cards_session).exists()


# --- Cards ----------------------------------------------------------------------------------------------------


def test_a_card_admits_one_participant_and_resumes_it_afterwards(room, facilitator):
    session, item = room
    session = _policy(session, JoinPolicy.CARDS, facilitator)
    cards = joins.cards_create(session=session, count=3, actor=facilitator)
    before = Participant.objects.filter(session=session).count()
    with pytest.raises(JoinPassRefused):
        services.participant_join(code=session.join_code, consent=True)
    with pytest.raises(JoinPassRefused):
        services.participant_join(code=session.join_code, consent=True, card="NOTACARD42")
    ids = set()
    for n in range(50):  # a script re-joining with one card, each time from a "new device"
        person = services.participant_join(code=session.join_code, consent=True, card=cards[0].code, device=f"d{n}")
        ids.add(person.pk)
        services.vote_cast(participant=person, item_id=item.pk)
    assert len(ids) == 1 and Participant.objects.filter(session=session).count() == before + 1
    item.refresh_from_db()
    assert item.tally == 1
    cards[0].refresh_from_db()
    assert cards[0].participant_id in ids
    assert AuditEntry.objects.filter(action="session.cards_create").exists()


def test_cards_bound_the_room_under_any_number_of_requests(live_session, facilitator):
    session = _policy(live_session, JoinPolicy.CARDS, facilitator)
    cards = joins.cards_create(session=session, count=4, actor=facilitator)
    requests = [{"code": session.join_code, "consent": True, "card": c.code.lower()} for c in cards for _ in range(5)]
    results = services.participant_join_many(requests)
    assert len({r.pk for r in results}) == 4
    assert Participant.objects.filter(session=session).count() == 4


def test_the_cards_page_prints_a_qr_code_per_card_and_the_api_lists_them(live_session, facilitator, client):
    session = _policy(live_session, JoinPolicy.CARDS, facilitator)
    client.force_login(facilitator)
    slug = session.consultation.city.slug
    client.post(reverse_action(slug, session, "cards"), {"count": "3"})
    page = client.get(f"/staff/{slug}/sessions/{session.join_code}/cards/print/")
    codes = list(session.join_cards.values_list("code", flat=True))
    assert len(codes) == 3 and all(code.encode() in page.content for code in codes)
    assert page.content.count(b"<svg") >= 3
    api = APIClient()
    api.force_authenticate(facilitator)
    made = api.post(f"/api/v1/sessions/{session.join_code}/cards", {"count": 2}, format="json")
    assert made.status_code == 201 and len(made.json()["cards"]) == 5 and made.json()["used"] == 0
    assert api.post(f"/api/v1/sessions/{session.join_code}/cards", {"count": 0}, format="json").status_code == 400


def reverse_action(slug, session, action):
    return f"/staff/{slug}/sessions/{session.join_code}/{action}/"


def test_only_the_session_s_facilitators_reach_the_join_settings(live_session, charlie):
    api = APIClient()
    api.force_authenticate(charlie)
    code = live_session.join_code
    assert api.post(f"/api/v1/sessions/{code}/join-policy", {"join_policy": "cards"}, format="json").status_code == 404
    assert api.get(f"/api/v1/sessions/{code}/room-code").status_code == 404
    assert api.post(f"/api/v1/sessions/{code}/cards", {"count": 2}, format="json").status_code == 404
    assert api.get(f"/api/v1/sessions/{code}/join-clusters").status_code == 404
    assert APIClient().get(f"/api/v1/sessions/{code}/room-code").status_code == 401
    live_session.refresh_from_db()
    assert live_session.join_policy == JoinPolicy.OPEN and not live_session.join_cards.exists()


def test_the_facilitator_sets_the_policy_through_the_api_and_a_bad_one_changes_nothing(live_session, facilitator):
    api = APIClient()
    api.force_authenticate(facilitator)
    url = f"/api/v1/sessions/{live_session.join_code}/join-policy"
    assert api.post(url, {"join_policy": "nonsense"}, format="json").status_code == 400
    response = api.post(url, {"join_policy": "rotating"}, format="json")
    assert response.status_code == 200 and response.json()["join_policy"] == "rotating"
    assert AuditEntry.objects.filter(action="session.configure", data__join_policy="rotating").exists()


# --- Suspicious joins and setting ballots aside ---------------------------------------------------------------


def _script_votes(session, item, n, address="198.51.100.7"):
    people = []
    for k in range(n):
        person = services.participant_join(code=session.join_code, consent=True, device=f"fake-{k}", address=address)
        services.vote_cast(participant=person, item_id=item.pk)
        people.append(person)
    return people


def test_the_console_lists_a_script_s_joins_and_identical_ballots(room, facilitator, client):
    session, item = room
    script = _script_votes(session, item, 30)
    clusters = joins.join_clusters(session)
    assert len(clusters) == 1
    cluster = clusters[0]
    assert cluster["joins"] == 30 and cluster["peak"] == 30
    assert cluster["identical_ballots"][0]["participants"] == sorted(p.pk for p in script)
    assert "198.51.100.7" not in str(clusters)
    client.force_login(facilitator)
    page = client.get(f"/staff/{session.consultation.city.slug}/sessions/{session.join_code}/")
    assert b"Suspicious joins" in page.content and b"30 participants cast exactly the same ballots" in page.content


def test_setting_a_cluster_aside_takes_its_ballots_out_of_every_count_and_can_be_undone(room, facilitator):
    session, item = room
    real = services.participant_join(code=session.join_code, consent=True, device="real")
    services.vote_cast(participant=real, item_id=item.pk)
    script = _script_votes(session, item, 10)
    ids = [p.pk for p in script]
    assert joins.participants_set_aside(session=session, participant_ids=ids, actor=facilitator) == 10
    item.refresh_from_db()
    assert item.tally == 1 and Ballot.objects.filter(item=item).count() == 1
    results = APIClient()
    results.force_authenticate(facilitator)
    body = results.get(f"/api/v1/sessions/{session.join_code}/results").json()
    assert [it["votes"] for it in body["items"] if it["id"] == item.pk] == [1]
    assert body["join"]["set_aside"] == 10
    with pytest.raises(UnknownParticipant):  # a set-aside participant votes no more, and re-joining does not help
        services.vote_cast(participant=Participant(pk=ids[0], session_id=session.pk), item_id=item.pk)
    again = services.participant_join(code=session.join_code, consent=True, device="fake-0")
    assert again.pk == ids[0]
    assert joins.participants_restore(session=session, participant_ids=ids, actor=facilitator) == 10
    item.refresh_from_db()
    assert item.tally == 11 and Ballot.objects.filter(item=item).count() == 11
    audit = AuditEntry.objects.filter(action__startswith="session.participants_")
    assert sorted(audit.values_list("action", flat=True)) == [
        "session.participants_restore",
        "session.participants_set_aside",
    ]


def test_setting_aside_refuses_participants_of_another_session(room, consultation, facilitator):
    session, _item = room
    other = services.session_create(consultation=consultation, title="Other", created_by=facilitator)
    stranger = services.participant_join(code=other.join_code, consent=True)
    from consultations.errors import InvalidInput

    with pytest.raises(InvalidInput):
        joins.participants_set_aside(session=session, participant_ids=[stranger.pk], actor=facilitator)
    with pytest.raises(InvalidInput):
        joins.participants_set_aside(session=session, participant_ids=["x"], actor=facilitator)


def test_the_console_sets_aside_and_restores(room, facilitator, client):
    session, item = room
    script = _script_votes(session, item, 6)
    client.force_login(facilitator)
    url = reverse_action(session.consultation.city.slug, session, "set_aside")
    client.post(url, {"participants": ",".join(str(p.pk) for p in script)})
    item.refresh_from_db()
    assert item.tally == 0
    client.post(
        reverse_action(session.consultation.city.slug, session, "restore"),
        {"participants": ",".join(str(p.pk) for p in script)},
    )
    item.refresh_from_db()
    assert item.tally == 6


# --- Results say how people joined ----------------------------------------------------------------------------


def test_results_state_the_policy_and_what_each_policy_admitted(live_session, facilitator):
    services.participant_join(code=live_session.join_code, consent=True)
    session = _policy(live_session, JoinPolicy.ROTATING, facilitator)
    services.participant_join(code=session.join_code, consent=True, room_code=joins.room_code(session.pk))
    api = APIClient()
    api.force_authenticate(facilitator)
    join = api.get(f"/api/v1/sessions/{session.join_code}/results").json()["join"]
    assert join["policy"] == "rotating" and join["admitted_by"] == {"open": 1, "rotating": 1}
    assert join["set_aside"] == 0 and join["policy_label"]


# --- Cross-site requests --------------------------------------------------------------------------------------


MULTIPART = '--xx\r\nContent-Disposition: form-data; name="consent"\r\n\r\n1\r\n--xx--\r\n'


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", "consent=true"),
        ("multipart/form-data; boundary=xx", MULTIPART),
        ("text/plain", '{"consent": true}'),
    ],
)
def test_a_cross_site_form_cannot_join(live_session, content_type, body):
    response = APIClient().post(
        f"/api/v1/sessions/{live_session.join_code}/join",
        body,
        content_type=content_type,
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 403 and response.json()["code"] == "cross_site"
    response = APIClient().post(f"/api/v1/sessions/{live_session.join_code}/join", body, content_type=content_type)
    assert response.status_code == 415 and response.json()["code"] == "json_required"
    assert "JSON" in response.json()["detail"]
    assert not Participant.objects.filter(session=live_session).exists()


def test_json_from_another_site_is_refused_and_from_this_site_accepted(live_session):
    url = f"/api/v1/sessions/{live_session.join_code}/join"
    other = APIClient().post(url, {"consent": True}, format="json", HTTP_ORIGIN="http://testserver:8001")
    assert other.status_code == 403 and other.json()["code"] == "cross_site"
    same = APIClient().post(url, {"consent": True}, format="json", HTTP_ORIGIN="http://testserver")
    assert same.status_code == 201
    assert Participant.objects.filter(session=live_session).count() == 1


def test_joins_and_sockets_read_an_origin_by_one_rule(live_session, settings):
    """The join asks cities.origins as the live socket's handshake does: the default port written out is the same
    origin, and SITE_URL is trusted whatever Host the request names."""
    settings.SITE_URL = "https://majlis.example.org"
    url = f"/api/v1/sessions/{live_session.join_code}/join"
    explicit_port = APIClient().post(url, {"consent": True}, format="json", HTTP_ORIGIN="http://testserver:80")
    assert explicit_port.status_code == 201
    site = APIClient().post(url, {"consent": True}, format="json", HTTP_ORIGIN="https://majlis.example.org")
    assert site.status_code == 201
    wrong_scheme = APIClient().post(url, {"consent": True}, format="json", HTTP_ORIGIN="https://testserver")
    assert wrong_scheme.status_code == 403


def test_every_new_message_is_translated():
    from django.utils import translation

    from consultations.errors import CrossSiteRequest, JsonRequired

    texts = [
        lambda: CrossSiteRequest().message,
        lambda: JsonRequired().message,
        lambda: JoinPassRefused().message,
        lambda: JoinPolicy.CARDS.label,
        lambda: JoinPolicy.ROTATING.label,
        lambda: JoinPolicy.OPEN.label,
        lambda: joins.JoinPassRefused(joins._("This card is not one of this session's cards.")).message,
    ]
    with translation.override("en"):
        english = [str(text()) for text in texts]
    for language in ("fr", "ar"):
        with translation.override(language):
            assert all(str(text()) != en for text, en in zip(texts, english, strict=True)), language


def test_items_stay_when_ballots_are_set_aside(room, facilitator):
    session, item = room
    script = _script_votes(session, item, 5)
    joins.participants_set_aside(session=session, participant_ids=[p.pk for p in script], actor=facilitator)
    assert Item.objects.filter(pk=item.pk).exists()


def test_the_consultation_summary_states_each_session_s_join_policy(live_session, consultation, facilitator):
    from consultations.exporters import summary_for_consultation

    _policy(live_session, JoinPolicy.CARDS, facilitator)
    summary = summary_for_consultation(consultation, fmt="json").decode()
    assert "join_policy" in summary and "Printed one-time cards" in summary
    french = summary_for_consultation(consultation, fmt="json", language="fr").decode()
    assert "Cartes imprimées à usage unique" in french


def test_the_console_in_french_shows_the_join_settings(live_session, facilitator, client):
    client.force_login(facilitator)
    page = client.get(
        f"/staff/{live_session.consultation.city.slug}/sessions/{live_session.join_code}/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Qui peut rejoindre" in page and "Accès suspects" in page and "Lieux (une adresse" in page


def test_the_retention_purge_clears_the_keyed_device_and_address(live_session, settings):
    from datetime import timedelta

    from django.utils import timezone

    from consultations.models import Session
    from consultations.privacy import participants_purge_expired

    settings.MAJLIS_PARTICIPANT_RETENTION_MONTHS = 24
    person = services.participant_join(code=live_session.join_code, consent=True, device="d", address="192.0.2.8")
    Session.objects.filter(pk=live_session.pk).update(created_at=timezone.now() - timedelta(days=800))
    report = participants_purge_expired(now=timezone.now())
    assert report.participants == 1
    person.refresh_from_db()
    assert (person.device_key, person.origin_key) == ("", "")


def test_restored_ballots_follow_an_item_merged_meanwhile(room, facilitator):
    session, item = room
    to_phase(session, Phase.CHALLENGES, facilitator)
    author = services.participant_join(code=session.join_code, consent=True)
    twin = services.item_submit(participant=author, kind=ItemKind.CHALLENGE, text="Libraries shut too early")
    services.item_moderate(item=twin, action="approve", actor=facilitator)
    to_phase(session, Phase.CHALLENGE_VOTING, facilitator)
    person = services.participant_join(code=session.join_code, consent=True, device="both")
    services.vote_cast(participant=person, item_id=item.pk)
    services.vote_cast(participant=person, item_id=twin.pk)
    joins.participants_set_aside(session=session, participant_ids=[person.pk], actor=facilitator)
    services.items_merge(source=twin, target=item, actor=facilitator)
    joins.participants_restore(session=session, participant_ids=[person.pk], actor=facilitator)
    item.refresh_from_db()
    assert list(Ballot.objects.filter(participant=person).values_list("item_id", "points")) == [(item.pk, 1)]
    assert item.tally == 1


def test_a_session_gets_a_join_policy_and_sets_ballots_aside_through_the_api(room, consultation, facilitator):
    session, item = room
    api = APIClient()
    api.force_authenticate(facilitator)
    created = api.post(
        f"/api/v1/consultations/{consultation.pk}/sessions/", {"title": "Budget", "join_policy": "cards"}, format="json"
    )
    assert created.status_code == 201 and created.json()["join_policy"] == "cards"
    script = _script_votes(session, item, 5)
    clusters = api.get(f"/api/v1/sessions/{session.join_code}/join-clusters").json()["clusters"]
    ids = clusters[0]["identical_ballots"][0]["participants"]
    assert ids == sorted(p.pk for p in script)
    url = f"/api/v1/sessions/{session.join_code}/set-aside"
    assert api.post(url, {"participants": [ids[0], 10**9]}, format="json").status_code == 400
    answer = api.post(url, {"participants": ids}, format="json").json()
    assert answer["participants"] == 5 and answer["join"]["set_aside"] == 5
    assert api.post(url, {"participants": ids, "restore": True}, format="json").json()["join"]["set_aside"] == 0
    item.refresh_from_db()
    assert item.tally == 5


def test_the_facilitator_chooses_the_policy_when_creating_a_session_on_the_page(consultation, facilitator, client):
    client.force_login(facilitator)
    url = f"/staff/{consultation.city.slug}/consultations/{consultation.pk}/"
    assert b'name="join_policy"' in client.get(url).content
    form = {
        "title": "Budget vote",
        "challenge_voting_method": "approval",
        "proposal_voting_method": "approval",
        "dot_points": "5",
        "dot_max_per_item": "3",
        "join_policy": "cards",
    }
    client.post(url, form)
    assert consultation.sessions.get(title="Budget vote").join_policy == JoinPolicy.CARDS


def test_two_cards_used_on_one_phone_are_two_participants(live_session, facilitator):
    session = _policy(live_session, JoinPolicy.CARDS, facilitator)
    first, second = joins.cards_create(session=session, count=2, actor=facilitator)
    a = services.participant_join(code=session.join_code, consent=True, card=first.code, device="family-phone")
    b = services.participant_join(code=session.join_code, consent=True, card=second.code, device="family-phone")
    assert a.pk != b.pk and not a.resumed and not b.resumed
