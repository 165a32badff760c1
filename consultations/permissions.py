"""Who may do what in a live session: plain predicates over cities.permissions."""

from cities.permissions import can_analyse, can_facilitate, is_city_staff

from .models import Session


def can_run_session(user, session: Session) -> bool:
    """Facilitators (and administrators) of the session's city run it: phases, moderation, results."""
    return can_facilitate(user, session.consultation.city)


def can_watch_session(user, session: Session) -> bool:
    """Any staff role of the city may read the staff state (pending items included) and the results."""
    return is_city_staff(user, session.consultation.city)


def can_read_results(user, session: Session) -> bool:
    return can_analyse(user, session.consultation.city)
