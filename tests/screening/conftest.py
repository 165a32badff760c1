from tests.consultations.conftest import consultation, join, live_session, to_phase

__all__ = ["consultation", "join", "live_session", "to_phase"]
