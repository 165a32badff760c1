"""services.participant_join_many (the ballot box's set-based join) decides exactly as participant_join one after
the other, and participant_join decides as it did before joins went through the group commit."""

import threading
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cities.models import District
from consultations import services
from consultations.errors import ConsentRequired, InvalidInput, JoinRefused, RoomFull, SessionClosed
from consultations.live.writer import ballot_box
from consultations.models import AgeBand, Gender, Organisation, Participant, Session

from ..factories import DistrictFactory
from .conftest import to_phase

FIELDS = ("session_id", "age_band", "gender", "district_id", "organisation", "language")


def _join_before_group_commit(
    *, code, consent, age_band=None, gender=None, district=None, organisation=None, language=""
):
    """participant_join as it was before it delegated to participant_join_many (commit c991e95): the reference
    for "as if the requests had run one after the other", so a rule dropped from the shared code is noticed."""
    with transaction.atomic():
        session = services.session_by_code(code, current_only=True)
        if consent is not True:
            raise ConsentRequired
        consultation = session.consultation
        profile = {
            "age_band": services._choice(age_band, AgeBand, _("age band")) if consultation.ask_age_band else "",
            "gender": services._choice(gender, Gender, _("gender")) if consultation.ask_gender else "",
            "organisation": services._choice(organisation, Organisation, _("organisation"))
            if consultation.ask_organisation
            else "",
        }
        district_obj = None
        if consultation.ask_district and district not in (None, "", "unsaid"):
            try:
                district_obj = District.objects.get(pk=int(district), city_id=consultation.city_id)
            except (District.DoesNotExist, TypeError, ValueError):
                raise InvalidInput(_("This district is not one of the city's districts.")) from None
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.is_closed:
            raise SessionClosed
        if session.locked:
            raise JoinRefused(_("The facilitator has locked this session: nobody new may join."))
        if session.capacity is not None and Participant.objects.filter(session=session).count() >= session.capacity:
            raise RoomFull
        participant = Participant.objects.create(
            session=session,
            consented_at=timezone.now(),
            district=district_obj,
            language=(language or "")[:8],
            **profile,
        )
        services._bump(session)
        return participant


@pytest.fixture
def world(city_a, city_b, facilitator):
    """Sessions of a consultation that asks age band, gender and district and of one that asks only the
    organisation: open (its code rotated once), small (capacity 3), closed and locked; codes and districts to try."""
    asks_place = services.consultation_create(
        city=city_a, title="Asks place", created_by=facilitator, participants_may_be_minors=False
    )
    asks_org = services.consultation_create(
        city=city_a,
        title="Asks organisation",
        created_by=facilitator,
        ask_age_band=False,
        ask_gender=False,
        ask_district=False,
        ask_organisation=True,
    )
    open_ = services.session_create(consultation=asks_place, title="Open", created_by=facilitator)
    retired = open_.join_code
    open_ = services.session_rotate_code(session=open_, actor=facilitator)
    small = services.session_create(consultation=asks_org, title="Small", created_by=facilitator, capacity=3)
    closed = services.session_create(consultation=asks_place, title="Closed", created_by=facilitator)
    to_phase(closed, "closed")
    locked = services.session_create(consultation=asks_org, title="Locked", created_by=facilitator)
    services.session_set_lock(session=locked, locked=True, actor=facilitator)
    fes = list(District.objects.filter(city=city_a).order_by("pk").values_list("pk", flat=True))
    code = open_.join_code
    return {
        "sessions": [open_, small, closed, locked],
        "small": small,
        "codes": {
            "open": code,
            "open typed": f" {code[:3].lower()}-{code[3:].lower()}",
            "retired": retired,
            "unknown": "ZZZZZZ",  # Z is not in the alphabet: never a session's code
            "small": small.join_code,
            "closed": closed.join_code,
            "locked": locked.join_code,
        },
        "districts": {
            "fes": fes[0],
            "fes as text": str(fes[1]),
            "other city": DistrictFactory(city=city_b).pk,
            "missing": 10**9,
            "not a number": "x",
            "none": None,
            "blank": "",
            "unsaid": "unsaid",
        },
    }


def _outcome(value):
    if isinstance(value, Exception):
        return (type(value).__name__, value.code, str(value.message))
    return ("admitted", *(getattr(value, f) for f in FIELDS))


def _run(requests, admit_all):
    """Outcomes, the participants they stored and the sessions' versions; rolled back."""
    before = set(Participant.objects.values_list("pk", flat=True))
    with transaction.atomic():
        results = admit_all(requests)
        stored = {row[0]: row[1:] for row in Participant.objects.exclude(pk__in=before).values_list("pk", *FIELDS)}
        versions = dict(Session.objects.values_list("pk", "version"))
        consented = not Participant.objects.exclude(pk__in=before).filter(consented_at__isnull=True).exists()
        transaction.set_rollback(True)
    admitted = [r for r in results if not isinstance(r, Exception)]
    # What each admitted participant shows is what was stored, and nothing else was stored.
    assert {p.pk: tuple(getattr(p, f) for f in FIELDS) for p in admitted} == stored
    assert consented
    return [_outcome(r) for r in results], versions


