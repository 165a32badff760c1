"""Secretariat pages and the public ballot, check-in and opt-in pages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cities.models import AuditEntry
from councils import services
from councils.models import BallotCode, Candidate, Council, ElectionVoter, Membership
from tests.factories import ParticipantFactory

from .conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(council, secretariat):
    return services.meeting_schedule(
        council=council, title="Plenary", scheduled_at=timezone.now() - datetime.timedelta(hours=1), actor=secretariat
    )


@pytest.fixture
def election(council, term, members, secretariat):
    return services.election_create(
        council=council, term=term, title="President", role="president", candidates=members[:2], actor=secretariat
    )


def staff_urls(council, members, meeting, election):
    slug = council.city.slug
    pk = members[0].pk
    return [
        reverse("frontend:council_home", args=[slug]),
        reverse("frontend:council_settings", args=[slug]),
        reverse("frontend:council_composition", args=[slug]),
        reverse("frontend:council_member_add", args=[slug]),
        reverse("frontend:council_member", args=[slug, pk]),
        reverse("frontend:council_member_edit", args=[slug, pk]),
        reverse("frontend:council_member_end", args=[slug, pk]),
        reverse("frontend:council_member_export", args=[slug, pk]),
        reverse("frontend:council_member_erase", args=[slug, pk]),
        reverse("frontend:council_candidates", args=[slug]),
        reverse("frontend:council_import", args=[slug]),
        reverse("frontend:council_export", args=[slug, "csv"]),
        reverse("frontend:council_export", args=[slug, "xlsx"]),
        reverse("frontend:council_meetings", args=[slug]),
        reverse("frontend:council_meeting", args=[slug, meeting.pk]),
        reverse("frontend:council_elections", args=[slug]),
        reverse("frontend:council_election", args=[slug, election.pk]),
    ]


def test_every_secretariat_page_opens_for_the_secretariat_and_the_admin(
    council, members, meeting, election, secretariat, city_admin
):
    for user in (secretariat, city_admin):
        client = signed_in(user)
        for url in staff_urls(council, members, meeting, election):
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["charlie", "facilitator", "analyst"])
def test_every_secretariat_page_is_missing_for_other_staff(council, members, meeting, election, persona, request):
    client = signed_in(request.getfixturevalue(persona))
    for url in staff_urls(council, members, meeting, election):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "form": "settings"}).status_code == 404, url


def test_charlie_cannot_reach_a_fes_member_through_his_own_city(council, members, council_b, charlie_client):
    url = reverse("frontend:council_member", args=["saida", members[0].pk])
    assert charlie_client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(council):
    response = signed_in.__globals__["Client"]().get(reverse("frontend:council_home", args=["fes"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_roster_lists_members_and_flags_composition(council, members, secretariat_client):
    response = secretariat_client.get(reverse("frontend:council_home", args=["fes"]))
    body = response.content.decode()
    for m in members:
        assert m.person.full_name in body
    assert "6 vacant" in body


def test_roster_search_narrows_the_list(council, members, secretariat_client):
    response = secretariat_client.get(
        reverse("frontend:council_home", args=["fes"]), {"q": members[2].person.full_name}
    )
    body = response.content.decode()
    assert members[2].person.full_name in body and members[1].person.full_name not in body


def test_setting_up_a_council_from_the_landing_page(city_a, secretariat_client):
    url = reverse("frontend:council_home", args=["fes"])
    assert "Create the council" in secretariat_client.get(url).content.decode()
    response = secretariat_client.post(
        url,
        {
            "name": "Communal Youth Council",
            "seat_count": 91,
            "min_age": 15,
            "max_age": 35,
            "gender_min_share": 40,
            "term_name": "2026-2029",
            "term_starts_on": "2026-01-01",
            "term_ends_on": "2029-12-31",
        },
    )
    assert response.status_code == 302
    council = Council.objects.get(city=city_a)
    assert council.seat_count == 91 and council.terms.count() == 1


def test_adding_a_member_through_the_form(council, term, secretariat_client):
    district = council.city.districts.first()
    response = secretariat_client.post(
        reverse("frontend:council_member_add", args=["fes"]) + f"?term={term.pk}",
        {
            "full_name": "Salma Bennani",
            "gender": "female",
            "date_of_birth": "2001-03-04",
            "district": district.pk,
            "role": "member",
            "selection_method": "appointed",
            "starts_on": "2026-02-01",
            "reason": "Appointed by the council",
        },
    )
    membership = Membership.objects.get(person__full_name="Salma Bennani")
    assert response.status_code == 302 and response["Location"].endswith(f"/members/{membership.pk}/")
    assert membership.changes.get().reason == "Appointed by the council"


def test_a_minor_without_guardian_consent_is_refused_on_the_form(council, term, secretariat_client):
    response = secretariat_client.post(
        reverse("frontend:council_member_add", args=["fes"]),
        {
            "full_name": "Young One",
            "gender": "male",
            "date_of_birth": "2010-01-01",
            "role": "member",
            "selection_method": "elected",
            "starts_on": "2026-02-01",
        },
    )
    assert response.status_code == 200
    assert "guardian" in response.content.decode()
    assert not Membership.objects.exists()


def test_editing_needs_a_reason_and_shows_in_the_history(council, members, secretariat_client):
    m = members[0]
    url = reverse("frontend:council_member_edit", args=["fes", m.pk])
    data = {
        "full_name": m.person.full_name,
        "gender": m.person.gender,
        "date_of_birth": "2000-01-01",
        "role": "rapporteur",
        "selection_method": "elected",
        "starts_on": m.starts_on.isoformat(),
        "status": "active",
        "phone": m.person.phone,
    }
    assert secretariat_client.post(url, data).status_code == 200  # no reason
    assert secretariat_client.post(url, {**data, "reason": "Chosen by the bureau"}).status_code == 302
    page = secretariat_client.get(reverse("frontend:council_member", args=["fes", m.pk])).content.decode()
    assert "Chosen by the bureau" in page and "Member → Rapporteur" in page


def test_ending_a_membership_through_the_form(members, secretariat_client):
    url = reverse("frontend:council_member_end", args=["fes", members[0].pk])
    response = secretariat_client.post(url, {"status": "resigned", "ends_on": "2026-06-01", "reason": "Studies"})
    assert response.status_code == 302
    members[0].refresh_from_db()
    assert members[0].status == "resigned"


def test_member_data_export_is_json_and_audited(members, secretariat_client):
    response = secretariat_client.get(reverse("frontend:council_member_export", args=["fes", members[0].pk]))
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["person"]["full_name"] == members[0].person.full_name
    assert AuditEntry.objects.filter(action="person.export").exists()


def test_erasure_through_the_form(members, secretariat_client):
    url = reverse("frontend:council_member_erase", args=["fes", members[0].pk])
    assert secretariat_client.post(url, {"reason": "Request by phone"}).status_code == 200  # not confirmed
    assert secretariat_client.post(url, {"reason": "Request by phone", "confirm": "on"}).status_code == 302
    members[0].person.refresh_from_db()
    assert members[0].person.erased_at is not None and members[0].person.full_name == ""


def test_meeting_register_and_qr_check_in(council, members, meeting, secretariat_client):
    url = reverse("frontend:council_meeting", args=["fes", meeting.pk])
    secretariat_client.post(url, {"form": "attendance", "present": [members[0].pk, members[1].pk]})
    assert meeting.attendances.count() == 2
    secretariat_client.post(url, {"form": "checkin"})
    page = secretariat_client.get(url).content.decode()
    assert "<svg" in page and "<path" in page  # inline QR code
    checkin_url = reverse("frontend:council_checkin", args=[page.split("/m/")[1].split("/")[0]])
    anonymous = signed_in.__globals__["Client"]()
    response = anonymous.post(checkin_url, {"code": members[2].member_code})
    assert "checked in" in response.content.decode()
    assert meeting.attendances.count() == 3


def test_a_forged_check_in_link_is_missing(client):
    assert client.get("/m/forged-token/").status_code == 404


def test_voting_page_records_one_secret_ballot(election, members, secretariat, client):
    services.election_open(election=election, actor=secretariat)
    code = BallotCode.objects.get(election=election, membership=members[3]).code
    url = reverse("frontend:council_vote", args=[code])
    page = client.get(url).content.decode()
    assert members[0].person.full_name in page
    assert client.post(url, {"choice": str(members[0].pk)}).status_code == 200
    assert ElectionVoter.objects.filter(membership=members[3]).exists()
    assert client.get(url).status_code == 409
    assert client.get(reverse("frontend:council_vote", args=["NOPE1234"])).status_code == 404


def test_ballot_slips_show_a_code_and_qr_per_member(election, members, secretariat, secretariat_client):
    services.election_open(election=election, actor=secretariat)
    page = secretariat_client.get(
        reverse("frontend:council_election_codes", args=["fes", election.pk])
    ).content.decode()
    for code in BallotCode.objects.filter(election=election):
        assert code.code in page
    assert page.count("<svg") == 4


def test_election_open_and_close_from_the_page(election, members, secretariat_client):
    url = reverse("frontend:council_election", args=["fes", election.pk])
    secretariat_client.post(url, {"action": "open"})
    for code in BallotCode.objects.filter(election=election):
        services.ballot_cast(code=code.code, choice=members[0])
    secretariat_client.post(url, {"action": "close"})
    members[0].refresh_from_db()
    assert members[0].role == "president"
    assert "Winner" in secretariat_client.get(url).content.decode()


# --- Opt-in from a session ------------------------------------------------------------------------------------


def _browser_with_participant(client, participant):
    session = client.session
    session["majlis_participants"] = {str(participant.session_id): participant.pk}
    session.save()
    return client


def test_opt_in_without_joining_links_to_the_join_page(council, session_a, client):
    response = client.get(reverse("frontend:council_opt_in", args=[session_a.join_code]))
    assert response.status_code == 200
    assert reverse("frontend:join", args=[session_a.join_code]) in response.content.decode()


def test_opt_in_for_an_unknown_session_is_missing(client):
    assert client.get("/s/ZZZZZZ/council/").status_code == 404


def test_participant_opts_in_from_the_session_page(council, session_a, client):
    participant = ParticipantFactory(session=session_a)
    _browser_with_participant(client, participant)
    url = reverse("frontend:council_opt_in", args=[session_a.join_code])
    page = client.get(url).content.decode()
    assert page.index('name="phone"') < page.index('name="name"')  # phone first
    response = client.post(url, {"phone": "0612345678", "name": "Amina", "age": "19"})
    assert response.status_code == 200 and not Candidate.objects.exists()  # consent missing
    response = client.post(url, {"phone": "0612345678", "name": "Amina", "age": "19", "consent": "on"})
    assert "Thank you" in response.content.decode()
    candidate = Candidate.objects.get()
    assert candidate.participant == participant and candidate.session == session_a


def test_candidates_page_shows_participation_and_accepts_a_member(council, session_a, secretariat_client):
    participant = ParticipantFactory(session=session_a, gender="female")
    candidate = services.candidate_opt_in(
        participant=participant, name="Amina", phone="0612345678", consent=True, age=20
    )
    url = reverse("frontend:council_candidates", args=["fes"])
    page = secretariat_client.get(url).content.decode()
    assert "Amina" in page and "1 session(s)" in page
    # The accept form posts the names the view reads, with the participant's answer preselected.
    assert 'name="gender"' in page and '<option value="female" selected>' in page
    response = secretariat_client.post(
        url,
        {
            "candidate": candidate.pk,
            "action": "accept",
            "gender": "female",
            "role": "member",
            "selection_method": "coopted",
        },
    )
    assert response.status_code == 302
    membership = Membership.objects.get(person__full_name="Amina")
    assert membership.source_session == session_a


def test_charlie_cannot_accept_a_fes_candidate(council, session_a, charlie_client):
    candidate = services.candidate_opt_in(
        participant=ParticipantFactory(session=session_a), name="A", phone="0612345678", consent=True, age=20
    )
    response = charlie_client.post(
        reverse("frontend:council_candidates", args=["fes"]), {"candidate": candidate.pk, "action": "decline"}
    )
    assert response.status_code == 404
    candidate.refresh_from_db()
    assert candidate.status == "new"


def test_public_pages_never_show_personal_data(council, members, session_a, client):
    page = client.get(reverse("frontend:council_opt_in", args=[session_a.join_code])).content.decode()
    home = client.get("/").content.decode()
    for m in members:
        assert m.person.full_name not in page and m.person.full_name not in home


def test_settings_page_changes_targets_terms_and_committees(council, secretariat_client):
    url = reverse("frontend:council_settings", args=["fes"])
    district = council.city.districts.first()
    assert secretariat_client.post(url, {"form": "targets", f"d{district.pk}": "4"}).status_code == 302
    assert council.district_targets.get().seats == 4
    response = secretariat_client.post(
        url, {"form": "term", "name": "2030-2033", "starts_on": "2030-01-01", "ends_on": "2033-12-31"}
    )
    assert response.status_code == 302 and council.terms.count() == 2
    assert secretariat_client.post(url, {"form": "committee", "name": "Sport"}).status_code == 302
    assert council.committees.get().name == "Sport"
    settings = {
        "form": "settings",
        "name": council.name,
        "seat_count": 91,
        "min_age": 15,
        "max_age": 35,
        "gender_min_share": 45,
    }
    assert secretariat_client.post(url, settings).status_code == 302
    council.refresh_from_db()
    assert council.seat_count == 91 and council.gender_min_share == 45 and council.residence_required is False


def test_settings_refuse_a_reversed_age_range_and_change_nothing(council, secretariat_client):
    url = reverse("frontend:council_settings", args=["fes"])
    data = {"form": "settings", "name": "X", "seat_count": 10, "min_age": 30, "max_age": 20, "gender_min_share": 40}
    response = secretariat_client.post(url, data)
    assert response.status_code == 200 and "above the maximum age" in response.content.decode()
    council.refresh_from_db()
    assert council.name == "Communal Youth Council"


def test_scheduling_a_meeting_from_the_page(council, secretariat_client):
    response = secretariat_client.post(
        reverse("frontend:council_meetings", args=["fes"]),
        {"title": "Plenary", "scheduled_at": "2026-12-01T18:00", "place": "Town hall"},
    )
    assert response.status_code == 302
    assert council.meetings.get().title == "Plenary"


def test_preparing_an_election_from_the_page(council, members, secretariat_client):
    response = secretariat_client.post(
        reverse("frontend:council_elections", args=["fes"]),
        {
            "title": "President",
            "role": "president",
            "candidates": [members[0].pk, members[1].pk],
            "quorum_percent": 50,
            "tie_rule": "lots",
        },
    )
    assert response.status_code == 302
    election = council.elections.get()
    assert set(election.candidates.all()) == {members[0], members[1]} and election.tie_rule == "lots"
