import pytest

from consultations import services
from consultations.models import Phase
from consultations.tokens import participant_token


@pytest.fixture
def consultation(city_a, facilitator):
    return services.consultation_create(
        city=city_a, title="Fes youth priorities", created_by=facilitator, participants_may_be_minors=False
    )


@pytest.fixture
def live_session(consultation, facilitator):
    return services.session_create(consultation=consultation, title="Session 1", created_by=facilitator)


def join(session, **profile):
    return services.participant_join(code=session.join_code, consent=True, **profile)


def to_phase(session, phase, actor=None):
    return services.session_set_phase(session=session, phase=phase, actor=actor)


def participant_client(api_client, participant):
    api_client.credentials(HTTP_AUTHORIZATION=f"Participant {participant_token(participant)}")
    return api_client


__all__ = ["Phase", "join", "participant_client", "to_phase"]
