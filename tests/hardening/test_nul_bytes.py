"""NUL characters (%00) in a request are a clear 400, never a 500 (PostgreSQL cannot store or compare them).

Run on both databases: `.venv/bin/python -m pytest tests/hardening/test_nul_bytes.py`, and again with
DATABASE_URL=postgres://... (the 500 was PostgreSQL's).
"""

import json

import pytest
from django.utils import translation

from consultations import services
from tests.hardening.urlwalk import call, routes_in_scope, url_for

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _english_afterwards():
    """LocaleMiddleware leaves a request's language active in the thread: later tests expect English."""
    yield
    translation.activate("en")


NUL_QUERY = "city=%00&status=%00&code=AB%00CD&term=%00&next=%00&ready=%00&step=%00&lang=%00"


def _with_query(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{NUL_QUERY}"


@pytest.mark.parametrize("role", ["anonymous", "facilitator", "admin"])
def test_every_address_refuses_a_nul_in_its_query_with_400(world, role):
    client = world.clients[role]
    client.raise_request_exception = False
    answers = {}
    for route in routes_in_scope():
        response = call(client, "GET", _with_query(url_for(world, route)))
        answers[route.name] = response.status_code
    assert answers and set(answers.values()) == {400}, {name: s for name, s in answers.items() if s != 400}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/funding-calls/?city=%00",
        "/accounts/login/?next=%00",
        "/admin/login/?next=%00",
        "/?lang=%00",
        "/s/AB%00CD/",
        "/api/v1/sessions/AB%00CD/state",
        "/healthz?x=%00",
    ],
)
def test_a_nul_in_a_path_or_query_is_a_clear_400(client, url):
    client.raise_request_exception = False
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json() == {"detail": response.json()["detail"], "code": "nul_character"}
        assert "NUL" in response.json()["detail"] and "Cette requête" in response.json()["detail"]
    else:
        assert "NUL" in response.content.decode()


def test_a_nul_in_a_cookie_or_a_form_field_is_a_400(client, city_a):
    client.raise_request_exception = False
    # An octal escape in a quoted cookie: Django's cookie parser turns it into NUL characters.
    assert client.get("/", HTTP_COOKIE='sessionid="' + "\\000" * 40 + '"').status_code == 400
    form = "application/x-www-form-urlencoded"  # as browsers send forms (multipart ones go to the forms' fields)
    response = client.post("/accounts/login/", "login=a%00%40example.org&password=x", content_type=form)
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # an ordinary request still passes


def test_a_nul_in_a_json_body_is_refused_without_a_server_error(api_client, facilitator, city_a):
    consultation = services.consultation_create(
        city=city_a, title="C", created_by=facilitator, participants_may_be_minors=False
    )
    session = services.session_create(consultation=consultation, title="S", created_by=facilitator)
    api_client.raise_request_exception = False
    join = f"/api/v1/sessions/{session.join_code}/join"
    for body in ({"consent": True, "district": "\x00"}, {"consent": True, "gender": "\x00"}, {"consent": "\x00"}):
        response = api_client.post(join, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 400, (body, response.status_code)
    token = api_client.post(join, data=json.dumps({"consent": True}), content_type="application/json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Participant {token['token']}")
    votes = f"/api/v1/sessions/{session.join_code}/votes"
    response = api_client.post(votes, data=json.dumps({"item": "1\x00"}), content_type="application/json")
    assert response.status_code == 400
    response = api_client.post(
        f"/api/v1/sessions/{session.join_code}/items",
        data=json.dumps({"kind": "challenge", "text": "a\x00b"}),
        content_type="application/json",
    )
    assert response.status_code in (400, 409)  # refused: a NUL character, or not the phase for challenges


def test_a_request_without_nul_is_untouched(client, city_a):
    assert client.get("/?lang=fr").status_code == 200


@pytest.mark.parametrize(
    "identifier, options",
    [
        ("council_roster", {"city": "a\x00"}),
        ("council_attendance", {"city": "\x00"}),
        ("network_key_figures", {"network": "n\x00"}),
        ("consultation_summary", {"consultation": "1\x00"}),
        ("council_roster", {"city": "x", "term": "\x00"}),
    ],
)
def test_a_nul_in_an_export_request_is_a_clear_400(secretariat, city_a, identifier, options):
    """The export API reads its options from the JSON body itself: a slug with NUL in it must not reach a query (a
    500 on PostgreSQL)."""
    from tests.conftest import token_client

    client = token_client(secretariat)
    client.raise_request_exception = False
    for body in ({"format": "csv", "options": options}, {"format": "csv\x00", "options": {"city": city_a.slug}}):
        response = client.post(
            f"/api/v1/exports/{identifier}",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="fr",
        )
        assert response.status_code == 400, (body, response.status_code)
        assert response.json()["code"] == "nul_character"
        assert "Cette requête" in response.json()["detail"]


@pytest.mark.parametrize("body", ["[1]", '"x"', "3", "null"])
def test_an_export_request_whose_body_is_not_an_object_is_a_400(secretariat, body):
    """A JSON list or text where options are read is a 400, not a server error."""
    from tests.conftest import token_client

    client = token_client(secretariat)
    client.raise_request_exception = False
    response = client.post("/api/v1/exports/council_roster", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
