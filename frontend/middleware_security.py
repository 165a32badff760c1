"""Security headers Django does not set by itself: Content-Security-Policy and Permissions-Policy.

Django 5.2 has no built-in CSP, and a dependency for one header is not worth it. Django's SecurityMiddleware
already sends X-Content-Type-Options, Referrer-Policy and Cross-Origin-Opener-Policy, and XFrameOptionsMiddleware
X-Frame-Options; this middleware adds the rest (docs/security.md).

The policy forbids inline scripts, inline styles and event-handler attributes everywhere: templates link their
scripts and styles from /static/. The two API viewers drf-spectacular renders (Swagger UI, ReDoc) carry one
inline script each and set inline styles at run time; on those paths only, every <script> of the page gets a
fresh nonce and styles may be inline. A view may also set its own Content-Security-Policy header, which is kept.
"""

import re
import secrets

from django.conf import settings
from django.core.exceptions import DisallowedHost

# Stands for the live sessions' WebSocket origin in a policy: the page's own scheme, host and port, ws:// or wss://
# (docs/realtime.md). Replaced per request; dropped when the host is not one of ours ('self' then remains).
SAME_ORIGIN_WEBSOCKET = "<same-origin-websocket>"

DEFAULT_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'", SAME_ORIGIN_WEBSOCKET),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
    "base-uri": ("'self'",),
    "object-src": ("'none'",),
}

# The API viewers of drf-spectacular (config/api_urls.py): no user content, staff and integrators only.
DEFAULT_VIEWER_PATHS = ("/api/v1/docs/", "/api/v1/redoc/")

# Nothing in Majlis uses these browser features; a page that someone manages to inject into cannot either.
DEFAULT_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), display-capture=()"
)

_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)


def policy_header(policy: dict[str, tuple[str, ...]], socket_origin: str | None = None) -> str:
    """The header of policy, with SAME_ORIGIN_WEBSOCKET replaced by socket_origin (or left out without one)."""

    def sources_of(sources: tuple[str, ...]) -> str:
        return " ".join(
            socket_origin if source == SAME_ORIGIN_WEBSOCKET else source
            for source in sources
            if source != SAME_ORIGIN_WEBSOCKET or socket_origin
        )

    return "; ".join(f"{name} {sources_of(sources)}".strip() for name, sources in policy.items())


def websocket_origin(request) -> str | None:
    """ws://host[:port] or wss://host[:port] of the page being answered: the only socket its scripts may open.
    None when the request's host is not one of ALLOWED_HOSTS."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    return f"{'wss' if request.is_secure() else 'ws'}://{host}"


def content_security_policy() -> dict[str, tuple[str, ...]]:
    """The site's policy: DEFAULT_POLICY with the directives of settings.MAJLIS_CSP replacing their defaults."""
    return {**DEFAULT_POLICY, **{k: tuple(v) for k, v in getattr(settings, "MAJLIS_CSP", {}).items()}}


def viewer_policy(nonce: str) -> dict[str, tuple[str, ...]]:
    """The relaxed policy of the API viewers: scripts only from here or with this response's nonce; inline
    styles allowed (both viewers style elements at run time); ReDoc runs a worker from a blob."""
    policy = content_security_policy()
    return {
        **policy,
        "script-src": (*policy["script-src"], f"'nonce-{nonce}'"),
        "style-src": (*policy["style-src"], "'unsafe-inline'"),
        "worker-src": ("'self'", "blob:"),
    }


def _add_nonce(response, nonce: str) -> None:
    marker = f'<script nonce="{nonce}"'.encode()
    response.content = _SCRIPT_TAG.sub(marker, response.content)
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy()
        self.headers: dict[str | None, str] = {}  # by WebSocket origin (one per allowed host and scheme)
        self.viewer_paths = tuple(getattr(settings, "MAJLIS_CSP_VIEWER_PATHS", DEFAULT_VIEWER_PATHS))
        self.permissions_policy = getattr(settings, "MAJLIS_PERMISSIONS_POLICY", DEFAULT_PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        if "Content-Security-Policy" in response.headers:
            return response  # a view that states its own policy keeps it
        socket_origin = websocket_origin(request)
        if request.path in self.viewer_paths and self._is_html(response):
            nonce = secrets.token_urlsafe(16)
            _add_nonce(response, nonce)
            response.headers["Content-Security-Policy"] = policy_header(viewer_policy(nonce), socket_origin)
        else:
            header = self.headers.get(socket_origin)
            if header is None:
                if len(self.headers) >= 64:
                    self.headers.clear()
                header = self.headers[socket_origin] = policy_header(self.policy, socket_origin)
            response.headers["Content-Security-Policy"] = header
        return response

    @staticmethod
    def _is_html(response) -> bool:
        return not getattr(response, "streaming", False) and response.get("Content-Type", "").startswith("text/html")