def _one_by_one(join_one):
    def admit_all(requests):
        results = []
        for kwargs in requests:
            try:
                with transaction.atomic():
                    results.append(join_one(**kwargs))
            except services.SessionError as exc:
                results.append(exc)
        return results

    return admit_all


def _many(requests):
    with transaction.atomic():
        return services.participant_join_many(requests)


# Weighted towards the open and small sessions, where the profile and the headcount decide.
request = st.fixed_dictionaries(
    {
        "code": st.sampled_from(
            ["open", "open", "open typed", "retired", "unknown", "small", "small", "small", "closed", "locked"]
        ),
        "consent": st.sampled_from([True] * 8 + [False, None, "true", 1]),
    },
    optional={
        "age_band": st.sampled_from([None, "", AgeBand.AGE_18_24, "unsaid", "ancient"]),
        "gender": st.sampled_from([None, "", Gender.FEMALE, "unsaid", "robot"]),
        "organisation": st.sampled_from([None, "", Organisation.SCHOOL, "unsaid", "club"]),
        "district": st.sampled_from(
            ["none", "blank", "unsaid", "fes", "fes as text", "other city", "missing", "not a number"]
        ),
        "language": st.sampled_from(["", "ar", "fr-MA", "en-GB-oxendict"]),
    },
)


@pytest.mark.django_db
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(seats_taken=1, sequence=[{"code": "small", "consent": True}] * 4 + [{"code": "open", "consent": True}])
@example(
    seats_taken=0,
    sequence=[
        {"code": "small", "consent": True, "organisation": "club"},
        {"code": "locked", "consent": True},
        {"code": "retired", "consent": True},
        {"code": "small", "consent": False},
        {"code": "small", "consent": True},
    ],
)
@example(
    seats_taken=0,
    sequence=[
        {
            "code": "open",
            "consent": True,
            "age_band": "18_24",
            "gender": "female",
            "district": "fes as text",
            "language": "en-GB-oxendict",
        },
        {"code": "open typed", "consent": True, "district": "other city"},
        {"code": "open", "consent": True, "district": "fes", "gender": "unsaid", "organisation": "club"},
        {"code": "small", "consent": True, "organisation": "school", "age_band": "ancient", "district": "not a number"},
        {"code": "closed", "consent": True},
        {"code": "unknown", "consent": True},
        {"code": "open", "consent": "true"},
    ],
)
@given(seats_taken=st.integers(0, 4), sequence=st.lists(request, min_size=1, max_size=12))
def test_participant_join_many_decides_like_participant_join_one_after_the_other(world, seats_taken, sequence):
    requests = [
        {
            **r,
            "code": world["codes"][r["code"]],
            **({"district": world["districts"][r["district"]]} if "district" in r else {}),
        }
        for r in sequence
    ]
    with transaction.atomic():
        for _ in range(seats_taken):  # participants already in the small session (one more than it admits, at most)
            Participant.objects.create(session=world["small"], consented_at=timezone.now())
        before = dict(Session.objects.values_list("pk", "version"))

        many, many_versions = _run(requests, _many)
        single, single_versions = _run(requests, _one_by_one(services.participant_join))
        reference, reference_versions = _run(requests, _one_by_one(_join_before_group_commit))
        transaction.set_rollback(True)

    assert single == reference
    assert many == single
    admissions = Counter(outcome[1] for outcome in many if outcome[0] == "admitted")
    for session in world["sessions"]:
        # The group raises a session's version once if it admitted anyone there; one by one, once per admission.
        assert many_versions[session.pk] - before[session.pk] == min(1, admissions[session.pk])
        assert single_versions[session.pk] - before[session.pk] == admissions[session.pk]
        assert reference_versions[session.pk] == single_versions[session.pk]


@pytest.mark.django_db
def test_a_district_given_as_a_number_is_judged_apart_from_the_same_text(live_session, city_a):
    fes = District.objects.filter(city=city_a).first()
    requests = [
        {"code": live_session.join_code, "consent": True, "district": d} for d in (f"{fes.pk}.0", float(fes.pk))
    ]
    with transaction.atomic():
        many = [_outcome(r) for r in services.participant_join_many(requests)]
        transaction.set_rollback(True)
    assert many == [_outcome(r) for r in _one_by_one(services.participant_join)(requests)]


