import pytest

from consultations import services
from consultations.errors import (
    ConsentRequired,
    InvalidInput,
    JoinRefused,
    RoomFull,
    SessionClosed,
    SessionNotFound,
    TooManyPoints,
    UnknownItem,
    WrongPhase,
)
from consultations.models import (
    JOIN_CODE_ALPHABET,
    Ballot,
    ItemKind,
    ItemStatus,
    Participant,
    Phase,
    Session,
    VotingMethod,
)
from consultations.services import normalise_join_code

from .conftest import join, to_phase

pytestmark = pytest.mark.django_db


def test_new_session_starts_in_lobby_with_six_character_code_without_lookalikes(live_session):
    assert live_session.phase == Phase.LOBBY
    assert len(live_session.join_code) == 6
    assert set(live_session.join_code) <= set(JOIN_CODE_ALPHABET)
    assert not set("01OIL5S2Z8B") & set(JOIN_CODE_ALPHABET)


def test_premoderation_defaults_on_when_participants_may_be_minors(city_a, facilitator):
    minors = services.consultation_create(city=city_a, title="Teens", created_by=facilitator)
    adults = services.consultation_create(
        city=city_a, title="Adults", created_by=facilitator, participants_may_be_minors=False
    )
    assert services.session_create(consultation=minors, title="S", created_by=facilitator).premoderation
    assert not services.session_create(consultation=adults, title="S", created_by=facilitator).premoderation


def test_join_code_typed_with_spaces_and_lowercase_is_understood(live_session):
    typed = " " + live_session.join_code.lower()[:3] + "-" + live_session.join_code.lower()[3:] + " "
    assert normalise_join_code(typed) == live_session.join_code
    participant = services.participant_join(code=typed, consent=True)
    assert participant.session == live_session


def test_join_requires_consent_and_changes_nothing_without_it(live_session):
    with pytest.raises(ConsentRequired):
        services.participant_join(code=live_session.join_code, consent=False)
    assert Participant.objects.count() == 0


def test_join_stores_only_the_questions_the_consultation_asks(live_session, city_a):
    consultation = live_session.consultation
    consultation.ask_gender = False
    consultation.save()
    district = city_a.districts.first()
    p = join(live_session, age_band="18_24", gender="female", district=district.pk)
    assert (p.age_band, p.gender, p.district) == ("18_24", "", district)


def test_join_rejects_a_district_of_another_city(live_session, city_b):
    from tests.factories import DistrictFactory

    with pytest.raises(InvalidInput):
        join(live_session, district=DistrictFactory(city=city_b).pk)
    assert Participant.objects.count() == 0


def test_locked_room_and_headcount_cap_refuse_newcomers(live_session, facilitator):
    services.session_configure(session=live_session, actor=facilitator, capacity=1)
    join(live_session)
    with pytest.raises(RoomFull):
        join(live_session)
    services.session_configure(session=live_session, actor=facilitator, capacity=None)
    services.session_set_lock(session=live_session, locked=True, actor=facilitator)
    with pytest.raises(JoinRefused):
        join(live_session)
    assert Participant.objects.count() == 1


def test_rotated_code_stops_joining_at_once_but_keeps_existing_participants(live_session, facilitator):
    old = live_session.join_code
    early = join(live_session)
    services.session_rotate_code(session=live_session, actor=facilitator)
    live_session.refresh_from_db()
    assert live_session.join_code != old
    with pytest.raises(SessionNotFound):
        services.participant_join(code=old, consent=True)
    assert services.session_by_code(old) == live_session  # still names the session for those inside
    assert join(live_session).session == live_session
    assert early.session == live_session


def test_participants_may_join_in_any_phase_before_closed(live_session, facilitator):
    for phase in live_session.phases[:-1]:
        to_phase(live_session, phase, facilitator)
        join(live_session)
    to_phase(live_session, Phase.CLOSED, facilitator)
    with pytest.raises(SessionClosed):
        join(live_session)


def test_facilitator_moves_forwards_and_back_but_only_to_phases_the_session_uses(consultation, facilitator):
    session = services.session_create(
        consultation=consultation,
        title="Short",
        created_by=facilitator,
        phases=["challenges", "challenge_voting", "results"],
    )
    assert session.phases == ["lobby", "challenges", "challenge_voting", "results", "closed"]
    to_phase(session, Phase.CHALLENGE_VOTING, facilitator)
    to_phase(session, Phase.CHALLENGES, facilitator)
    with pytest.raises(WrongPhase):
        to_phase(session, Phase.PROPOSALS, facilitator)
    session.refresh_from_db()
    assert session.phase == Phase.CHALLENGES


