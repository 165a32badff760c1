"""The fixture world of the hardening tests: both demo cities (seed_demo) and one client per role.

Roles: anonymous, a participant's browser (joined a live session of Fes), a participant's API token, the
facilitator, secretariat, analyst and administrator of Fes, the network administrator, charlie (the
administrator of Saida, who must be refused everything of Fes), and the youth team lead of a funded project of
Fes (a signed-in account with no staff role).
"""

import io
import json
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from cities.exports import export_link_store
from cities.models import ApiToken, City, Network, User
from cities.services import api_token_issue
from consultations import services as session_services
from consultations.models import Consultation, Item, ItemKind, Session
from consultations.tokens import browser_remember, participant_token

ROLES = (
    "anonymous",
    "participant_browser",
    "participant_token",
    "facilitator",
    "secretariat",
    "analyst",
    "admin",
    "network_admin",
    "charlie",
    "team_lead",
)


@dataclass
class World:
    city: City
    session: Session
    consultation: Consultation
    kwargs: dict = field(default_factory=dict)  # URL argument name -> value (objects of Fes)
    overrides: dict = field(default_factory=dict)  # url name -> {argument: value} where a name is ambiguous
    queries: dict = field(default_factory=dict)  # url name -> query string a page needs to do its work
    bodies: dict = field(default_factory=dict)  # url name -> POST body a view needs to reach its permission check
    clients: dict = field(default_factory=dict)  # role -> client


