"""Council records: memberships, history, seats, minors, candidates, meetings, erasure."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from cities.models import AuditEntry
from councils import selectors, services
from councils.errors import CouncilError
from councils.models import Attendance, Candidate, CandidateStatus, Membership, MembershipChange, Person
from tests.factories import ItemFactory, ParticipantFactory

from .factories import add_member, make_council

pytestmark = pytest.mark.django_db


def test_adding_a_member_records_who_when_and_what_in_the_history(term, secretariat):
    membership = add_member(term, secretariat, role="secretary", reason="Appointed by the mayor")
    change = membership.changes.get()
    assert change.actor == secretariat and change.action == "create"
    assert change.reason == "Appointed by the mayor"
    assert change.changes["role"] == [None, "secretary"]
    assert AuditEntry.objects.filter(action="membership.create", target_id=str(membership.pk)).exists()


def test_member_errors_are_validation_errors_with_messages(term):
    with pytest.raises(ValidationError) as info:
        add_member(term, full_name="  ")
    assert "full name" in str(info.value.messages[0]).lower()


def test_editing_a_member_keeps_old_and_new_values_and_the_reason(members, secretariat):
    membership = members[0]
    services.membership_update(membership=membership, actor=secretariat, reason="Moved", phone="+212 611 111 111")
    change = membership.changes.order_by("-id").first()
    assert change.changes["phone"][1] == "+212 611 111 111"
    assert change.reason == "Moved" and change.actor == secretariat


def test_an_edit_that_changes_nothing_writes_no_history(members, secretariat):
    before = MembershipChange.objects.count()
    services.membership_update(membership=members[0], actor=secretariat, reason="noop", role=members[0].role)
    assert MembershipChange.objects.count() == before


def test_ending_a_membership_needs_a_reason_and_frees_the_seat(council, members, secretariat):
    term = members[0].term
    with pytest.raises(CouncilError):
        services.membership_end(membership=members[0], actor=secretariat, reason=" ")
    assert selectors.composition(council, term).vacancies == 6
    services.membership_end(membership=members[0], actor=secretariat, reason="Moved abroad", status="resigned")
    members[0].refresh_from_db()
    assert members[0].status == "resigned" and members[0].end_reason == "Moved abroad"
    assert selectors.composition(council, term).vacancies == 7
    assert members[0].changes.filter(action="end").exists()


def test_an_ended_membership_can_no_longer_be_edited(members, secretariat):
    services.membership_end(membership=members[0], actor=secretariat, reason="Term over")
    with pytest.raises(CouncilError):
        services.membership_update(membership=members[0], actor=secretariat, reason="x", role="secretary")


def test_no_more_members_than_seats(city_a, secretariat):
    council = make_council(city_a, secretariat, seat_count=2)
    term = council.terms.get()
    add_member(term)
    add_member(term)
    with pytest.raises(CouncilError, match="seats are filled"):
        add_member(term)
    assert Membership.objects.filter(term=term).count() == 2
    assert Person.objects.count() == 2  # nothing half-written


def test_one_active_president_per_term(term):
    add_member(term, role="president")
    with pytest.raises(CouncilError, match="president"):
        add_member(term, role="president")


def test_a_person_may_serve_several_terms_but_one_seat_per_term(council, term, secretariat):
    first = add_member(term)
    next_term = services.term_create(
        council=council,
        name="2030-2033",
        starts_on=datetime.date(2030, 1, 1),
        ends_on=datetime.date(2033, 12, 31),
        actor=secretariat,
    )
    second = services.membership_add(
        term=next_term,
        actor=secretariat,
        person=first.person,
        selection_method="elected",
        starts_on=next_term.starts_on,
    )
    assert second.person == first.person
    with pytest.raises(CouncilError):
        services.membership_add(term=term, actor=secretariat, person=first.person, selection_method="elected")


def test_a_minor_needs_guardian_consent(term):
    born = datetime.date(term.starts_on.year - 16, 6, 1)
    with pytest.raises(CouncilError, match="guardian"):
        add_member(term, date_of_birth=born)
    membership = add_member(term, date_of_birth=born, guardian_consent=True)
    assert membership.guardian_consent_at is not None


def test_a_minor_by_age_band_needs_guardian_consent(term):
    with pytest.raises(CouncilError):
        add_member(term, date_of_birth=None, age_band="15_17")


def test_a_district_of_another_city_is_refused(term, city_b):
    from tests.factories import DistrictFactory

    with pytest.raises(CouncilError, match="district"):
        add_member(term, district=DistrictFactory(city=city_b))


def test_roster_filters_and_search(term, members):
    target = members[1]
    assert [m.pk for m in selectors.roster(term, q=target.person.full_name)] == [target.pk]
    assert all(m.person.gender == "female" for m in selectors.roster(term, gender="female"))
    assert selectors.roster(term, role="president").count() == 0


def test_composition_flags_a_gender_imbalance(council, term):
    for _ in range(4):
        add_member(term, gender="male")
    comp = selectors.composition(council, term)
    assert any("Women" in flag for flag in comp.flags)
    assert comp.seated == 4 and comp.vacancies == 6


def test_composition_flags_a_district_below_its_share_and_members_outside_the_age_range(council, term, secretariat):
    first, last = council.city.districts.first(), council.city.districts.last()
    services.district_targets_set(council=council, targets={last.pk: 5}, actor=secretariat)
    add_member(term, gender="female", date_of_birth=datetime.date(1980, 1, 1), district=first)
    for gender in ("male", "female", "male"):
        add_member(term, gender=gender, district=first)
    comp = selectors.composition(council, term)  # 4 of 10 seats filled: the district should hold 2
    assert any(str(last) in flag for flag in comp.flags)
    assert comp.outside_age_range == 1


def test_a_district_is_not_flagged_while_its_share_of_filled_seats_is_met(council, term, secretariat):
    last = council.city.districts.last()
    services.district_targets_set(council=council, targets={last.pk: 5}, actor=secretariat)
    add_member(term, gender="female", district=last)
    add_member(term, gender="male", district=council.city.districts.first())
    assert selectors.composition(council, term).flags == []


def test_balanced_composition_has_no_flags(council, term):
    add_member(term, gender="female")
    add_member(term, gender="male")
    assert selectors.composition(council, term).flags == []


def test_ending_soon_lists_seats_that_end_within_ninety_days(council, term):
    from django.utils import timezone

    soon = add_member(term, ends_on=timezone.localdate() + datetime.timedelta(days=30))
    add_member(term, ends_on=timezone.localdate() + datetime.timedelta(days=300))
    assert [m.pk for m in selectors.ending_soon(council)["memberships"]] == [soon.pk]


# --- Candidates ------------------------------------------------------------------------------------------------


def test_opt_in_requires_consent_and_a_phone(council, session_a):
    participant = ParticipantFactory(session=session_a)
    with pytest.raises(CouncilError):
        services.candidate_opt_in(participant=participant, name="Amina", phone="0612345678", consent=False, age=20)
    with pytest.raises(CouncilError):
        services.candidate_opt_in(participant=participant, name="Amina", phone="", consent=True, age=20)
    assert not Candidate.objects.exists()


def test_a_minor_opting_in_needs_guardian_consent(council, session_a):
    participant = ParticipantFactory(session=session_a)
    with pytest.raises(CouncilError, match="guardian"):
        services.candidate_opt_in(participant=participant, name="Ali", phone="0612345678", consent=True, age=16)
    candidate = services.candidate_opt_in(
        participant=participant, name="Ali", phone="0612345678", consent=True, age=16, guardian_consent=True
    )
    assert candidate.guardian_consent_at is not None


def test_opting_in_twice_updates_the_same_candidate(council, session_a):
    participant = ParticipantFactory(session=session_a)
    services.candidate_opt_in(participant=participant, name="Amina", phone="0612345678", consent=True, age=20)
    services.candidate_opt_in(participant=participant, name="Amina B.", phone="0612345678", consent=True, age=20)
    assert Candidate.objects.get().name == "Amina B."


def test_opting_in_where_the_city_has_no_council_is_refused(session_a):
    participant = ParticipantFactory(session=session_a)
    with pytest.raises(CouncilError):
        services.candidate_opt_in(participant=participant, name="A", phone="0612345678", consent=True, age=20)


def test_candidates_show_participation_and_eligibility(council, session_a):
    participant = ParticipantFactory(session=session_a)
    item = ItemFactory(session=session_a, author=participant)
    from consultations.models import Ballot

    Ballot.objects.create(session=session_a, participant=participant, item=item)
    services.candidate_opt_in(participant=participant, name="Amina", phone="0612345678", consent=True, age=40)
    [row] = selectors.candidates_with_participation(council)
    assert row["participation"] == {"sessions": 1, "items": 1, "ballots": 1}
    assert any("outside" in str(p) for p in row["problems"])  # 40 is above the 35 limit
    assert any("district" in str(p).lower() for p in row["problems"])


def test_participation_adds_up_over_opt_ins_with_the_same_phone(council, city_a):
    from tests.factories import SessionFactory

    for _ in range(2):
        participant = ParticipantFactory(session=SessionFactory(consultation__city=city_a))
        ItemFactory(session=participant.session, author=participant)
        services.candidate_opt_in(participant=participant, name="Amina", phone="+212 612 345 678", consent=True, age=20)
    rows = selectors.candidates_with_participation(council)
    assert {r["participation"]["sessions"] for r in rows} == {2}


def test_accepting_a_candidate_keeps_where_the_member_came_from(council, term, session_a, secretariat):
    participant = ParticipantFactory(session=session_a, gender="female", district=council.city.districts.first())
    candidate = services.candidate_opt_in(
        participant=participant,
        name="Amina",
        phone="0612345678",
        consent=True,
        age=17,
        guardian_consent=True,
        district=participant.district,
    )
    membership = services.candidate_accept(candidate=candidate, term=term, actor=secretariat)
    assert membership.source_session == session_a
    assert membership.source_consultation == session_a.consultation
    assert membership.guardian_consent_at is not None
    assert membership.person.gender == "female" and membership.person.age_band == "15_17"
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.ACCEPTED and candidate.membership == membership
    with pytest.raises(CouncilError):
        services.candidate_accept(candidate=candidate, term=term, actor=secretariat)


# --- Meetings -----------------------------------------------------------------------------------------------


@pytest.fixture
def meeting(council, secretariat):
    from django.utils import timezone

    return services.meeting_schedule(
        council=council, title="Plenary", scheduled_at=timezone.now() - datetime.timedelta(hours=1), actor=secretariat
    )


def test_attendance_is_recorded_once_and_feeds_the_rate(meeting, members, secretariat):
    services.attendance_record(meeting=meeting, membership=members[0], actor=secretariat)
    services.attendance_record(meeting=meeting, membership=members[0], actor=secretariat)
    assert Attendance.objects.count() == 1
    rates = selectors.attendance_rates(members)
    assert rates[members[0].pk].percent == 100 and rates[members[1].pk].percent == 0


def test_qr_check_in_needs_an_open_check_in_and_a_valid_member_code(meeting, members, secretariat):
    with pytest.raises(CouncilError):
        services.meeting_checkin(meeting=meeting, member_code=members[0].member_code)
    services.meeting_update(meeting=meeting, actor=secretariat, checkin_open=True)
    with pytest.raises(CouncilError):
        services.meeting_checkin(meeting=meeting, member_code="WRONGCOD")
    attendance = services.meeting_checkin(meeting=meeting, member_code=members[0].member_code.lower())
    assert attendance.method == "qr"


def test_an_ended_member_cannot_be_marked_present(meeting, members, secretariat):
    services.membership_end(membership=members[0], actor=secretariat, reason="left")
    with pytest.raises(CouncilError):
        services.attendance_record(meeting=meeting, membership=members[0], actor=secretariat)


def test_a_member_of_another_council_cannot_check_in(meeting, council_b, secretariat, charlie):
    other = add_member(council_b.terms.get(), charlie, district=None)
    services.meeting_update(meeting=meeting, actor=secretariat, checkin_open=True)
    with pytest.raises(CouncilError):
        services.meeting_checkin(meeting=meeting, member_code=other.member_code)


# --- Personal data ---------------------------------------------------------------------------------------------


def test_export_of_a_persons_data_holds_their_seats_and_history(members):
    data = selectors.person_export(members[0].person)
    assert data["person"]["full_name"] == members[0].person.full_name
    assert data["memberships"][0]["history"][0]["action"] == "create"


def test_erasure_removes_personal_data_keeps_composition_and_is_audited(council, members, secretariat):
    membership = members[0]
    services.membership_update(membership=membership, actor=secretariat, reason="typo", full_name="Secret Name")
    person = services.person_erase(person=membership.person, actor=secretariat, reason="Request of 2026-11-01")
    assert person.full_name == "" and person.phone == "" and person.date_of_birth is None
    assert person.gender in ("female", "male") and person.district is not None and person.age_band
    assert "Secret Name" not in str(list(MembershipChange.objects.values_list("changes", flat=True)))
    assert AuditEntry.objects.filter(action="person.erase", target_id=str(person.pk)).exists()
    assert membership.changes.filter(action="erase", actor=secretariat).exists()
    assert selectors.composition(council, membership.term).seated == 4
    with pytest.raises(CouncilError):
        services.person_erase(person=person, actor=secretariat, reason="again")
