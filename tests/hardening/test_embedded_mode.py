"""`make run` is safe to show to a room: no debug page, translated error pages, static files compressed and cached.

The embedded mode is DEBUG unset (config/settings.py, docs/operations.md *Modes*); DEBUG=1 is the developer's
switch and DEBUG=0 production. The server tests start `config.asgi` exactly as `make run` does, in a process of
its own without the test suite's settings.
"""

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

PROBE = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'debug': s.DEBUG, 'production': s.PRODUCTION, 'hosts': s.ALLOWED_HOSTS, "
    "'storage': s.STORAGES['staticfiles']['BACKEND'], 'secure_cookie': s.SESSION_COOKIE_SECURE, "
    "'ssl_redirect': s.SECURE_SSL_REDIRECT, 'two_factor': s.MAJLIS_REQUIRE_ADMIN_2FA, 'mail': s.EMAIL_BACKEND}))"
)


def _environment(tmp_path, **changes) -> dict:
    """The environment of a fresh shell on this checkout: none of the test suite's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAJLIS_", "DEBUG", "SECRET_KEY", "REDIS_URL"))}
    env.pop("DATABASE_URL", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY_FILE=str(tmp_path / "secret_key"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'majlis.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(changes)
    return {k: v for k, v in env.items() if v is not None}


def _settings(tmp_path, **changes) -> dict:
    result = subprocess.run(  # noqa: S603 - our own settings
        [sys.executable, "-c", f"import django; django.setup(); {PROBE}"],
        cwd=settings.BASE_DIR,
        env=_environment(tmp_path, **changes),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_without_debug_set_the_app_runs_embedded_debug_off_over_plain_http(tmp_path):
    embedded = _settings(tmp_path)
    assert embedded["debug"] is False and embedded["production"] is False
    assert "127.0.0.1" in embedded["hosts"] and "localhost" in embedded["hosts"]
    assert embedded["storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # Plain HTTP on this machine: no redirect to HTTPS and cookies a browser sends over http.
    assert embedded["secure_cookie"] is False and embedded["ssl_redirect"] is False
    assert embedded["two_factor"] is False
    assert embedded["mail"] == "django.core.mail.backends.console.EmailBackend"


def test_debug_is_a_developer_switch_and_debug_0_is_production(tmp_path):
    developer = _settings(tmp_path, DEBUG="1")
    assert developer["debug"] is True and developer["production"] is False
    assert developer["storage"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    production = _settings(tmp_path, DEBUG="0", SECRET_KEY="k" * 60, ALLOWED_HOSTS="majlis.example.org")
    assert production["debug"] is False and production["production"] is True
    assert production["secure_cookie"] is True and production["ssl_redirect"] is True
    assert production["two_factor"] is True
    assert production["hosts"] == ["majlis.example.org"]


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("embedded")
    env = _environment(tmp_path)
    for command in (["migrate", "--no-input", "-v", "0"], ["collectstatic", "--no-input", "-v", "0"]):
        subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", *command], cwd=settings.BASE_DIR, env=env, check=True, timeout=300
        )
    server = LiveServer(env)
    server.start()
    yield server
    server.stop()


def _get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our local server
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_a_mistyped_address_gets_the_translated_404_page_not_the_debug_page(embedded_server, language):
    status, _headers, body = _get(f"{embedded_server.url}/sessions/nothing-here/", **{"Accept-Language": language})
    page = body.decode()
    assert status == 404
    with translation.override(language):
        assert translation.gettext("Page not found") in page
    assert f'lang="{language}"' in page
    assert ('dir="rtl"' in page) == (language == "ar")
    # Nothing of Django's debug page: no list of the URL patterns, no settings.
    assert "URLconf" not in page and "urlpatterns" not in page and "DEBUG = True" not in page


def test_static_files_go_out_compressed_and_cached_for_a_year(embedded_server):
    _status, _headers, body = _get(f"{embedded_server.url}/", **{"Accept-Language": "fr"})
    stylesheets = re.findall(r'href="(/static/frontend/majlis\.[0-9a-f]{12}\.css)"', body.decode())
    assert stylesheets, "the page links the stylesheet by its hashed name (the manifest of collectstatic)"
    status, headers, css = _get(embedded_server.url + stylesheets[0], **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("content-encoding") == "gzip"
    assert "immutable" in headers["cache-control"] and "max-age=315360000" in headers["cache-control"]
    _status, _headers, plain = _get(embedded_server.url + stylesheets[0])
    assert len(css) < len(plain) / 2


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_500_page_is_in_the_readers_language(language):
    with translation.override(language):
        response = server_error(RequestFactory().get("/"))
        expected = translation.gettext("Something went wrong")
    body = response.content.decode()
    assert response.status_code == 500
    assert expected in body
    assert f'<html lang="{language}"' in body
    assert ('dir="rtl"' in body) == (language == "ar")
