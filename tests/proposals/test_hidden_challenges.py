"""A public proposal shows, in ``source.challenges``, only the approved challenges its session proposal answers: a
challenge hidden by moderation (or still waiting for it, or merged) never reaches anyone who is not staff of the
proposal's city, over the API or on the public accountability page."""

import pytest
from django.urls import reverse

from consultations.models import ItemKind, ItemStatus
from proposals.models import CallPhase
from tests.conftest import token_client
from tests.factories import ConsultationFactory, ItemFactory, SessionFactory, UserFactory

from .conftest import eligible, move_to
from .factories import ProjectFactory

pytestmark = pytest.mark.django_db

HIDDEN_TEXT = "Call 0600000000, ask for the boy in room 4"


@pytest.fixture
def source(city_a):
    session = SessionFactory(consultation=ConsultationFactory(city=city_a), title="Medina evening")
    shown = ItemFactory(session=session, kind=ItemKind.CHALLENGE, text="Dark streets")
    hidden = ItemFactory(session=session, kind=ItemKind.CHALLENGE, text=HIDDEN_TEXT, status=ItemStatus.HIDDEN)
    pending = ItemFactory(session=session, kind=ItemKind.CHALLENGE, text="Not moderated yet", status=ItemStatus.PENDING)
    item = ItemFactory(session=session, kind=ItemKind.PROPOSAL, text="Solar lamps")
    item.answers.add(shown, hidden, pending)
    return item, shown, hidden, pending


@pytest.fixture
def public_proposal(call_a, source):
    proposal = eligible(call_a, source_item=source[0], team_name="Light Crew")
    move_to(call_a, CallPhase.VOTE)
    return proposal


def test_the_public_api_lists_only_approved_challenges(api_client, public_proposal, source, call_a):
    _item, shown, _hidden, _pending = source
    for url in (f"/api/v1/proposals/{public_proposal.pk}/", f"/api/v1/funding-calls/{call_a.pk}/proposals/"):
        body = api_client.get(url).json()
        body = body if isinstance(body, dict) else body[0]
        assert body["source"]["challenges"] == [{"id": shown.pk, "text": "Dark streets"}]
        assert HIDDEN_TEXT not in str(body) and "Not moderated yet" not in str(body)


def test_staff_of_another_city_and_the_team_lead_see_no_hidden_challenge(public_proposal, charlie, source):
    lead = UserFactory()
    public_proposal.lead = lead
    public_proposal.save(update_fields=["lead"])
    for user in (charlie, lead):
        body = token_client(user).get(f"/api/v1/proposals/{public_proposal.pk}/").json()
        assert [c["text"] for c in body["source"]["challenges"]] == ["Dark streets"], user
        assert HIDDEN_TEXT not in str(body)


def test_staff_of_the_city_see_every_challenge_with_its_status(public_proposal, facilitator, source, call_a):
    _item, shown, hidden, pending = source
    body = token_client(facilitator).get(f"/api/v1/proposals/{public_proposal.pk}/").json()
    got = sorted((c["id"], c["status"]) for c in body["source"]["challenges"])
    assert got == sorted([(shown.pk, "approved"), (hidden.pk, "hidden"), (pending.pk, "pending")])
    rows = token_client(facilitator).get(f"/api/v1/funding-calls/{call_a.pk}/proposals/").json()
    assert len(rows[0]["source"]["challenges"]) == 3


def test_the_public_accountability_page_shows_no_hidden_challenge(client, call_a, source):
    ProjectFactory(proposal__call=call_a, proposal__source_item=source[0], proposal__team_name="Light Crew")
    html = client.get(reverse("frontend:city_projects", args=["fes"])).content.decode()
    assert "Dark streets" in html
    assert HIDDEN_TEXT not in html and "Not moderated yet" not in html
