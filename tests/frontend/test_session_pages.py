"""Live-session HTML pages, driven like a browser without JavaScript (Django test client, plain form POSTs)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from cities.models import AuditEntry
from consultations import services
from consultations.models import Ballot, Item, ItemKind, ItemStatus, Participant, Phase, Session, VotingMethod
from consultations.tokens import BROWSER_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(city_a, facilitator):
    return services.consultation_create(
        city=city_a, title="Fes youth priorities", created_by=facilitator, participants_may_be_minors=False
    )


@pytest.fixture
def live_session(consultation, facilitator):
    return services.session_create(
        consultation=consultation, title="Session 1", created_by=facilitator, premoderation=False
    )


def join_url(session):
    return reverse("frontend:join", args=[session.join_code])


def page_url(session):
    return reverse("frontend:participant", args=[session.join_code])


def joined_client(session, **profile) -> Client:
    """A browser that went through the consent and profile steps."""
    client = Client()
    response = client.post(join_url(session), {"step": "consent", "consent": "on"})
    assert response.status_code == 302
    if "step=profile" in response["Location"]:
        response = client.post(join_url(session), {"step": "profile", **profile})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == page_url(session)
    return client


def to_phase(session, phase, actor=None):
    return services.session_set_phase(session=session, phase=phase, actor=actor)


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Join -----------------------------------------------------------------------------------------------


def test_join_page_shows_consent_text_and_checkbox(live_session):
    response = Client().get(join_url(live_session))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="consent"' in html and 'type="checkbox"' in html
    assert "anonymously" in html and "months" in html


def test_join_without_consent_is_refused_in_the_callers_language_and_creates_nobody(live_session):
    response = Client().post(join_url(live_session), {"step": "consent"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert 'lang="fr"' in response.content.decode()
    assert "Please tick the box" in response.content.decode() or "cocher" in response.content.decode()
    assert Participant.objects.count() == 0


def test_join_asks_only_the_questions_the_consultation_asks(live_session):
    consultation = live_session.consultation
    consultation.ask_gender = False
    consultation.ask_organisation = True
    consultation.save()
    client = Client()
    response = client.post(join_url(live_session), {"step": "consent", "consent": "on"}, follow=True)
    html = response.content.decode()
    assert 'name="age_band"' in html and 'name="district"' in html and 'name="organisation"' in html
    assert 'name="gender"' not in html
    assert html.count("Prefer not to say") >= 3


def test_join_saves_the_profile_and_remembers_the_browser(live_session, city_a):
    district = city_a.districts.get(name="Saiss")
    client = joined_client(live_session, age_band="18_24", gender="unsaid", district=str(district.pk))
    participant = Participant.objects.get()
    assert (participant.age_band, participant.gender, participant.district) == ("18_24", "unsaid", district)
    assert client.session[BROWSER_KEY] == {str(live_session.pk): participant.pk}
    page = client.get(page_url(live_session))
    assert page.status_code == 200 and "Session 1" in page.content.decode()


def test_district_prefer_not_to_say_stores_no_district(live_session):
    joined_client(live_session, district="unsaid")
    assert Participant.objects.get().district is None


def test_join_without_questions_goes_straight_from_consent_to_the_live_page(live_session):
    consultation = live_session.consultation
    consultation.ask_age_band = consultation.ask_gender = consultation.ask_district = False
    consultation.save()
    client = Client()
    response = client.post(join_url(live_session), {"step": "consent", "consent": "on"})
    assert response["Location"] == page_url(live_session)
    assert Participant.objects.count() == 1


def test_profile_step_without_consent_sends_back_to_consent(live_session):
    response = Client().post(join_url(live_session), {"step": "profile", "age_band": "18_24"})
    assert response.status_code == 302 and "step=profile" not in response["Location"]
    assert Participant.objects.count() == 0


def test_second_visit_skips_the_steps(live_session):
    client = joined_client(live_session)
    response = client.get(join_url(live_session))
    assert response.status_code == 302 and response["Location"] == page_url(live_session)
    assert Participant.objects.count() == 1


def test_participant_page_without_joining_redirects_to_join(live_session):
    response = Client().get(page_url(live_session))
    assert response.status_code == 302 and response["Location"] == join_url(live_session)


def test_unknown_code_shows_a_friendly_page_with_the_code_form(db):
    response = Client().get(reverse("frontend:join", args=["AAAAAA"]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "No session has this code" in html
    assert 'name="code"' in html and reverse("frontend:join_lookup") in html


def test_retired_code_is_refused_for_a_new_browser(live_session, facilitator):
    old = live_session.join_code
    services.session_rotate_code(session=live_session, actor=facilitator)
    response = Client().post(reverse("frontend:join", args=[old]), {"step": "consent", "consent": "on"})
    assert response.status_code == 404
    assert "replaced" in response.content.decode()
    assert Participant.objects.count() == 0


def test_browser_that_joined_keeps_its_page_after_the_code_is_rotated(live_session, facilitator):
    client = joined_client(live_session)
    old = live_session.join_code
    session = services.session_rotate_code(session=live_session, actor=facilitator)
    response = client.get(reverse("frontend:join", args=[old]))
    assert response["Location"] == reverse("frontend:participant", args=[session.join_code])


def test_code_form_normalises_what_was_typed(live_session):
    typed = " " + live_session.join_code[:3].lower() + "-" + live_session.join_code[3:] + " "
    response = Client().get(reverse("frontend:join_lookup"), {"code": typed})
    assert response["Location"] == join_url(live_session)


def test_locked_session_shows_the_services_message(live_session, facilitator):
    client = Client()
    client.get(join_url(live_session))
    services.session_set_lock(session=live_session, locked=True, actor=facilitator)
    response = client.post(join_url(live_session), {"step": "consent", "consent": "on"})
    assert response.status_code == 403
    assert "not accepting new participants" in response.content.decode()
    assert Participant.objects.count() == 0


def test_full_session_shows_the_services_message(live_session):
    services.session_configure(session=live_session, actor=None, capacity=1)
    joined_client(live_session)
    client = Client()
    client.post(join_url(live_session), {"step": "consent", "consent": "on"})
    response = client.post(join_url(live_session), {"step": "profile", "age_band": "unsaid"})
    assert response.status_code == 409
    assert "This session is full." in response.content.decode()
    assert Participant.objects.count() == 1


def test_arabic_join_page_is_right_to_left(live_session):
    response = Client().get(join_url(live_session), HTTP_ACCEPT_LANGUAGE="ar")
    assert '<html lang="ar" dir="rtl">' in response.content.decode()


# --- Participant page: submit and vote with plain forms ---------------------------------------------------


def test_lobby_page_shows_the_phase_and_instruction_and_no_forms(live_session):
    html = joined_client(live_session).get(page_url(live_session)).content.decode()
    assert "Lobby" in html and "will start soon" in html
    assert 'name="text"' not in html and "vote-form" not in html


def test_submitting_a_challenge_by_form_creates_it(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    response = client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]),
        {"kind": "challenge", "text": "No place to do sport after school"},
    )
    assert response.status_code == 302
    item = Item.objects.get()
    assert (item.kind, item.text, item.author) == (
        "challenge",
        "No place to do sport after school",
        Participant.objects.get(),
    )
    page = client.get(page_url(live_session)).content.decode()
    assert "Your text is now on the screen" in page
    assert "No place to do sport after school" in page


def test_submission_error_is_shown_keeps_the_text_and_writes_nothing(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.PROPOSALS)
    response = client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]),
        {"kind": "challenge", "text": "Typed while the phase moved on"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "not collecting this kind of submission" in html
    assert "Typed while the phase moved on" in html
    assert Item.objects.count() == 0


def test_too_short_submission_is_refused_with_the_services_message(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    response = client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]), {"kind": "challenge", "text": "ab"}
    )
    assert response.status_code == 400
    assert "at least 3 characters" in response.content.decode()
    assert Item.objects.count() == 0


def test_form_errors_are_translated(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    response = client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]),
        {"kind": "challenge", "text": ""},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 400
    assert "Veuillez écrire un peu plus (au moins 3 caractères)." in response.content.decode()  # the service's rule
    assert Item.objects.count() == 0


def test_proposal_may_tick_the_challenges_it_answers(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    challenge = services.item_submit(participant=Participant.objects.get(), kind="challenge", text="Unemployment")
    to_phase(live_session, Phase.PROPOSALS)
    html = client.get(page_url(live_session)).content.decode()
    assert f'name="answers" value="{challenge.pk}"' in html
    client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]),
        {"kind": "proposal", "text": "A job fair every spring", "answers": [str(challenge.pk)]},
    )
    proposal = Item.objects.get(kind=ItemKind.PROPOSAL)
    assert list(proposal.answers.values_list("pk", flat=True)) == [challenge.pk]


def test_premoderated_submission_is_announced_as_waiting(live_session):
    services.session_configure(session=live_session, actor=None, premoderation=True)
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    response = client.post(
        reverse("frontend:participant_submit", args=[live_session.join_code]),
        {"kind": "challenge", "text": "Too few buses at night"},
        follow=True,
    )
    html = response.content.decode()
    assert "once a facilitator approves it" in html
    assert Item.objects.get().status == ItemStatus.PENDING


def _approved_challenge(session, text="Streets are dark at night"):
    author = services.participant_join(code=session.join_code, consent=True)
    to_phase(session, Phase.CHALLENGES)
    return services.item_submit(participant=author, kind="challenge", text=text)


def test_approval_vote_by_form_toggles_the_ballot(live_session):
    item = _approved_challenge(live_session)
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGE_VOTING)
    vote_url = reverse("frontend:participant_vote", args=[live_session.join_code])
    html = client.get(page_url(live_session)).content.decode()
    assert 'aria-pressed="false"' in html and item.text in html
    client.post(vote_url, {"item": item.pk})
    assert Ballot.objects.filter(item=item).count() == 1
    page = client.get(page_url(live_session)).content.decode()
    assert 'aria-pressed="true"' in page and "Your vote was counted." in page
    client.post(vote_url, {"item": item.pk, "withdraw": "1"})
    assert Ballot.objects.filter(item=item).count() == 0


def test_dot_voting_form_spends_points_and_shows_points_left(consultation, facilitator):
    session = services.session_create(
        consultation=consultation,
        title="Dots",
        created_by=facilitator,
        premoderation=False,
        challenge_voting_method=VotingMethod.DOT,
        dot_points=5,
        dot_max_per_item=3,
    )
    item = _approved_challenge(session)
    client = joined_client(session)
    to_phase(session, Phase.CHALLENGE_VOTING)
    client.post(reverse("frontend:participant_vote", args=[session.join_code]), {"item": item.pk, "points": "3"})
    assert Ballot.objects.get(item=item).points == 3
    html = client.get(page_url(session)).content.decode()
    assert re.search(r'id="points-left">2<', html)


def test_vote_refused_by_the_service_is_reported_and_nothing_is_written(consultation, facilitator):
    session = services.session_create(
        consultation=consultation,
        title="Dots",
        created_by=facilitator,
        premoderation=False,
        challenge_voting_method=VotingMethod.DOT,
        dot_points=5,
        dot_max_per_item=3,
    )
    item = _approved_challenge(session)
    client = joined_client(session)
    to_phase(session, Phase.CHALLENGE_VOTING)
    response = client.post(
        reverse("frontend:participant_vote", args=[session.join_code]), {"item": item.pk, "points": "4"}, follow=True
    )
    html = response.content.decode()
    assert "Your vote was not sent" in html and "At most 3 points" in html
    assert Ballot.objects.count() == 0


def test_vote_outside_a_voting_phase_is_refused(live_session):
    item = _approved_challenge(live_session)
    client = joined_client(live_session)
    response = client.post(
        reverse("frontend:participant_vote", args=[live_session.join_code]), {"item": item.pk}, follow=True
    )
    assert "Voting on this kind of item is not open now." in response.content.decode()
    assert Ballot.objects.count() == 0


def test_results_are_shown_to_participants_only_when_visible(live_session, facilitator):
    item = _approved_challenge(live_session, text="Libraries close too early")
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGE_VOTING)
    client.post(reverse("frontend:participant_vote", args=[live_session.join_code]), {"item": item.pk})
    html = client.get(page_url(live_session)).content.decode()
    assert '<section id="results" hidden' in html
    services.session_show_results(session=live_session, visible=True, actor=facilitator)
    html = client.get(page_url(live_session)).content.decode()
    assert '<section id="results" hidden' not in html
    assert "bar-fill" in html and "1 vote" in html


def test_my_submissions_and_votes_are_listed(live_session):
    client = joined_client(live_session)
    to_phase(live_session, Phase.CHALLENGES)
    services.item_submit(participant=Participant.objects.get(), kind="challenge", text="Mine, not yours")
    html = client.get(page_url(live_session)).content.decode()
    mine = html[html.index('id="mine"') :]
    assert "Mine, not yours" in mine


def test_participant_page_carries_the_token_and_websocket_path_for_the_script(live_session):
    client = joined_client(live_session)
    html = client.get(page_url(live_session)).content.decode()
    assert f'data-ws="/ws/sessions/{live_session.join_code}/"' in html
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    api = Client().get(f"/api/v1/sessions/{live_session.join_code}/state", HTTP_AUTHORIZATION=f"Participant {token}")
    assert api.status_code == 200
    assert "live.js" in html


def test_participant_page_is_light(live_session, settings):
    from pathlib import Path

    html = joined_client(live_session).get(page_url(live_session)).content
    static = Path(settings.BASE_DIR) / "frontend" / "static" / "frontend"
    total = len(html) + sum(
        (static / name).stat().st_size for name in ("session.css", "live.js", "participant.js", "majlis.css")
    )
    assert total < 100_000


# --- Facilitator console --------------------------------------------------------------------------------


def console_url(session):
    return reverse("frontend:session_console", args=[session.consultation.city.slug, session.join_code])


def action_url(session, action):
    return reverse("frontend:session_action", args=[session.consultation.city.slug, session.join_code, action])


def test_facilitator_creates_a_consultation_with_its_questions(city_a, facilitator):
    client = staff_client(facilitator)
    url = reverse("frontend:consultation_list", args=[city_a.slug])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "Summer plans",
            "description": "",
            "themes": "Sport\nCulture\n",
            "participants_may_be_minors": "no",
            "ask_age_band": "on",
            "ask_organisation": "on",
        },
    )
    assert response.status_code == 302
    consultation = city_a.consultations.get(title="Summer plans")
    assert not consultation.participants_may_be_minors
    assert (consultation.ask_age_band, consultation.ask_gender, consultation.ask_organisation) == (True, False, True)
    assert sorted(consultation.themes.values_list("name", flat=True)) == ["Culture", "Sport"]


def test_facilitator_creates_a_session_with_its_settings(consultation, facilitator):
    client = staff_client(facilitator)
    url = reverse("frontend:consultation_detail", args=[consultation.city.slug, consultation.pk])
    response = client.post(
        url,
        {
            "title": "Evening",
            "place": "Youth centre",
            "phases": ["challenges", "challenge_voting", "results"],
            "challenge_voting_method": "dot",
            "proposal_voting_method": "approval",
            "dot_points": "6",
            "dot_max_per_item": "2",
            "capacity": "40",
        },
    )
    session = Session.objects.get(title="Evening")
    assert response["Location"] == console_url(session)
    assert session.phases == ["lobby", "challenges", "challenge_voting", "results", "closed"]
    assert (session.challenge_voting_method, session.dot_points, session.dot_max_per_item) == ("dot", 6, 2)
    assert (session.capacity, session.premoderation, session.place) == (40, False, "Youth centre")


def test_invalid_session_settings_show_the_services_message(consultation, facilitator):
    client = staff_client(facilitator)
    url = reverse("frontend:consultation_detail", args=[consultation.city.slug, consultation.pk])
    response = client.post(
        url,
        {
            "title": "Bad",
            "challenge_voting_method": "dot",
            "proposal_voting_method": "dot",
            "dot_points": "2",
            "dot_max_per_item": "3",
        },
    )
    assert response.status_code == 400
    assert "cannot exceed the points per participant" in response.content.decode()
    assert not Session.objects.filter(title="Bad").exists()


def test_console_shows_qr_code_code_and_headcount(live_session, facilitator):
    joined_client(live_session)
    html = staff_client(facilitator).get(console_url(live_session)).content.decode()
    assert "<svg" in html and 'class="qr"' in html
    assert live_session.join_code in html
    assert re.search(r'id="headcount">1<', html)


def test_console_changes_phase_forwards_and_back(live_session, facilitator):
    client = staff_client(facilitator)
    client.post(action_url(live_session, "phase"), {"phase": "challenges"})
    live_session.refresh_from_db()
    assert live_session.phase == Phase.CHALLENGES
    client.post(action_url(live_session, "phase"), {"phase": "lobby"})
    live_session.refresh_from_db()
    assert live_session.phase == Phase.LOBBY
    assert AuditEntry.objects.filter(action="session.phase").count() == 2


def test_console_refuses_a_phase_the_session_does_not_use(consultation, facilitator):
    session = services.session_create(
        consultation=consultation, title="Short", created_by=facilitator, phases=["challenges"]
    )
    response = staff_client(facilitator).post(action_url(session, "phase"), {"phase": "proposals"}, follow=True)
    assert "does not use the phase" in response.content.decode()
    session.refresh_from_db()
    assert session.phase == Phase.LOBBY


def test_console_moderation_approves_hides_edits_and_merges(live_session, facilitator):
    services.session_configure(session=live_session, actor=None, premoderation=True)
    author = services.participant_join(code=live_session.join_code, consent=True)
    to_phase(live_session, Phase.CHALLENGES)
    first = services.item_submit(participant=author, kind="challenge", text="Call me on 0612345678")
    second = services.item_submit(participant=author, kind="challenge", text="No sport halls")
    third = services.item_submit(participant=author, kind="challenge", text="No sports hall")
    client = staff_client(facilitator)
    html = client.get(console_url(live_session)).content.decode()
    assert "phone number" in html  # the automatic screen's flag, translated
    client.post(action_url(live_session, "moderate"), {"item": first.pk, "do": "hide"})
    client.post(action_url(live_session, "moderate"), {"item": second.pk, "do": "approve"})
    client.post(action_url(live_session, "moderate"), {"item": third.pk, "do": "approve"})
    client.post(action_url(live_session, "edit"), {"item": second.pk, "text": "No sports halls"})
    client.post(action_url(live_session, "merge"), {"item": third.pk, "into": second.pk})
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert first.status == ItemStatus.HIDDEN
    assert (second.status, second.text, second.original_text) == (
        ItemStatus.APPROVED,
        "No sports halls",
        "No sport halls",
    )
    assert (third.status, third.merged_into_id) == (ItemStatus.MERGED, second.pk)


def test_console_edit_with_empty_text_is_refused_and_keeps_the_text(live_session, facilitator):
    item = _approved_challenge(live_session, text="Original words")
    response = staff_client(facilitator).post(
        action_url(live_session, "edit"), {"item": item.pk, "text": " "}, follow=True
    )
    assert "between 3 and 500 characters" in response.content.decode()
    item.refresh_from_db()
    assert item.text == "Original words"


def test_console_locks_unlocks_shows_results_and_publishes(live_session, facilitator):
    client = staff_client(facilitator)
    client.post(action_url(live_session, "lock"), {"locked": "1"})
    live_session.refresh_from_db()
    assert live_session.locked
    client.post(action_url(live_session, "lock"), {"locked": "0"})
    client.post(action_url(live_session, "results"), {"visible": "1"})
    live_session.refresh_from_db()
    assert not live_session.locked and live_session.results_visible
    client.post(action_url(live_session, "publish"))
    live_session.refresh_from_db()
    assert live_session.phase == Phase.CLOSED and live_session.published_at is not None


def test_console_rotates_the_code_and_follows_the_new_one(live_session, facilitator):
    old = live_session.join_code
    response = staff_client(facilitator).post(action_url(live_session, "rotate"))
    live_session.refresh_from_db()
    assert live_session.join_code != old
    assert response["Location"] == console_url(live_session)


def test_console_results_show_suppressed_small_cells_and_consensus(live_session, facilitator):
    item = _approved_challenge(live_session)
    other = services.item_submit(
        participant=services.participant_join(code=live_session.join_code, consent=True),
        kind="challenge",
        text="Buses stop at eight",
    )
    people = [
        services.participant_join(code=live_session.join_code, consent=True, gender=gender)
        for gender in ["female"] * 6 + ["male"] * 6
    ]
    to_phase(live_session, Phase.CHALLENGE_VOTING)
    for person in people[:8]:  # six girls and two boys
        services.vote_cast(participant=person, item_id=item.pk)
    for person in people[8:]:  # the four other boys
        services.vote_cast(participant=person, item_id=other.pk)
    html = staff_client(facilitator).get(console_url(live_session)).content.decode()
    assert "Results by group appear once voting is over" in html and "By gender" not in html
    to_phase(live_session, Phase.RESULTS)
    html = staff_client(facilitator).get(console_url(live_session)).content.decode()
    assert "Consensus" in html and "By gender" in html
    small, hidden = '<td class="num"><span dir="ltr">&lt;5</span></td>', '<td class="num"><span dir="ltr">*</span></td>'
    assert small in html and hidden in html  # the girls' 6 hidden too


def test_city_admin_may_use_the_console(live_session, city_admin):
    assert staff_client(city_admin).get(console_url(live_session)).status_code == 200


def _staff_urls(session):
    slug = session.consultation.city.slug
    code = session.join_code
    return [
        ("get", reverse("frontend:consultation_list", args=[slug])),
        ("get", reverse("frontend:consultation_detail", args=[slug, session.consultation.pk])),
        ("get", reverse("frontend:session_console", args=[slug, code])),
        ("get", reverse("frontend:projector", args=[slug, code])),
        ("get", reverse("frontend:poster", args=[slug, code])),
        *[
            ("post", action_url(session, action))
            for action in ("phase", "lock", "rotate", "results", "publish", "moderate", "edit", "merge")
        ],
    ]


def test_charlie_gets_404_on_every_staff_page_and_changes_nothing(live_session, charlie):
    client = staff_client(charlie)
    for method, url in _staff_urls(live_session):
        assert getattr(client, method)(url, {"phase": "challenges", "locked": "1"}).status_code == 404, url
    live_session.refresh_from_db()
    assert (live_session.phase, live_session.locked) == (Phase.LOBBY, False)


def test_charlie_cannot_reach_city_a_through_his_own_city_slug(live_session, charlie, city_b):
    url = reverse("frontend:session_console", args=[city_b.slug, live_session.join_code])
    assert staff_client(charlie).get(url).status_code == 404


def test_analyst_and_user_without_role_get_404(live_session, analyst):
    for user in (analyst, UserFactory(email="nobody@example.org")):
        client = staff_client(user)
        for method, url in _staff_urls(live_session):
            assert getattr(client, method)(url).status_code == 404, (user, url)


def test_participant_browser_reaches_no_staff_page(live_session):
    client = joined_client(live_session)
    for method, url in _staff_urls(live_session):
        response = getattr(client, method)(url, {"phase": "challenges"})
        assert response.status_code in (302, 404), url
        assert live_session.join_code not in response.content.decode()
    live_session.refresh_from_db()
    assert live_session.phase == Phase.LOBBY


# --- Projector and poster -------------------------------------------------------------------------------


def test_projector_shows_qr_code_code_url_and_approved_items_only(live_session, facilitator):
    services.session_configure(session=live_session, actor=None, premoderation=True)
    author = services.participant_join(code=live_session.join_code, consent=True)
    to_phase(live_session, Phase.CHALLENGES)
    approved = services.item_submit(participant=author, kind="challenge", text="Approved for the screen")
    services.item_moderate(item=approved, action="approve", actor=facilitator)
    services.item_submit(participant=author, kind="challenge", text="Still waiting")
    url = reverse("frontend:projector", args=[live_session.consultation.city.slug, live_session.join_code])
    html = staff_client(facilitator).get(url).content.decode()
    assert '<body class="projector">' in html
    assert "<svg" in html and live_session.join_code in html and f"/j/{live_session.join_code}" in html
    assert "Approved for the screen" in html and "Still waiting" not in html


def test_projector_in_arabic_is_right_to_left(live_session, facilitator):
    url = reverse("frontend:projector", args=[live_session.consultation.city.slug, live_session.join_code])
    html = staff_client(facilitator).get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'dir="rtl"' in html


def test_poster_has_qr_code_and_three_languages_each_with_its_direction(live_session, facilitator):
    url = reverse("frontend:poster", args=[live_session.consultation.city.slug, live_session.join_code])
    html = staff_client(facilitator).get(url).content.decode()
    assert "<svg" in html and live_session.join_code in html
    assert 'lang="ar" dir="rtl"' in html and 'lang="fr" dir="ltr"' in html and 'lang="en" dir="ltr"' in html
    assert "session.css" in html  # its print rules: @page A4


def test_projector_shows_results_of_the_kind_being_voted_on(live_session, facilitator):
    author = services.participant_join(code=live_session.join_code, consent=True)
    to_phase(live_session, Phase.CHALLENGES)
    services.item_submit(participant=author, kind="challenge", text="A challenge of the morning")
    to_phase(live_session, Phase.PROPOSALS)
    services.item_submit(participant=author, kind="proposal", text="A proposal for the evening")
    to_phase(live_session, Phase.PROPOSAL_VOTING)
    services.session_show_results(session=live_session, visible=True, actor=facilitator)
    url = reverse("frontend:projector", args=[live_session.consultation.city.slug, live_session.join_code])
    html = staff_client(facilitator).get(url).content.decode()
    results = html[html.index('id="projector-results"') : html.index('id="projector-items"')]
    assert "A proposal for the evening" in results and "A challenge of the morning" not in results


def test_join_records_the_language_of_the_page(live_session):
    client = Client()
    client.post(join_url(live_session) + "?lang=fr", {"step": "consent", "consent": "on"})
    client.post(join_url(live_session), {"step": "profile"})
    assert Participant.objects.get().language == "fr"


def test_closed_session_refuses_new_people_but_shows_results_to_those_who_took_part(live_session, facilitator):
    item = _approved_challenge(live_session, text="Parks need lights")
    client = joined_client(live_session)
    services.session_publish(session=live_session, actor=facilitator)
    html = client.get(page_url(live_session)).content.decode()
    assert "This session is closed. Thank you for taking part!" in html
    assert item.text in html[html.index('id="results"') :]
    refused = Client().get(join_url(live_session))
    assert refused.status_code == 403 and "This session is closed." in refused.content.decode()


def test_participant_page_offers_the_council_opt_in_once_results_are_shown(client, city_a, facilitator):
    from consultations import services as cs
    from consultations.tokens import browser_remember

    consultation = cs.consultation_create(city=city_a, title="Opt-in", created_by=facilitator)
    session = cs.session_create(consultation=consultation, title="S", created_by=facilitator)
    participant = cs.participant_join(code=session.join_code, consent=True)
    django_session = client.session
    browser_remember(django_session, participant)
    django_session.save()
    url = f"/s/{session.join_code}/"
    opt_in = f"/s/{session.join_code}/council/"
    assert opt_in not in client.get(url).content.decode()
    cs.session_set_phase(session=session, phase="results", actor=facilitator)
    assert opt_in in client.get(url).content.decode()


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_dot_voting_results_read_points_on_the_phone_and_in_the_console(consultation, facilitator, language):
    from django.utils import translation

    session = services.session_create(
        consultation=consultation,
        title="Dots",
        created_by=facilitator,
        premoderation=False,
        challenge_voting_method="dot",
        dot_points=5,
        dot_max_per_item=3,
    )
    author = services.participant_join(code=session.join_code, consent=True)
    to_phase(session, "challenges")
    item = services.item_submit(participant=author, kind="challenge", text="More buses in the evening")
    to_phase(session, "challenge_voting")
    client = joined_client(session)
    voter = Participant.objects.get(pk=client.session[BROWSER_KEY][str(session.pk)])
    services.vote_cast(participant=voter, item_id=item.pk, points=3)
    services.session_show_results(session=session, visible=True, actor=facilitator)
    with translation.override(language):
        points = translation.ngettext("%(n)s point", "%(n)s points", 3) % {"n": 3}
        votes = translation.ngettext("%(n)s vote", "%(n)s votes", 3) % {"n": 3}
    assert points != votes
    phone = client.get(page_url(session), {"lang": language}).content.decode()
    console = staff_client(facilitator).get(
        reverse("frontend:session_console", args=[session.consultation.city.slug, session.join_code]),
        {"lang": language},
    )
    for page in (phone, console.content.decode()):
        values = re.findall(r'<span class="bar-value">([^<]*)</span>', page)
        assert points in values and votes not in values
