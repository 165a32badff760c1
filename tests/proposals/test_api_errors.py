"""Funding refusals answer through the API's one error handler (cities/api/exceptions.py): `detail` as before,
and a `code`."""

from proposals.models import CallPhase
from tests.conftest import token_client

from .conftest import move_to


def test_selection_outside_its_phase_answers_409_wrong_phase_in_arabic(call_a, facilitator):
    response = token_client(facilitator).post(f"/api/v1/funding-calls/{call_a.pk}/select/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 409
    assert response.json() == {"detail": "يُجرى الاختيار في مرحلة الاختيار من دعوة التمويل.", "code": "wrong_phase"}
    call_a.refresh_from_db()
    assert call_a.selected_at is None


def test_a_second_selection_answers_409_already_selected(call_a, facilitator):
    move_to(call_a, CallPhase.SELECTION)
    client = token_client(facilitator)
    assert client.post(f"/api/v1/funding-calls/{call_a.pk}/select/").status_code == 200
    again = client.post(f"/api/v1/funding-calls/{call_a.pk}/select/", HTTP_ACCEPT_LANGUAGE="fr")
    assert again.status_code == 409
    assert again.json() == {"detail": "La sélection de cet appel a déjà été effectuée.", "code": "already_selected"}