def test_every_visible_change_raises_the_version(live_session, facilitator):
    versions = [Session.objects.get(pk=live_session.pk).version]
    p = join(live_session)
    versions.append(Session.objects.get(pk=live_session.pk).version)
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    versions.append(Session.objects.get(pk=live_session.pk).version)
    services.item_submit(participant=p, kind=ItemKind.CHALLENGE, text="No place to meet")
    versions.append(Session.objects.get(pk=live_session.pk).version)
    assert versions == sorted(set(versions))


def test_submission_only_in_its_phase(live_session, facilitator):
    p = join(live_session)
    with pytest.raises(WrongPhase):
        services.item_submit(participant=p, kind=ItemKind.CHALLENGE, text="Too early")
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    with pytest.raises(WrongPhase):
        services.item_submit(participant=p, kind=ItemKind.PROPOSAL, text="Wrong kind")
    item = services.item_submit(participant=p, kind=ItemKind.CHALLENGE, text="  Youth   unemployment ")
    assert item.text == "Youth unemployment"


@pytest.mark.parametrize("text", ["", "ab", "x" * 501])
def test_too_short_or_long_submission_is_refused(live_session, facilitator, text):
    p = join(live_session)
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    with pytest.raises(InvalidInput):
        services.item_submit(participant=p, kind=ItemKind.CHALLENGE, text=text)
    assert not live_session.items.exists()


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Call me on 06 12 34 56 78", "phone"),
        ("اتصل بي ٠٦١٢٣٤٥٦٧٨", "phone"),
        ("write to amina@example.org", "email"),
        ("the mayor is an idiot", "insult"),
        ("le maire est un connard", "insult"),
        ("المسؤول غبي", "insult"),
        ("هذا الغبي", "insult"),
    ],
)
def test_automatic_screen_holds_flagged_submissions_even_without_premoderation(live_session, facilitator, text, flag):
    p = join(live_session)
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    item = services.item_submit(participant=p, kind=ItemKind.CHALLENGE, text=text)
    assert flag in item.flags
    assert item.status == ItemStatus.PENDING


def test_clean_submission_is_approved_without_premoderation_and_pending_with_it(live_session, facilitator):
    p = join(live_session)
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    assert services.item_submit(participant=p, kind="challenge", text="More sports fields").status == "approved"
    services.session_configure(session=live_session, actor=facilitator, premoderation=True)
    assert services.item_submit(participant=p, kind="challenge", text="Cleaner streets").status == "pending"


def _voting_session(live_session, facilitator, n_items=3, method=VotingMethod.APPROVAL, **settings):
    services.session_configure(session=live_session, actor=facilitator, challenge_voting_method=method, **settings)
    author = join(live_session)
    to_phase(live_session, Phase.CHALLENGES, facilitator)
    items = [services.item_submit(participant=author, kind="challenge", text=f"Challenge {i}") for i in range(n_items)]
    to_phase(live_session, Phase.CHALLENGE_VOTING, facilitator)
    return items


def test_second_ballot_on_same_item_changes_nothing_in_approval(live_session, facilitator):
    items = _voting_session(live_session, facilitator)
    voter = join(live_session)
    changed = services.vote_cast(participant=voter, item_id=items[0].pk).changed
    version = Session.objects.get(pk=live_session.pk).version
    changed_again = services.vote_cast(participant=voter, item_id=items[0].pk).changed
    assert (changed, changed_again) == (True, False)
    assert Ballot.objects.filter(participant=voter).count() == 1
    assert Session.objects.get(pk=live_session.pk).version == version


def test_approval_takes_exactly_one_point(live_session, facilitator):
    items = _voting_session(live_session, facilitator)
    voter = join(live_session)
    with pytest.raises(TooManyPoints):
        services.vote_cast(participant=voter, item_id=items[0].pk, points=2)
    assert not Ballot.objects.exists()


def test_dot_voting_spreads_points_within_limits(live_session, facilitator):
    items = _voting_session(live_session, facilitator, method=VotingMethod.DOT, dot_points=5, dot_max_per_item=3)
    voter = join(live_session)
    services.vote_cast(participant=voter, item_id=items[0].pk, points=3)
    with pytest.raises(TooManyPoints):
        services.vote_cast(participant=voter, item_id=items[1].pk, points=3)  # 6 > 5
    with pytest.raises(TooManyPoints):
        services.vote_cast(participant=voter, item_id=items[1].pk, points=4)  # > 3 on one item
    services.vote_cast(participant=voter, item_id=items[1].pk, points=2)
    services.vote_cast(participant=voter, item_id=items[0].pk, points=1)  # lowering frees points
    services.vote_cast(participant=voter, item_id=items[2].pk, points=2)
    assert sorted(Ballot.objects.filter(participant=voter).values_list("points", flat=True)) == [1, 2, 2]


