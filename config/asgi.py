"""ASGI entry point: HTTP through Django, except the fast path (consultations/live/asgi.py); live sessions' WebSockets
through consultations/live/sockets.py (see docs/realtime.md)."""

import gc
import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from consultations.live.asgi import VoteFastPath  # noqa: E402
from consultations.live.hub import HubMiddleware  # noqa: E402
from consultations.routing import build_websocket_application  # noqa: E402

application = HubMiddleware(
    ProtocolTypeRouter(
        {
            "http": VoteFastPath(django_asgi_app),
            "websocket": build_websocket_application(),
        }
    )
)

# Everything loaded so far (Django, the apps, the URL and template machinery) lives as long as the process: keep it
# out of the garbage collector's scans, so that a room voting at once is not paused by full collections walking
# hundreds of thousands of objects that can never be freed (gc.freeze, as large Django deployments do).
gc.freeze()
# What a room creates from now on (sockets, connections, waiting requests) is collected less often than Python's
# default would (settings.MAJLIS_GC_THRESHOLDS says why).
gc.set_threshold(*settings.MAJLIS_GC_THRESHOLDS)

# The server's threads (the event loop, the ballot box's writer, the database threads) hand the interpreter to each
# other sooner than Python's default (settings.MAJLIS_GIL_SWITCH_INTERVAL says why).
sys.setswitchinterval(settings.MAJLIS_GIL_SWITCH_INTERVAL)
