from tests.conftest import token_client
from tests.factories import ConsultationFactory


def test_api_lists_and_runs_exporters_for_analyst(city_a, analyst):
    c = ConsultationFactory(city=city_a)
    api = token_client(analyst)
    listed = api.get("/api/v1/exports/").json()
    assert any(e["city"] == city_a.slug and e["identifier"] == "consultation_summary" for e in listed)
    response = api.post(
        "/api/v1/exports/consultation_summary", {"format": "json", "options": {"consultation": c.pk}}, format="json"
    )
    assert response.status_code == 200
    assert b"Key figures" in response.content


def test_api_refuses_charlie_city_a_exports(city_a, charlie):
    c = ConsultationFactory(city=city_a)
    api = token_client(charlie)
    assert all(e["city"] != city_a.slug for e in api.get("/api/v1/exports/").json())
    response = api.post(
        "/api/v1/exports/consultation_summary", {"format": "json", "options": {"consultation": c.pk}}, format="json"
    )
    assert response.status_code == 404
