"""Retention of participants' data (consultations/privacy.py, manage.py purge_expired) and no token in URLs."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from cities.models import AuditEntry
from consultations import selectors, services
from consultations.models import Ballot, Item, ItemKind, Participant, Phase, Session
from consultations.privacy import AUDIT_ACTION, participants_purge_expired, retention_cutoff
from consultations.tokens import participant_claims

from .urlwalk import walk

pytestmark = pytest.mark.django_db


def _session(city, facilitator, title, *, age_days):
    consultation = services.consultation_create(
        city=city, title=f"Consultation {title}", created_by=facilitator, participants_may_be_minors=False
    )
    session = services.session_create(consultation=consultation, title=title, created_by=facilitator)
    Session.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(days=age_days))
    session.refresh_from_db()
    return session


def _room(session, district):
    """Two participants with profiles; one wrote a challenge, both voted for it."""
    people = [
        services.participant_join(
            code=session.join_code, consent=True, age_band="18_24", gender="female", district=district.pk
        ),
        services.participant_join(code=session.join_code, consent=True, age_band="25_29", gender="male"),
    ]
    services.session_set_phase(session=session, phase=Phase.CHALLENGES, actor=None)
    item = services.item_submit(participant=people[0], kind=ItemKind.CHALLENGE, text="No youth centre in Saiss")
    if item.status != "approved":
        services.item_moderate(item=item, action="approve", actor=None)
    services.session_set_phase(session=session, phase=Phase.CHALLENGE_VOTING, actor=None)
    for person in people:
        services.vote_cast(participant=person, item_id=item.pk, points=1)
    return people, item


@pytest.fixture
def old_and_new(city_a, facilitator, settings):
    settings.MAJLIS_PARTICIPANT_RETENTION_MONTHS = 24
    district = city_a.districts.first()
    old = _session(city_a, facilitator, "Old", age_days=800)
    new = _session(city_a, facilitator, "New", age_days=30)
    _, old_item = _room(old, district)
    _, new_item = _room(new, district)
    return old, new, old_item, new_item


def test_purge_clears_profiles_and_authorship_of_expired_sessions_and_keeps_totals(old_and_new):
    old, new, old_item, new_item = old_and_new
    tallies_before = selectors.session_state(old, audience=selectors.STAFF)["items"]
    report = participants_purge_expired(now=timezone.now())
    assert report.sessions == [old.pk] and report.participants == 2 and report.items == 1
    for person in Participant.objects.filter(session=old):
        assert (person.age_band, person.gender, person.district_id, person.organisation, person.language) == (
            "",
            "",
            None,
            "",
            "",
        )
    old_item.refresh_from_db()
    assert old_item.author_id is None and old_item.text == "No youth centre in Saiss"
    assert Ballot.objects.filter(session=old).count() == 2
    assert selectors.session_state(old, audience=selectors.STAFF)["items"] == tallies_before
    # The recent session is untouched.
    assert set(Participant.objects.filter(session=new).values_list("gender", flat=True)) == {"female", "male"}
    assert Item.objects.get(pk=new_item.pk).author_id is not None


def test_purge_is_audited_once_per_session_and_idempotent(old_and_new):
    old = old_and_new[0]
    participants_purge_expired(now=timezone.now())
    entries = AuditEntry.objects.filter(action=AUDIT_ACTION)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.target_id == str(old.pk) and entry.city_id == old.consultation.city_id and entry.actor_id is None
    assert entry.data["participants"] == 2 and entry.data["items"] == 1
    again = participants_purge_expired(now=timezone.now())
    assert again.sessions == [] and AuditEntry.objects.filter(action=AUDIT_ACTION).count() == 1


def test_dry_run_reports_and_changes_nothing(old_and_new):
    old = old_and_new[0]
    report = participants_purge_expired(now=timezone.now(), dry_run=True)
    assert report.sessions == [old.pk] and report.participants == 2
    assert Participant.objects.filter(session=old, gender="").count() == 0
    assert not AuditEntry.objects.filter(action=AUDIT_ACTION).exists()


def test_a_session_published_or_ending_after_the_cutoff_is_kept(old_and_new):
    old = old_and_new[0]
    Session.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=10))
    assert participants_purge_expired(now=timezone.now()).sessions == []
    Session.objects.filter(pk=old.pk).update(published_at=None, ends_at=timezone.now() - timedelta(days=10))
    assert participants_purge_expired(now=timezone.now()).sessions == []


def test_retention_period_comes_from_settings(settings):
    now = timezone.now()
    settings.MAJLIS_PARTICIPANT_RETENTION_MONTHS = 6
    assert 180 <= (now - retention_cutoff(now=now)).days <= 184


def test_purge_expired_command_with_dry_run_then_for_real(old_and_new):
    old = old_and_new[0]
    out = io.StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    assert "would clear the profiles of 2 participants" in out.getvalue()
    assert Participant.objects.filter(session=old).exclude(gender="").count() == 2
    out = io.StringIO()
    call_command("purge_expired", stdout=out)
    assert "cleared the profiles of 2 participants and the authorship of 1 items" in out.getvalue()
    assert Participant.objects.filter(session=old).exclude(gender="").count() == 0


# --- No token or personal data in URLs -----------------------------------------------------------------------


# Secret-looking URL arguments and why each is acceptable. Anything new must be added here with a reason.
SECRET_ARGUMENTS_ALLOWED = {
    ("frontend:council_checkin", "token"): "signed meeting id on the check-in QR code; names a meeting, not a person",
    ("frontend:council_election_register", "token"): "signed election id on the register's QR code in the room; "
    "names an election, not a person, and grants no vote",
    ("frontend:api_token_revoke", "token_id"): "the database id of the caller's own token, not its key",
    ("frontend:exports_download", "token"): "random link to a finished export: only the signed-in account that ran "
    "it may fetch it, until it expires (cities.exports.export_link_fetch; tested by the authorization matrix)",
    ("account_confirm_email", "key"): "allauth's e-mailed confirmation link (single use)",
    ("account_reset_password_from_key", "key"): "allauth's e-mailed password reset link (single use)",
}


def test_no_url_pattern_takes_a_participant_token_or_other_secret():
    """Participant tokens travel in the Authorization header (API) or the WebSocket hello, never in a URL."""
    for route in walk():
        for argument in route.arguments:
            if any(word in argument for word in ("token", "key", "secret", "password")):
                assert (route.name, argument) in SECRET_ARGUMENTS_ALLOWED, (
                    f"{route.name} takes {argument!r} in its URL: secrets end up in access logs and browser "
                    "history; pass it in a header or a POST body, or justify it in SECRET_ARGUMENTS_ALLOWED"
                )


def test_join_redirects_to_a_page_without_the_token_and_the_token_appears_only_in_the_page(city_a, facilitator):
    session = _session(city_a, facilitator, "Room", age_days=0)
    consultation = session.consultation
    consultation.ask_age_band = consultation.ask_gender = consultation.ask_district = False
    consultation.save()
    client = Client()
    response = client.post(f"/j/{session.join_code}/", {"step": "consent", "consent": "on"})
    assert response.status_code == 302
    person = Participant.objects.get(session=session)
    location = response["Location"]
    assert location == f"/s/{session.join_code}/"
    assert str(person.pk) not in location
    page = client.get(location)
    html = page.content.decode()
    # The page carries the participant's token for its script, in the body only. (Compared by what it says: a
    # token signed a second later differs in its timestamp.)
    token = re.search(r'data-token="([^"]+)"', html)[1]
    assert participant_claims(token) == (person.pk, session.pk)
    assert html.count(token) == 1 and token not in location


def test_api_join_answers_the_token_in_the_body_and_its_urls_carry_none(api_client, city_a, facilitator):
    session = _session(city_a, facilitator, "Room", age_days=0)
    body = api_client.post(f"/api/v1/sessions/{session.join_code}/join", {"consent": True}, format="json").json()
    assert body["token"] not in body["state_url"] and body["token"] not in body["websocket_url"]
    assert "?" not in body["state_url"] and "?" not in body["websocket_url"]


def test_an_erasure_is_journaled_after_commit_without_personal_data_and_replayed(
    city_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    from councils.models import Person
    from councils.services import person_erase

    settings.MAJLIS_ERASURE_JOURNAL = str(tmp_path / "erasures.jsonl")
    person = Person.objects.create(city=city_a, full_name="Amal Benali", phone="+212600112233", gender="female")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        person_erase(person=person, actor=None, reason="request of 2026-05-01")
    assert not (tmp_path / "erasures.jsonl").exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    text = (tmp_path / "erasures.jsonl").read_text()
    assert '"kind": "councils.person"' in text and f'"id": {person.pk}' in text
    assert "Amal" not in text and "+212" not in text and "2026-05-01" not in text

    # As after restoring a backup taken before the erasure: the person is back; the replay erases them again.
    Person.objects.filter(pk=person.pk).update(full_name="Amal Benali", phone="+212600112233", erased_at=None)
    out = io.StringIO()
    call_command("erasures_replay", stdout=out)
    assert "erased 1 person" in out.getvalue()
    person.refresh_from_db()
    assert person.full_name == "" and person.phone == "" and person.erased_at is not None


def test_a_ballot_code_travels_in_post_bodies_only(city_a, secretariat, client):
    """The ballot sheet's QR code carries the code in the fragment (never sent); the member posts it to /e/."""
    from django.urls import reverse

    from councils import services as council_services
    from councils.models import BallotCode, ElectionVoter
    from tests.councils.factories import add_member, make_council

    council = make_council(city_a, secretariat)
    term = council.terms.get()
    members = [add_member(term, secretariat) for _ in range(3)]
    election = council_services.election_create(
        council=council, term=term, title="President", role="president", candidates=members[:2], actor=secretariat
    )
    council_services.election_open(election=election, actor=secretariat)
    code = BallotCode.objects.get(election=election, membership=members[2]).code

    secretariat_client = Client()
    secretariat_client.force_login(secretariat)
    sheet = secretariat_client.get(reverse("frontend:council_election_codes", args=["fes", election.pk]))
    page = sheet.content.decode()
    assert f"/e/{code}" not in page and "<svg" in page and code in page  # printed, not linked

    lookup = client.get("/e/")
    assert lookup.status_code == 200 and 'method="post"' in lookup.content.decode()
    ballot = client.post("/e/", {"code": code})
    assert ballot.status_code == 200 and members[0].person.full_name in ballot.content.decode()
    assert f'name="code" value="{code}"' in ballot.content.decode()  # carried on in the ballot form's body
    assert client.post("/e/", {"code": code, "choice": str(members[0].pk)}).status_code == 200
    assert ElectionVoter.objects.filter(membership=members[2]).exists()
    assert client.post("/e/", {"code": code}).status_code == 409  # spent
    assert client.post("/e/", {"code": ""}).status_code == 400
    assert client.post("/e/", {"code": "NOPE1234"}).status_code == 404
