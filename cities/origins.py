"""Which origins are this site's own: one rule for every door that must refuse another site's pages.

A browser names the page that sent a request in its Origin header (scheme, host and port). A live socket's
handshake (consultations/live/sockets.py) and a join (consultations/joins.py) are refused when it names another site;
both ask `origin_allowed`, which compares origins as Django's CSRF check does: scheme, host and port all equal.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def web_origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin or URL, the port made explicit; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def trusted_origins() -> frozenset[tuple[str, str, int]]:
    """The site's own origin (SITE_URL) and CSRF_TRUSTED_ORIGINS (exact origins; wildcards are not followed)."""
    candidates = [settings.SITE_URL, *getattr(settings, "CSRF_TRUSTED_ORIGINS", [])]
    return frozenset(origin for origin in map(web_origin, candidates) if origin is not None and "*" not in origin[1])


def origin_allowed(
    origin: str | None,
    *,
    host: str = "",
    secure: bool = False,
    allowed_hosts: list[str],
    trusted: frozenset[tuple[str, str, int]] = frozenset(),
) -> bool:
    """Whether a request's Origin is the site's own: scheme, host and port all equal, as for Django's CSRF check.

    Allowed: one of trusted (SITE_URL, CSRF_TRUSTED_ORIGINS), or the origin of the address the request was sent to
    (`http(s)://` + its Host header, when that host is one of ALLOWED_HOSTS). Another port of the same host is
    another origin, and is refused. A request without an Origin header does not come from another site's page
    (browsers send one with every cross-site request that could change something, and with every WebSocket
    handshake): the caller decides what else it needs (a socket's `hello`, a join's JSON body)."""
    if origin is None:
        return True
    claimed = web_origin(origin)
    if claimed is None:
        return False
    if claimed in trusted:
        return True
    if not host:
        return False
    domain, _port = split_domain_port(host)
    own = web_origin(f"{'https' if secure else 'http'}://{host}")
    return bool(domain) and validate_host(domain, allowed_hosts) and claimed == own
