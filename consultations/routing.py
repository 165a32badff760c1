"""WebSocket routes. Foreign origins are refused; browsers are recognised by their session cookie."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path


class BrowserOriginValidator(OriginValidator):
    """Refuse a handshake whose Origin is not one of ALLOWED_HOSTS.

    A handshake without an Origin header does not come from a web page (browsers always send one), so no
    foreign site can ride a visitor's cookie through it; such clients must authenticate with a `hello`.
    """

    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


def build_websocket_application():
    from .consumers import SessionConsumer

    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = ["localhost", "127.0.0.1", "[::1]"]
    return BrowserOriginValidator(
        AuthMiddlewareStack(URLRouter([path("ws/sessions/<str:code>/", SessionConsumer.as_asgi())])), allowed
    )
