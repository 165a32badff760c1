"""ASGI entry point: HTTP through Django, WebSocket through Channels (see docs/realtime.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from consultations.fastpath import VoteFastPath  # noqa: E402
from consultations.realtime import HubMiddleware  # noqa: E402
from consultations.routing import build_websocket_application  # noqa: E402

application = HubMiddleware(
    ProtocolTypeRouter(
        {
            "http": VoteFastPath(django_asgi_app),
            "websocket": build_websocket_application(),
        }
    )
)