def seed_demo_json() -> dict:
    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _first_pk(model, **filters):
    obj = model.objects.filter(**filters).order_by("pk").first()
    assert obj is not None, f"the demo data has no {model.__name__} for {filters}: extend the world fixture"
    return obj.pk


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    """Both demo cities, one client per role, and URL arguments naming real objects of Fes."""
    from councils.models import BallotCode, Council, Election, Meeting, Membership
    from frontend.views.councils import checkin_token, register_token
    from proposals.models import Attachment, FundingCall, Project, Tranche

    cache.clear()
    settings.MEDIA_ROOT = tmp_path
    data = seed_demo_json()
    fes = next(c for c in data["cities"] if c["slug"] == "fes")
    city = City.objects.get(slug="fes")
    session = Session.objects.get(join_code=fes["join_code"])
    consultation = session.consultation

    # A participant joined in a browser and another over the API; one challenge so that item URLs resolve.
    browser_person = session_services.participant_join(code=session.join_code, consent=True)
    api_person = session_services.participant_join(code=session.join_code, consent=True)
    item = Item.objects.filter(session=session).first() or Item.objects.create(
        session=session, kind=ItemKind.CHALLENGE, text="Not enough places to study after school"
    )

    # A merge of a duplicate into it, so that the merge's undo URL resolves.
    duplicate = Item.objects.create(session=session, kind=item.kind, text=f"{item.text} (again)")
    merge_id = session_services.items_merge(source=duplicate, target=item, actor=None).merge_id

    staff = {role: User.objects.get(email=creds["email"]) for role, creds in fes["staff"].items()}
    clients = {role: _logged_in(user) for role, user in staff.items()}
    clients["anonymous"] = Client()
    clients["network_admin"] = _logged_in(User.objects.get(email="network@majlis.test"))
    clients["charlie"] = _logged_in(User.objects.get(email="admin@saida.majlis.test"))
    browser = Client()
    store = browser.session
    browser_remember(store, browser_person)
    store.save()
    clients["participant_browser"] = browser
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(api_person)}")
    clients["participant_token"] = token_client

    council = Council.objects.get(city=city)
    call_pk = _first_pk(FundingCall, city=city)
    project = Project.objects.filter(proposal__call__city=city, proposal__lead__isnull=False).order_by("pk").first()
    assert project is not None, "the demo data has no funded project with a team lead: extend the world fixture"
    project_pk, proposal_pk = project.pk, project.proposal_id
    clients["team_lead"] = _logged_in(project.proposal.lead)
    election = Election.objects.filter(council=council).order_by("pk").first()
    meeting = Meeting.objects.filter(council=council).order_by("pk").first()
    ballot_code = BallotCode.objects.filter(election__council=council).first()
    admin_token, _ = api_token_issue(user=staff["admin"])
    attachment = Attachment.objects.filter(proposal__call__city=city).first()
    if attachment is None:
        attachment = Attachment(proposal_id=proposal_pk, kind="pdf", size=9, original_name="budget.pdf")
        attachment.file.save("budget.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    kwargs = {
        "city": city.slug,
        "city_slug": city.slug,
        "code": session.join_code,
        "join_code": session.join_code,
        "item_id": item.pk,
        "merge_id": merge_id,
        "call_id": call_pk,
        "proposal_id": proposal_pk,
        "project_id": project_pk,
        "attachment_id": attachment.pk,
        "token_id": admin_token.pk,
        "token": checkin_token(meeting) if meeting else "none",
        "fmt": "csv",
        "action": "lock",
        "identifier": "consultation_summary",
    }
    network = Network.objects.filter(administrators__email="network@majlis.test").order_by("pk").first()
    assert network is not None, "the demo data has no network of the network administrator: extend the world fixture"
    kwargs["network_slug"] = network.slug
    # A finished export's download link, issued to the analyst of Fes (only their signed-in session may fetch it).
    download_token = export_link_store(
        content=b"a,b\n1,2\n", content_type="text/csv", filename="summary.csv", user=staff["analyst"]
    )
    member_pk = _first_pk(Membership, term__council=council)
    overrides = {
        "frontend:consultation_detail": {"pk": consultation.pk},
        "frontend:council_member": {"pk": member_pk},
        "frontend:council_member_edit": {"pk": member_pk},
        "frontend:council_member_end": {"pk": member_pk},
        "frontend:council_member_export": {"pk": member_pk},
        "frontend:council_member_erase": {"pk": member_pk},
        "frontend:council_meeting": {"pk": meeting.pk if meeting else 999999},
        "frontend:council_election": {"pk": election.pk if election else 999999},
        "frontend:council_election_codes": {"pk": election.pk if election else 999999},
        "frontend:council_vote": {"code": ballot_code.code if ballot_code else "NOCODE"},
        "frontend:council_election_register": {"token": register_token(election) if election else "none"},
        "api:consultation-sessions": {"pk": consultation.pk},
        "api:council-member-list": {"pk": council.pk},
        "api:proposal-detail": {"pk": proposal_pk},
        "api:proposal-eligibility": {"pk": proposal_pk},
        "api:proposal-override": {"pk": proposal_pk},
        "api:project-detail": {"pk": project_pk},
        "api:project-ledger": {"pk": project_pk},
        "api:tranche-pay": {"pk": _first_pk(Tranche, project__proposal__call__city=city)},
        "frontend:exports_download": {"token": download_token},
        "frontend:network_exports_report": {"identifier": "network_key_figures"},
    }
    for name in ("detail", "phase", "select", "selection", "proposals", "votes"):
        overrides[f"api:funding-call-{name}"] = {"pk": call_pk}
    assert ApiToken.objects.filter(pk=admin_token.pk).exists()
    queries = {
        "frontend:join_lookup": f"?code={session.join_code}",
        "frontend:exports_report": f"?consultation={consultation.pk}",
    }
    # An export without options names no city, so an empty POST answers 404 to everyone: post a real request.
    bodies = {
        "api:export-run": {"format": "csv", "options": {"consultation": consultation.pk}},
        "frontend:exports": {"exporter": "consultation_summary", "consultation": consultation.pk, "format": "csv"},
    }
    return World(
        city=city,
        session=session,
        consultation=consultation,
        kwargs=kwargs,
        overrides=overrides,
        queries=queries,
        bodies=bodies,
        clients=clients,
    )
