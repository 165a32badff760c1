import pytest

from cities.models import ApiToken, token_digest
from cities.services import api_token_issue, api_token_revoke

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed_and_authenticates(facilitator, api_client):
    token, key = api_token_issue(user=facilitator)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == token_digest(key)
    assert key not in {stored.digest, stored.prefix} and stored.prefix == key[:8]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["cities"] == [{"slug": "fes", "roles": ["facilitator"]}]


def test_revoked_or_unknown_token_is_refused(facilitator, api_client):
    token, key = api_token_issue(user=facilitator)
    api_token_revoke(token=token)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/me/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api_client.get("/api/v1/me/").status_code == 401


def test_anonymous_caller_is_refused_me_but_sees_public_city_list(api_client, city_a):
    assert api_client.get("/api/v1/me/").status_code in (401, 403)
    response = api_client.get("/api/v1/cities/")
    assert response.status_code == 200
    assert [c["slug"] for c in response.json()] == ["fes"]


def test_issuing_and_revoking_a_token_is_audited(facilitator):
    from cities.models import AuditEntry

    token, _key = api_token_issue(user=facilitator)
    api_token_revoke(token=token)
    api_token_revoke(token=token)
    actions = list(AuditEntry.objects.filter(target_id=str(token.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["api_token.issue", "api_token.revoke"]
