"""WebSocket routes: the live session's sockets (consultations/live/sockets.py). Foreign origins are refused."""

from django.conf import settings


def build_websocket_application():
    from .live.sockets import SessionSockets

    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return SessionSockets(allowed)
