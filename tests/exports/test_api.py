from tests.conftest import token_client
from tests.factories import ConsultationFactory


def test_api_lists_and_runs_exporters_for_analyst(city_a, analyst):
    c = ConsultationFactory(city=city_a)
    api = token_client(analyst)
    listed = api.get("/api/v1/exports/").json()
    summary = next(e for e in listed if e.get("city") == city_a.slug and e["identifier"] == "consultation_summary")
    assert summary["required_options"] == ["consultation"] and "pdf" in summary["formats"]
    assert not any(e["identifier"] == "council_roster" for e in listed)
    response = api.post(
        "/api/v1/exports/consultation_summary", {"format": "json", "options": {"consultation": c.pk}}, format="json"
    )
    assert response.status_code == 200
    assert b"Key figures" in response.content


def test_api_refuses_charlie_city_a_exports(city_a, charlie):
    c = ConsultationFactory(city=city_a)
    api = token_client(charlie)
    assert all(e.get("city") != city_a.slug for e in api.get("/api/v1/exports/").json())
    response = api.post(
        "/api/v1/exports/consultation_summary", {"format": "json", "options": {"consultation": c.pk}}, format="json"
    )
    assert response.status_code == 404


def test_api_council_and_funding_exporters(city_a, secretariat, facilitator, council_data, funding_data):
    roster = token_client(secretariat).post(
        "/api/v1/exports/council_roster", {"format": "csv", "options": {"city": "fes"}}, format="json"
    )
    assert roster.status_code == 200 and "Member 0" in roster.content.decode("utf-8-sig")
    refused = token_client(facilitator).post(
        "/api/v1/exports/council_roster", {"format": "csv", "options": {"city": "fes"}}, format="json"
    )
    assert refused.status_code == 404
    results = token_client(facilitator).post(
        "/api/v1/exports/funding_call_results",
        {"format": "json", "options": {"call": funding_data["call"].pk}},
        format="json",
    )
    assert results.status_code == 200 and "Library corner" in results.content.decode()


def test_api_network_key_figures(network, network_admin, city_admin):
    body = {"format": "json", "options": {"network": "med"}}
    listed = token_client(network_admin).get("/api/v1/exports/").json()
    assert {"network": "med"}.items() <= next(e for e in listed if e["identifier"] == "network_key_figures").items()
    assert (
        token_client(network_admin).post("/api/v1/exports/network_key_figures", body, format="json").status_code == 200
    )
    assert token_client(city_admin).post("/api/v1/exports/network_key_figures", body, format="json").status_code == 404


def test_api_bad_format_and_missing_pdf_printer(city_a, analyst, settings):
    c = ConsultationFactory(city=city_a)
    api = token_client(analyst)
    bad = api.post(
        "/api/v1/exports/consultation_summary", {"format": "doc", "options": {"consultation": c.pk}}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["detail"]
    settings.MAJLIS_CHROMIUM = "/nonexistent/chromium"
    pdf = api.post(
        "/api/v1/exports/consultation_summary", {"format": "pdf", "options": {"consultation": c.pk}}, format="json"
    )
    assert pdf.status_code == 503 and "PDF" in pdf.json()["detail"]
