"""Findings of the authorization matrix, fixed and pinned: how each refusal reads, and bad input that once failed."""

import pytest

from .urlwalk import call

pytestmark = pytest.mark.slow

PARTICIPANT_OPERATIONS = (
    ("GET", "me"),
    ("POST", "items"),
    ("POST", "votes"),
    ("DELETE", "votes/1"),
    ("GET", "results"),
    ("GET", "state"),
)


def test_staff_of_another_city_get_404_from_every_participant_operation(world):
    for method, operation in PARTICIPANT_OPERATIONS:
        path = f"/api/v1/sessions/{world.session.join_code}/{operation}"
        for role in ("charlie", "network_admin", "team_lead"):
            response = call(world.clients[role], method, path)
            assert response.status_code == 404, (method, operation, role, response.status_code)
            assert world.session.title not in response.content.decode()


def test_anonymous_callers_are_asked_to_authenticate_and_unknown_codes_are_404(world):
    for method, operation in PARTICIPANT_OPERATIONS:
        path = f"/api/v1/sessions/{world.session.join_code}/{operation}"
        assert call(world.clients["anonymous"], method, path).status_code == 401, (method, operation)
        response = call(world.clients["charlie"], method, f"/api/v1/sessions/ZZZZZZ/{operation}")
        assert response.status_code == 404, (method, operation)


def test_staff_of_the_city_are_told_a_participant_operation_is_not_theirs(world):
    for method, operation in PARTICIPANT_OPERATIONS:
        if operation in ("state", "results"):
            continue  # staff of the city read these themselves
        path = f"/api/v1/sessions/{world.session.join_code}/{operation}"
        assert call(world.clients["facilitator"], method, path).status_code == 403, (method, operation)


def test_an_empty_post_to_the_council_settings_shows_errors_and_changes_nothing(world):
    from councils.models import Council

    council = Council.objects.get(city=world.city)
    before = (council.name, council.seat_count, council.min_age, council.max_age)
    response = call(world.clients["secretariat"], "POST", "/staff/fes/council/settings/")
    assert response.status_code == 200
    assert response.context["settings_form"].errors["name"]
    council.refresh_from_db()
    assert (council.name, council.seat_count, council.min_age, council.max_age) == before


def test_an_unknown_form_name_is_treated_as_the_settings_form(world):
    response = call(world.clients["secretariat"], "POST", "/staff/fes/council/settings/", {"form": "nonsense"})
    assert response.status_code == 200 and response.context["settings_form"].errors
