"""The staff dashboard shell and the API tokens page."""

import re

import pytest
from django.template import Context, Template
from django.urls import reverse

from cities.models import ApiToken, Network, Role, token_digest
from cities.services import api_token_issue
from tests.factories import StaffRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_dashboard_requires_sign_in(client):
    response = client.get(reverse("frontend:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_dashboard_lists_the_users_cities_with_roles(client, facilitator, city_b):
    client.force_login(facilitator)
    body = client.get(reverse("frontend:dashboard"), {"lang": "fr"}).content.decode()
    assert "Fès" in body
    assert "Saïda" not in body  # not their city
    assert re.search(r'<li class="badge badge-info">\s*(Facilitat|Animat)', body)


def test_charlie_sees_only_city_b(client, charlie, city_a):
    client.force_login(charlie)
    body = client.get(reverse("frontend:dashboard"), {"lang": "en"}).content.decode()
    assert "Saida" in body and "Fes" not in body


def test_user_with_no_role_gets_a_friendly_explanation(client):
    client.force_login(UserFactory())
    body = client.get(reverse("frontend:dashboard")).content.decode()
    assert "You have no role in any city yet." in body
    assert "administrator of your city" in body


def test_network_administrator_sees_their_network_and_its_cities(client, city_a, city_b):
    user = UserFactory()
    network = Network.objects.create(name="Maghreb youth network", slug="maghreb")
    network.administrators.add(user)
    network.cities.add(city_a)
    Network.objects.create(name="Other network", slug="other")
    client.force_login(user)
    body = client.get(reverse("frontend:dashboard"), {"lang": "en"}).content.decode()
    assert "Maghreb youth network" in body and "Fes" in body
    assert "Other network" not in body
    assert "You have no role in any city yet." not in body


def _filters(user, city) -> dict[str, bool]:
    template = Template(
        "{% load majlis %}"
        "{{ user|can_facilitate:city }} {{ user|can_keep_council:city }} "
        "{{ user|can_analyse:city }} {{ user|can_administer:city }} {{ user|is_city_staff:city }}"
    )
    values = template.render(Context({"user": user, "city": city})).split()
    names = ["facilitate", "council", "analyse", "administer", "staff"]
    return dict(zip(names, [v == "True" for v in values], strict=True))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("facilitator", {"facilitate": True, "council": False, "analyse": True, "administer": False, "staff": True}),
        ("secretariat", {"facilitate": False, "council": True, "analyse": True, "administer": False, "staff": True}),
        ("analyst", {"facilitate": False, "council": False, "analyse": True, "administer": False, "staff": True}),
        ("city_admin", {"facilitate": True, "council": True, "analyse": True, "administer": True, "staff": True}),
        ("charlie", {"facilitate": False, "council": False, "analyse": False, "administer": False, "staff": False}),
    ],
)
def test_permission_filters_follow_cities_permissions_role_by_role(request, city_a, persona, expected):
    user = request.getfixturevalue(persona)
    assert _filters(user, city_a) == expected


def test_city_role_labels_filter_lists_translated_roles_in_order(city_a, facilitator):
    StaffRoleFactory(user=facilitator, city=city_a, role=Role.ANALYST)
    template = Template("{% load majlis %}{{ user|city_role_labels:city|join:'|' }}")
    assert template.render(Context({"user": facilitator, "city": city_a})) == "Facilitator|Analyst"


def test_dashboard_links_only_to_urls_that_exist_and_does_not_break_without_them(client, city_admin):
    """Area pages are written by other engineers; a name that does not resolve yet hides its link."""
    client.force_login(city_admin)
    response = client.get(reverse("frontend:dashboard"))
    assert response.status_code == 200
    assert f'href="{reverse("frontend:api_tokens")}"' in response.content.decode()


# --- API tokens -----------------------------------------------------------------------------------------


def test_tokens_page_requires_sign_in(client):
    response = client.get(reverse("frontend:api_tokens"))
    assert response.status_code == 302


def test_issuing_a_token_shows_the_key_once_and_stores_only_its_digest(client, facilitator):
    client.force_login(facilitator)
    response = client.post(reverse("frontend:api_tokens"), {"name": "roster import"})
    assert response.status_code == 200
    key = re.search(r'<code class="secret" id="new-key">([^<]+)</code>', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=facilitator)
    assert token.name == "roster import" and token.digest == token_digest(key)
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    # The key works against the API, and it is not shown again.
    assert client.get("/api/v1/me/", headers={"authorization": f"Token {key}"}).status_code == 200
    again = client.get(reverse("frontend:api_tokens")).content.decode()
    assert key not in again and token.prefix in again and "roster import" in again


def test_tokens_page_lists_only_own_active_tokens(client, facilitator, charlie):
    api_token_issue(user=facilitator, name="mine")
    api_token_issue(user=charlie, name="charlies")
    revoked, _ = api_token_issue(user=facilitator, name="old one")
    revoked.revoked_at = revoked.created_at
    revoked.save()
    client.force_login(facilitator)
    body = client.get(reverse("frontend:api_tokens")).content.decode()
    assert "mine" in body
    assert "charlies" not in body and "old one" not in body


def test_revoking_own_token_stops_it_working(client, facilitator):
    token, key = api_token_issue(user=facilitator)
    client.force_login(facilitator)
    response = client.post(reverse("frontend:api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get("/api/v1/me/", headers={"authorization": f"Token {key}"}).status_code == 401


def test_revoking_someone_elses_token_is_404_and_changes_nothing(client, facilitator, charlie):
    token, _ = api_token_issue(user=facilitator)
    client.force_login(charlie)
    response = client.post(reverse("frontend:api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_refuses_get(client, facilitator):
    token, _ = api_token_issue(user=facilitator)
    client.force_login(facilitator)
    assert client.get(reverse("frontend:api_token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
