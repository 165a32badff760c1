"""Participant tokens: signed, session-scoped, no account. `Authorization: Participant <token>`."""

from django.core import signing

from .models import Participant

SALT = "majlis.participant"


def participant_token(participant: Participant) -> str:
    return signing.dumps({"p": participant.pk, "s": participant.session_id}, salt=SALT, compress=True)


def participant_from_token(token: str) -> Participant | None:
    """The participant a token names, or None for a forged, malformed or stale token."""
    try:
        data = signing.loads(token, salt=SALT)
        return Participant.objects.select_related("session").get(pk=int(data["p"]), session_id=int(data["s"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, Participant.DoesNotExist):
        return None


def participant_claims(token: str) -> tuple[int, int] | None:
    """(participant id, session id) from a token's signature alone, without a database query."""
    try:
        data = signing.loads(token, salt=SALT)
        return int(data["p"]), int(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


PARTICIPANT_KEYWORD = "participant"


def claims_from_authorization(header: str) -> tuple[int, int] | None:
    """participant_claims of an `Authorization: Participant <token>` header; None for any other header."""
    keyword, _, token = (header or "").partition(" ")
    if keyword.lower() != PARTICIPANT_KEYWORD or not token.strip():
        return None
    return participant_claims(token.strip())


BROWSER_KEY = "majlis_participants"


def browser_participant_id(django_session, session_id: int) -> int | None:
    """The participant this browser joined session_id as (kept in the Django session cookie)."""
    mapping = django_session.get(BROWSER_KEY) or {}
    value = mapping.get(str(session_id))
    return int(value) if value is not None else None


def browser_remember(django_session, participant: Participant) -> None:
    mapping = dict(django_session.get(BROWSER_KEY) or {})
    mapping[str(participant.session_id)] = participant.pk
    django_session[BROWSER_KEY] = mapping