def test_votes_refused_outside_voting_phase_on_unknown_or_hidden_items(live_session, facilitator):
    items = _voting_session(live_session, facilitator)
    voter = join(live_session)
    with pytest.raises(UnknownItem):
        services.vote_cast(participant=voter, item_id=999999)
    services.item_moderate(item=items[1], action="hide", actor=facilitator)
    with pytest.raises(UnknownItem):
        services.vote_cast(participant=voter, item_id=items[1].pk)
    to_phase(live_session, Phase.PROPOSALS, facilitator)
    with pytest.raises(WrongPhase):
        services.vote_cast(participant=voter, item_id=items[0].pk)
    to_phase(live_session, Phase.CLOSED, facilitator)
    with pytest.raises(SessionClosed):
        services.vote_cast(participant=voter, item_id=items[0].pk)
    assert not Ballot.objects.exists()


def test_item_of_another_session_cannot_be_voted(live_session, consultation, facilitator):
    items = _voting_session(live_session, facilitator)
    other = services.session_create(consultation=consultation, title="Other", created_by=facilitator)
    stranger = join(other)
    to_phase(other, Phase.CHALLENGE_VOTING, facilitator)
    with pytest.raises(UnknownItem):
        services.vote_cast(participant=stranger, item_id=items[0].pk)


def test_withdraw_removes_the_ballot(live_session, facilitator):
    items = _voting_session(live_session, facilitator)
    voter = join(live_session)
    services.vote_cast(participant=voter, item_id=items[0].pk)
    assert services.vote_withdraw(participant=voter, item_id=items[0].pk) is True
    assert services.vote_withdraw(participant=voter, item_id=items[0].pk) is False
    assert not Ballot.objects.exists()


def test_merging_duplicates_moves_ballots_and_counts_a_double_voter_once(live_session, facilitator):
    items = _voting_session(live_session, facilitator)
    both, only_source = join(live_session), join(live_session)
    for voter in (both, only_source):
        services.vote_cast(participant=voter, item_id=items[1].pk)
    services.vote_cast(participant=both, item_id=items[0].pk)
    target = services.items_merge(source=items[1], target=items[0], actor=facilitator)
    items[1].refresh_from_db()
    assert items[1].status == ItemStatus.MERGED and items[1].merged_into == target
    assert Ballot.objects.filter(item=target).count() == 2
    assert sum(Ballot.objects.filter(item=target).values_list("points", flat=True)) == 2


def test_edit_keeps_original_text_and_logs_the_change(live_session, facilitator):
    from cities.models import AuditEntry

    items = _voting_session(live_session, facilitator, n_items=1)
    services.item_edit(item=items[0], text="Challenge zero, corrected", actor=facilitator)
    items[0].refresh_from_db()
    assert items[0].text == "Challenge zero, corrected" and items[0].original_text == "Challenge 0"
    entry = AuditEntry.objects.get(action="item.edit")
    assert entry.actor == facilitator and entry.data["before"] == "Challenge 0"


def test_phase_changes_and_moderation_are_audited(live_session, facilitator):
    from cities.models import AuditEntry

    to_phase(live_session, Phase.CHALLENGES, facilitator)
    assert AuditEntry.objects.filter(action="session.phase", actor=facilitator, data__to="challenges").exists()


def test_voting_settings_freeze_once_votes_exist(live_session, facilitator):
    items = _voting_session(live_session, facilitator)
    services.vote_cast(participant=join(live_session), item_id=items[0].pk)
    with pytest.raises(InvalidInput):
        services.session_configure(session=live_session, actor=facilitator, challenge_voting_method="dot")


def test_merging_an_approved_duplicate_into_a_pending_item_approves_the_target(live_session, facilitator):
    items = _voting_session(live_session, facilitator, n_items=2)
    services.item_moderate(item=items[0], action="hide", actor=facilitator)
    target = services.items_merge(source=items[1], target=items[0], actor=facilitator)
    assert target.status == ItemStatus.APPROVED


def test_proposal_answering_an_unknown_challenge_is_refused(live_session, facilitator):
    p = join(live_session)
    to_phase(live_session, Phase.PROPOSALS, facilitator)
    for answers in ([999999], ["x"]):
        with pytest.raises(UnknownItem):
            services.item_submit(participant=p, kind="proposal", text="A proposal", answers=answers)
    assert not live_session.items.exists()
