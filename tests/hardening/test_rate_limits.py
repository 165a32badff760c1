"""Rate limits of the participant operations (consultations/live/limits.py): 429, translated, Retry-After."""

import time
from collections import Counter
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils.functional import Promise
from rest_framework.test import APIClient

from consultations import services
from consultations.live import limits as throttles
from consultations.models import Item, ItemKind, Participant, Phase
from consultations.tokens import browser_remember, participant_token

pytestmark = pytest.mark.django_db

LOW = {
    "join_address": "3/m",
    "join_session": "5/m",
    "submit_participant": "2/m",
    "submit_session": "3/m",
    "vote_participant": "4/m",
    "vote_session": "6/m",
}


def dead_redis() -> dict:
    """CACHES naming a Redis nobody listens on (the fault drill's "Redis is down")."""
    from .faultdrill import free_port

    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def session(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Fes youth priorities", created_by=facilitator, participants_may_be_minors=False
    )
    return services.session_create(consultation=consultation, title="Room", created_by=facilitator)


def _join_api(code, address="10.0.0.1", lang="en"):
    return APIClient().post(
        f"/api/v1/sessions/{code}/join",
        {"consent": True},
        format="json",
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=lang,
    )


def _participant_api(participant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(participant)}")
    return client


def _join(session):
    return services.participant_join(code=session.join_code, consent=True)


def _phase(session, phase):
    services.session_set_phase(session=session, phase=phase, actor=None)


def test_rate_parses_count_and_period_and_refuses_nonsense():
    assert throttles.Rate.parse("600/m") == throttles.Rate(600, 60)
    assert throttles.Rate.parse("10/second") == throttles.Rate(10, 1)
    assert throttles.Rate.parse("5/h") == throttles.Rate(5, 3600)
    with pytest.raises(ValueError):
        throttles.Rate.parse("many/m")


