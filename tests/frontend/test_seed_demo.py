import io
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from cities.models import City
from consultations.models import Consultation, Phase, Session

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _seed_json() -> dict:
    out = io.StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_seed_demo_json_gives_the_documented_object_for_two_cities():
    data = _seed_json()
    assert [c["slug"] for c in data["cities"]] == ["fes", "saida"]
    for city in data["cities"]:
        assert set(city) >= {"slug", "consultation_id", "join_code", "join_url", "facilitator", "api_token"}
        assert set(city["facilitator"]) == {"email", "password"}
        session = Session.objects.get(join_code=city["join_code"])
        assert session.phase == Phase.LOBBY
        assert session.consultation_id == city["consultation_id"]
        assert session.consultation.city.slug == city["slug"]
        assert city["join_url"].endswith(f"/j/{city['join_code']}/")
        assert session.phases == [p.value for p in Phase]
        assert session.challenge_voting_method == session.proposal_voting_method == "approval"


def test_seed_demo_is_idempotent_and_credentials_are_fresh_and_work():
    first = _seed_json()
    second = _seed_json()
    assert City.objects.count() == 2 and Consultation.objects.count() == 2
    assert [c["join_code"] for c in first["cities"]] == [c["join_code"] for c in second["cities"]]
    assert first["cities"][0]["api_token"] != second["cities"][0]["api_token"]
    fes = second["cities"][0]
    client = APIClient()
    assert client.login(email=fes["facilitator"]["email"], password=fes["facilitator"]["password"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {fes['api_token']}")
    me = api.get("/api/v1/me/").json()
    assert me["cities"] == [{"slug": "fes", "roles": ["admin"]}]
    # the token of the previous run was revoked
    api.credentials(HTTP_AUTHORIZATION=f"Token {first['cities'][0]['api_token']}")
    assert api.get("/api/v1/me/").status_code == 401


def test_demo_city_admin_token_cannot_read_the_other_city():
    data = _seed_json()
    fes, saida = data["cities"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {fes['api_token']}")
    assert api.get(f"/api/v1/sessions/{saida['join_code']}/state").status_code == 404
    assert api.get(f"/api/v1/sessions/{fes['join_code']}/state").status_code == 200


def test_demo_has_a_finished_session_with_results():
    _seed_json()
    past = Session.objects.filter(phase=Phase.CLOSED, consultation__city__slug="fes").get()
    assert past.published_at is not None
    assert past.ballots.count() > 40 and past.items.filter(kind="proposal").count() >= 3
