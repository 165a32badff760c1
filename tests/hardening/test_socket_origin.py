"""The live socket and the Content-Security-Policy trust the site's own origin only: scheme, host and port.

Before, the socket's Origin check compared the host alone (a page on another port of the same host was let in)
and the policy allowed `connect-src ws: wss:` (a page's scripts could open a socket to any host).
"""

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import override_settings

from cities.origins import origin_allowed, trusted_origins, web_origin
from config.asgi import application
from consultations import services
from consultations.live.hub import hub

pytestmark = pytest.mark.slow

HOSTS = ["127.0.0.1", "localhost", "[::1]", "majlis.example.org"]


@pytest.mark.parametrize(
    ("origin", "host", "secure", "allowed"),
    [
        ("http://localhost:8123", "localhost:8123", False, True),
        ("https://majlis.example.org", "majlis.example.org", True, True),
        ("https://majlis.example.org:443", "majlis.example.org", True, True),  # the default port, written out
        ("http://[::1]:8000", "[::1]:8000", False, True),
        ("http://localhost:9999", "localhost:8123", False, False),  # another port of the same host
        ("http://localhost", "localhost:8123", False, False),
        ("http://majlis.example.org", "majlis.example.org", True, False),  # http page, https socket
        ("https://majlis.example.org", "majlis.example.org", False, False),
        ("https://majlis.example.org.evil.com", "majlis.example.org", True, False),
        ("http://evil.example.com:8123", "evil.example.com:8123", False, False),  # a host we do not serve
        ("null", "localhost:8123", False, False),
        ("http://localhost:notaport", "localhost:8123", False, False),
        ("http://localhost:8123", "", False, False),  # no Host header: only trusted origins
        (None, "localhost:8123", False, True),  # not a browser: must authenticate with a hello
    ],
)
def test_origin_must_be_the_sites_own_scheme_host_and_port(origin, host, secure, allowed):
    assert origin_allowed(origin, host=host, secure=secure, allowed_hosts=HOSTS) is allowed


def test_site_url_and_csrf_trusted_origins_are_trusted_with_their_ports(settings):
    settings.SITE_URL = "https://majlis.example.org"
    settings.CSRF_TRUSTED_ORIGINS = ["https://partner.example.net:8443", "https://*.example.com"]
    trusted = trusted_origins()
    assert trusted == {("https", "majlis.example.org", 443), ("https", "partner.example.net", 8443)}
    assert origin_allowed("https://partner.example.net:8443", allowed_hosts=HOSTS, trusted=trusted)
    assert not origin_allowed("https://partner.example.net", allowed_hosts=HOSTS, trusted=trusted)
    assert not origin_allowed("https://any.example.com", allowed_hosts=HOSTS, trusted=trusted)
    assert web_origin("HTTPS://Majlis.Example.org/") == ("https", "majlis.example.org", 443)


# --- the real ASGI application ----------------------------------------------------------------------------


@database_sync_to_async
def _session(city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="C", created_by=facilitator, participants_may_be_minors=False
    )
    return services.session_create(consultation=consultation, title="Live", created_by=facilitator)


async def _connects(code: str, origin: str, host: str) -> bool:
    headers = [(b"origin", origin.encode()), (b"host", host.encode())]
    communicator = WebsocketCommunicator(application, f"/ws/sessions/{code}/", headers=headers)
    connected, _ = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_a_page_on_another_port_of_the_same_host(city_a, facilitator):
    session = await _session(city_a, facilitator)
    try:
        assert await _connects(session.join_code, "http://localhost:8123", "localhost:8123")
        assert not await _connects(session.join_code, "http://localhost:9999", "localhost:8123")
        assert not await _connects(session.join_code, "https://localhost:8123", "localhost:8123")
        assert not await _connects(session.join_code, "http://evil.example.com:8123", "evil.example.com:8123")
    finally:
        await hub.stop()


# --- Content-Security-Policy ------------------------------------------------------------------------------


def _connect_src(response) -> list[str]:
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        if name == "connect-src":
            return sources
    raise AssertionError("no connect-src")


@pytest.mark.django_db
def test_pages_may_open_sockets_to_their_own_origin_only(client):
    assert _connect_src(client.get("/", HTTP_HOST="localhost:8123")) == ["'self'", "ws://localhost:8123"]
    assert _connect_src(client.get("/", HTTP_HOST="127.0.0.1:8000")) == ["'self'", "ws://127.0.0.1:8000"]
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        secure = client.get("/", HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
        assert _connect_src(secure) == ["'self'", "wss://127.0.0.1"]
    for response in (client.get("/"), client.get("/api/v1/docs/"), client.get("/nowhere/")):
        header = response["Content-Security-Policy"]
        assert " ws: " not in f"{header} " and " wss: " not in f"{header} " and "<" not in header


@pytest.mark.django_db
def test_a_host_we_do_not_serve_gets_no_socket_source(client):
    client.raise_request_exception = False
    response = client.get("/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert _connect_src(response) == ["'self'"]