def test_limits_are_generous_enough_for_a_hall_of_1000_on_one_address_within_a_minute(settings):
    rates = {name: throttles.Rate.parse(text) for name, text in settings.MAJLIS_RATE_LIMITS.items()}
    assert rates["join_address"].count >= 1000 and rates["join_address"].period <= 60
    assert rates["join_session"].count >= 2000 and rates["join_session"].period <= 60
    assert rates["vote_session"].count >= 2000 * 10


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_join_over_the_address_limit_is_a_translated_429_with_retry_after_and_creates_nobody(session):
    for _ in range(3):
        assert _join_api(session.join_code).status_code == 201
    response = _join_api(session.join_code, lang="fr")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Participant.objects.filter(session=session).count() == 3
    # Another address of the same room still gets in, up to the session's cap.
    assert _join_api(session.join_code, address="10.0.0.2").status_code == 201


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_join_message_goes_through_the_translation_catalogue(session):
    for _ in range(3):
        _join_api(session.join_code)
    detail = _join_api(session.join_code).json()["detail"]
    assert detail.startswith("Too many requests. Please wait ")
    assert isinstance(throttles.MESSAGE, Promise)  # gettext_lazy: rendered in the caller's language


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_join_session_cap_counts_every_address(session):
    statuses = [_join_api(session.join_code, address=f"10.0.1.{n}").status_code for n in range(6)]
    assert statuses == [201] * 5 + [429]


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_limits_of_one_session_do_not_touch_another(session, facilitator):
    other = services.session_create(consultation=session.consultation, title="Other room", created_by=facilitator)
    for _ in range(3):
        _join_api(session.join_code)
    assert _join_api(session.join_code).status_code == 429
    assert _join_api(other.join_code).status_code == 201


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_submissions_over_the_participant_limit_are_429_and_write_nothing(session):
    _phase(session, Phase.CHALLENGES)
    client = _participant_api(_join(session))
    for n in range(2):
        response = client.post(
            f"/api/v1/sessions/{session.join_code}/items", {"kind": "challenge", "text": f"Idea {n}"}, format="json"
        )
        assert response.status_code == 201
    response = client.post(
        f"/api/v1/sessions/{session.join_code}/items", {"kind": "challenge", "text": "One more"}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited" and response.has_header("Retry-After")
    assert Item.objects.filter(session=session).count() == 2
    # Someone else in the room may still submit until the session's cap.
    other = _participant_api(_join(session))
    assert (
        other.post(
            f"/api/v1/sessions/{session.join_code}/items", {"kind": "challenge", "text": "Mine"}, format="json"
        ).status_code
        == 201
    )
    assert (
        other.post(
            f"/api/v1/sessions/{session.join_code}/items", {"kind": "challenge", "text": "Mine too"}, format="json"
        ).status_code
        == 429
    )


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_votes_over_the_participant_limit_are_429_and_withdrawals_count_too(session):
    _phase(session, Phase.CHALLENGES)
    author = _join(session)
    item = services.item_submit(participant=author, kind=ItemKind.CHALLENGE, text="Buses stop at 8 pm")
    if item.status != "approved":
        services.item_moderate(item=item, action="approve", actor=None)
    _phase(session, Phase.CHALLENGE_VOTING)
    client = _participant_api(_join(session))
    url = f"/api/v1/sessions/{session.join_code}/votes"
    assert client.post(url, {"item": item.pk}, format="json").status_code == 201
    assert client.delete(f"{url}/{item.pk}").status_code == 200
    assert client.post(url, {"item": item.pk}, format="json").status_code == 201
    assert client.post(url, {"item": item.pk}, format="json").status_code == 200
    response = client.post(url, {"item": item.pk}, format="json")
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"


def test_requests_without_a_valid_token_are_not_counted_and_still_refused(session, settings):
    settings.MAJLIS_RATE_LIMITS_ENABLED = True
    settings.MAJLIS_RATE_LIMITS = {**LOW, "vote_session": "1/m"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Participant forged")
    for _ in range(3):
        assert client.post(f"/api/v1/sessions/{session.join_code}/votes", {"item": 1}, format="json").status_code == 401


def test_limits_are_off_when_disabled(session, settings):
    settings.MAJLIS_RATE_LIMITS_ENABLED = False
    settings.MAJLIS_RATE_LIMITS = LOW
    assert [_join_api(session.join_code).status_code for _ in range(6)] == [201] * 6


# --- Pages -----------------------------------------------------------------------------------------------


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_join_page_over_the_limit_shows_a_message_and_429(session):
    url = f"/j/{session.join_code}/"
    session.consultation.ask_age_band = session.consultation.ask_gender = False
    session.consultation.ask_district = session.consultation.ask_organisation = False
    session.consultation.save()
    for _ in range(3):
        assert Client(REMOTE_ADDR="10.0.0.9").post(url, {"step": "consent", "consent": "on"}).status_code == 302
    response = Client(REMOTE_ADDR="10.0.0.9").post(url, {"step": "consent", "consent": "on"})
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert response.has_header("Retry-After")
    assert Participant.objects.filter(session=session).count() == 3


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_submit_form_over_the_limit_keeps_the_text_and_says_why(session):
    _phase(session, Phase.CHALLENGES)
    person = _join(session)
    client = Client()
    store = client.session
    browser_remember(store, person)
    store.save()
    url = f"/s/{session.join_code}/submit/"
    for n in range(2):
        assert client.post(url, {"kind": "challenge", "text": f"Idea number {n}"}).status_code == 302
    response = client.post(url, {"kind": "challenge", "text": "Keep this text"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many requests" in html and "Keep this text" in html
    assert Item.objects.filter(session=session).count() == 2


@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW)
def test_vote_form_over_the_limit_says_the_vote_was_not_sent(session):
    _phase(session, Phase.CHALLENGES)
    item = services.item_submit(participant=_join(session), kind=ItemKind.CHALLENGE, text="Libraries close early")
    if item.status != "approved":
        services.item_moderate(item=item, action="approve", actor=None)
    _phase(session, Phase.CHALLENGE_VOTING)
    person = _join(session)
    client = Client()
    store = client.session
    browser_remember(store, person)
    store.save()
    url = f"/s/{session.join_code}/vote/"
    for _ in range(4):
        client.post(url, {"item": item.pk, "points": 1})
    response = client.post(url, {"item": item.pk, "points": 1}, follow=True)
    assert "Too many requests" in response.content.decode()
    assert response.redirect_chain[0][1] == 302


def test_limits_let_requests_through_when_the_cache_is_down(session, caplog):
    """Redis down (the fault drill): a join is not refused with a server error, it is just not counted."""
    with override_settings(MAJLIS_RATE_LIMITS_ENABLED=True, MAJLIS_RATE_LIMITS=LOW, CACHES=dead_redis()):
        for _ in range(4):  # one more than join_address allows
            assert _join_api(session.join_code).status_code == 201
        assert throttles.hit_many([throttles.vote_hits(participant_id=1, session_id=session.pk)]) == [None]
    assert "not counted: the cache is unavailable" in caplog.text


@pytest.mark.slow
@override_settings(MAJLIS_RATE_LIMITS_ENABLED=True)
def test_a_hall_of_1000_phones_behind_one_address_all_join_within_a_minute(session, monkeypatch):
    """The default limits, counted as in production: 1,000 phones of one Wi-Fi (one address), each with its own
    device id, join one session through the API; every one is admitted, in well under a minute. The counters'
    clock stands still, so that all 1,000 fall in one window of the limit."""
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: 1_800_000_030.0))
    started = time.monotonic()
    url = f"/api/v1/sessions/{session.join_code}/join"
    client = APIClient()
    statuses = Counter(
        client.post(url, {"consent": True, "device": f"phone-{n}"}, format="json", REMOTE_ADDR="192.0.2.1").status_code
        for n in range(1000)
    )
    assert statuses == {201: 1000}
    assert time.monotonic() - started < 60
    assert Participant.objects.filter(session=session).count() == 1000
