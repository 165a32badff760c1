"""Live-session refusals answer through the API's one error handler (cities/api/exceptions.py)."""

from django.utils import translation

from consultations import services
from tests.conftest import token_client


def test_a_phase_the_session_does_not_use_answers_409_wrong_phase_in_arabic(consultation, facilitator):
    session = services.session_create(
        consultation=consultation,
        title="Proposals only",
        created_by=facilitator,
        phases=["lobby", "proposals", "proposal_voting", "results", "closed"],
    )
    response = token_client(facilitator).post(
        f"/api/v1/sessions/{session.join_code}/phase", {"phase": "challenges"}, format="json", HTTP_ACCEPT_LANGUAGE="ar"
    )
    with translation.override("ar"):
        expected = translation.gettext("This session does not use the phase “%(phase)s”.") % {"phase": "challenges"}
    assert response.status_code == 409
    assert response.json() == {"detail": expected, "code": "wrong_phase"}
    assert expected.startswith("هذه الجلسة")  # the Arabic message, not the English one
    session.refresh_from_db()
    assert session.phase == "lobby"