@pytest.mark.django_db
def test_a_group_of_five_fills_a_room_of_three_in_arrival_order(consultation, facilitator):
    session = services.session_create(consultation=consultation, title="Small", created_by=facilitator, capacity=3)
    version = Session.objects.get(pk=session.pk).version
    with transaction.atomic():
        results = services.participant_join_many(
            [{"code": session.join_code, "consent": True, "language": f"l{i}"} for i in range(5)]
        )
    assert [p.language for p in results[:3]] == ["l0", "l1", "l2"]
    assert [type(r) for r in results[3:]] == [RoomFull, RoomFull]
    assert sorted(Participant.objects.filter(session=session).values_list("language", flat=True)) == ["l0", "l1", "l2"]
    assert Session.objects.get(pk=session.pk).version == version + 1


@pytest.mark.django_db(transaction=True)
def test_the_ballot_box_commits_joins_queued_together_in_one_group(consultation, facilitator, settings):
    settings.MAJLIS_BALLOT_GROUP_COMMIT = True
    session = services.session_create(consultation=consultation, title="Box", created_by=facilitator, capacity=3)
    version = Session.objects.get(pk=session.pk).version
    started, release = threading.Event(), threading.Event()

    def hold_the_writer():
        started.set()
        assert release.wait(10)

    # While the writer runs this call, the five joins wait in its queue: its next group takes them all.
    held = ballot_box.submit(hold_the_writer)
    assert started.wait(10)
    batches = ballot_box.batches  # the holding call's group is not committed yet
    joins = [ballot_box.submit(services.participant_join, code=session.join_code, consent=True) for _ in range(5)]
    release.set()
    held.result(timeout=10)
    admitted = [future.result(timeout=10) for future in joins[:3]]
    for future in joins[3:]:
        assert isinstance(future.exception(timeout=10), RoomFull)

    assert ballot_box.batches - batches == 2  # the holding call's commit, then the five joins' one
    assert sorted(Participant.objects.filter(session=session).values_list("pk", flat=True)) == sorted(
        p.pk for p in admitted
    )
    # One participant_join_many for the run: the session's version rose once, not once per participant.
    assert Session.objects.get(pk=session.pk).version == version + 1


@pytest.fixture
def policies(consultation, facilitator):
    """An open session for two, a session joined by cards (three cards) and one joined by the room code."""
    from consultations import joins

    open_ = services.session_create(consultation=consultation, title="Open", created_by=facilitator, capacity=2)
    cards = services.session_create(
        consultation=consultation, title="Cards", created_by=facilitator, join_policy="cards"
    )
    codes = [card.code for card in joins.cards_create(session=cards, count=3, actor=facilitator)]
    rotating = services.session_create(
        consultation=consultation, title="Rotating", created_by=facilitator, join_policy="rotating"
    )
    return {
        "codes": {"open": open_.join_code, "cards": cards.join_code, "rotating": rotating.join_code},
        "cards": [*codes, codes[0].lower(), "NOTACARD00"],
        "room": {"now": joins.room_code(rotating.pk), "wrong": "AAAAA"},
    }


def _identities(results):
    """Each result as (error code) or ("admitted"/"resumed", the position of the first result with its participant)."""
    first: dict[int, int] = {}
    out = []
    for index, result in enumerate(results):
        if isinstance(result, Exception):
            out.append((type(result).__name__, result.code))
            continue
        first.setdefault(result.pk, index)
        out.append(("resumed" if result.resumed else "admitted", first[result.pk]))
    return out


policy_request = st.fixed_dictionaries(
    {"code": st.sampled_from(["open", "open", "cards", "cards", "rotating"])},
    optional={
        "device": st.sampled_from([None, "", "a", "b", "c"]),
        "card": st.integers(0, 4),
        "room_code": st.sampled_from(["now", "wrong"]),
    },
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(sequence=[{"code": "cards", "card": 0, "device": "a"}, {"code": "cards", "card": 1, "device": "a"}])
@example(
    sequence=[
        {"code": "open", "device": "a"},
        {"code": "cards", "card": 0, "device": "a"},
        {"code": "cards", "card": 2, "device": "a"},
        {"code": "open", "device": "a"},
    ]
)
@given(sequence=st.lists(policy_request, min_size=1, max_size=10))
def test_devices_cards_and_room_codes_decide_in_a_group_as_one_after_the_other(policies, sequence):
    requests = [
        {
            "consent": True,
            "code": policies["codes"][r["code"]],
            "device": r.get("device"),
            "card": policies["cards"][r["card"]] if "card" in r else None,
            "room_code": policies["room"][r["room_code"]] if "room_code" in r else None,
        }
        for r in sequence
    ]
    with transaction.atomic():
        many = _identities(services.participant_join_many(requests))
        transaction.set_rollback(True)
    with transaction.atomic():
        single = _identities(_one_by_one(services.participant_join)(requests))
        transaction.set_rollback(True)
    assert many == single
