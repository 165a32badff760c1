"""Who may do what in a live session: plain predicates over cities.permissions, and the access helpers every staff
view fetches consultations, sessions and items through.

Facilitators (and administrators) of a city run its consultations. Everybody else, other staff roles of the same
city included, is told the object does not exist (404): a session of another city is never disclosed.
"""

from django.http import Http404

from cities.models import City, Role
from cities.permissions import can_analyse, can_facilitate, city_for_staff, is_city_staff

from .errors import SessionNotFound
from .models import Consultation, Item, Session
from .services import session_by_code

FACILITATION_ROLES = (Role.FACILITATOR,)


def can_run_session(user, session: Session) -> bool:
    """Facilitators (and administrators) of the session's city run it: phases, moderation, results."""
    return can_facilitate(user, session.consultation.city)


def can_watch_session(user, session: Session) -> bool:
    """Any staff role of the city may read the staff state (pending items included) and the results."""
    return is_city_staff(user, session.consultation.city)


def can_read_results(user, session: Session) -> bool:
    return can_analyse(user, session.consultation.city)


def city_for_facilitator(user, slug: str) -> City:
    """The city with slug, if user is its facilitator or administrator; Http404 otherwise."""
    return city_for_staff(user, slug, FACILITATION_ROLES)


def consultation_for_facilitator(user, pk, city_slug: str | None = None) -> Consultation:
    """The consultation pk, for a facilitator (or administrator) of its city, and of the city with city_slug when
    given (pages carry the city in their address); Http404 otherwise."""
    try:
        consultation = Consultation.objects.select_related("city").get(pk=int(pk))
    except (Consultation.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if not can_facilitate(user, consultation.city) or city_slug not in (None, consultation.city.slug):
        raise Http404
    return consultation


def session_for_facilitator(user, code: str, city_slug: str | None = None) -> Session:
    """The session with join code (its current code or a retired one), for a facilitator (or administrator) of its
    city, and of the city with city_slug when given; Http404 otherwise."""
    try:
        session = session_by_code(code)
    except SessionNotFound:
        raise Http404 from None
    if not can_run_session(user, session) or city_slug not in (None, session.consultation.city.slug):
        raise Http404
    return session


def session_item(session: Session, pk) -> Item:
    """An item of session, which the caller was given by an access helper; Http404 for any other item."""
    try:
        return Item.objects.get(pk=int(pk), session=session)
    except (Item.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
