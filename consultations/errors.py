"""Domain errors of live sessions: SessionError and its subclasses (cities.errors.DomainError: a translated
message, a code, the HTTP status an API gives it)."""

from django.utils.translation import gettext_lazy as _

from cities.errors import DomainError


class SessionError(DomainError):
    """A live session refuses the request."""


class SessionNotFound(SessionError):
    status_code = 404
    default_message = _("No session has this code. Check the code on the screen and try again.")
    code = "not_found"


class JoinRefused(SessionError):
    status_code = 403
    default_message = _("This session is not accepting new participants.")
    code = "join_refused"


class RoomFull(SessionError):
    status_code = 409
    default_message = _("This session is full.")
    code = "room_full"


class ConsentRequired(SessionError):
    default_message = _("Please accept the terms of participation to join.")
    code = "consent_required"


class WrongPhase(SessionError):
    """Not possible in the current phase: the one class for every object that moves through phases (a session, a
    funding call: proposals.errors re-exports it). Each app raises it with its own message."""

    status_code = 409
    default_message = _("This is not possible in the session's current phase.")
    code = "wrong_phase"


class SessionClosed(SessionError):
    status_code = 409
    default_message = _("This session is closed.")
    code = "closed"


class UnknownItem(SessionError):
    status_code = 404
    default_message = _("This item does not exist in this session.")
    code = "unknown_item"


class TooManyPoints(SessionError):
    default_message = _("You do not have that many points left.")
    code = "too_many_points"


class InvalidInput(SessionError):
    code = "invalid_input"


class UnknownParticipant(SessionError):
    status_code = 403
    default_message = _("You are no longer a participant of this session. Join it again.")
    code = "unknown_participant"


class IdempotencyKeyReused(SessionError):
    status_code = 409
    default_message = _("This Idempotency-Key was already used for a different submission.")
    code = "idempotency_key_reused"


class CrossSiteRequest(SessionError):
    status_code = 403
    default_message = _("This request comes from another site. Join from this site's own join page.")
    code = "cross_site"


class JsonRequired(SessionError):
    status_code = 415
    default_message = _("Joining takes a JSON request (Content-Type: application/json).")
    code = "json_required"


class JoinPassRefused(JoinRefused):
    """The session's join policy asks for a room code or a card, and this one is missing or not valid."""

    default_message = _("This session needs the room code shown on the screen or a printed card to join.")
    code = "join_pass_refused"


class MergeAlreadyUndone(SessionError):
    status_code = 409
    default_message = _("This merge was already undone.")
    code = "merge_undone"


class MergeUndoBlocked(SessionError):
    """A later merge touched one of the two items: it must be undone first (merges are undone newest first)."""

    status_code = 409
    default_message = _("One of these items was merged again since. Undo that later merge first.")
    code = "merge_undo_blocked"
