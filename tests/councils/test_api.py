"""REST API: councils a caller may see; member lists for the city's secretariat and administrators only."""

import pytest

from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def test_council_list_shows_own_councils_with_member_counts(council, members, council_b, secretariat):
    response = token_client(secretariat).get("/api/v1/councils/")
    assert response.status_code == 200
    assert response.json() == [
        {"id": council.pk, "city": "fes", "name": council.name, "seat_count": 10, "members_count": 4}
    ]


def test_charlie_sees_only_his_own_city_council(council, council_b, charlie):
    data = token_client(charlie).get("/api/v1/councils/").json()
    assert [c["city"] for c in data] == ["saida"]


def test_anonymous_callers_are_refused(council, api_client):
    assert api_client.get("/api/v1/councils/").status_code in (401, 403)
    assert api_client.get(f"/api/v1/councils/{council.pk}/members/").status_code in (401, 403)


def test_secretariat_and_admin_list_members_with_personal_data(council, members, secretariat, city_admin):
    for user in (secretariat, city_admin):
        response = token_client(user).get(f"/api/v1/councils/{council.pk}/members/")
        assert response.status_code == 200
        rows = response.json()
        assert len(rows) == 4
        assert {"full_name", "phone", "role", "status", "committees", "district"} <= set(rows[0])


@pytest.mark.parametrize("persona", ["charlie", "facilitator", "analyst"])
def test_member_list_is_missing_for_everybody_else(council, members, persona, request):
    user = request.getfixturevalue(persona)
    assert token_client(user).get(f"/api/v1/councils/{council.pk}/members/").status_code == 404


def test_member_list_of_an_unknown_council_is_missing(secretariat):
    assert token_client(secretariat).get("/api/v1/councils/999999/members/").status_code == 404


def test_ended_members_appear_only_with_status_all(council, members, secretariat):
    from councils import services

    services.membership_end(membership=members[0], actor=secretariat, reason="left")
    client = token_client(secretariat)
    assert len(client.get(f"/api/v1/councils/{council.pk}/members/").json()) == 3
    assert len(client.get(f"/api/v1/councils/{council.pk}/members/?status=all").json()) == 4


def test_the_openapi_schema_documents_the_council_endpoints(secretariat):
    response = token_client(secretariat).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/councils/" in paths
    assert "/api/v1/councils/{id}/members/" in paths
