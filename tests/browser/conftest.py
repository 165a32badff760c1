"""Every role's journey in Debian's Chromium, driven by Playwright.

The world: one SQLite file per test run, migrated and filled with the demo data (`seed_demo --json`) in a
subprocess, and served by uvicorn (HTTP and WebSocket, `config.asgi`) in a subprocess per test module, exactly
as `make run` serves it. Tests act through the browser and the documented REST API only; they never open the
database themselves, so the pages are checked as a person sees them.

One Chromium per test run (Playwright never downloads a browser: it launches /usr/bin/chromium); each test
opens its own context (cookies, language, screen size). Tests here skip, with the reason, when Chromium or
Playwright is missing. Set MAJLIS_SCREENSHOTS=<dir> to keep screenshots of the journeys (`docs/guide.md`).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from cities.exports import CHROMIUM_FLAGS
from tests.live_server import LiveServer

CHROMIUM = os.environ.get("MAJLIS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = CHROMIUM_FLAGS
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
PROJECTOR = {"width": 1920, "height": 1080}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
SCREENSHOTS = os.environ.get("MAJLIS_SCREENSHOTS", "")


def _missing() -> str:
    if not Path(CHROMIUM).exists():
        return "needs Debian's Chromium (/usr/bin/chromium): run `make browser` as root"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        return "needs playwright and axe-playwright-python: run `make setup`"
    return ""


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def t(language: str, text) -> str:
    """text (a msgid or a lazy translation such as a choice's label) as a reader of language sees it."""
    with translation.override(language):
        return translation.gettext(text) if isinstance(text, str) else str(text)


# --- the world: a database with the demo data ------------------------------------------------------------


@dataclass
class World:
    database_url: str
    seed: dict
    env: dict = field(default_factory=dict)

    def city(self, slug: str = "fes") -> dict:
        return next(c for c in self.seed["cities"] if c["slug"] == slug)


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    if _missing():
        pytest.skip(_missing())
    path = tmp_path_factory.mktemp("majlis-browser") / "majlis.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # A youth team signs up and goes on at once (no mail server in the tests).
        "ACCOUNT_EMAIL_VERIFICATION": "optional",
        "MAJLIS_REALTIME_TICK": "0.05",
    }
    for name in ("REDIS_URL", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    _manage(env, "migrate", "--no-input", "-v", "0")
    seed = json.loads(_manage(env, "seed_demo", "--json"))
    return World(database_url=env["DATABASE_URL"], seed=seed, env=env)


# --- the server -------------------------------------------------------------------------------------------


class Server(LiveServer):
    """uvicorn serving the world's database on a free port; it can be stopped and started again on that port."""

    def __init__(self, world: World):
        super().__init__(world.env, options=["--ws-ping-interval", "5"])
        self.world = world

    # The documented REST API (docs/api.md), for what other people do while the browser watches.
    def api(self, method: str, path: str, body=None, *, token: str = "", participant: str = ""):
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Token {token}"
        elif participant:
            headers["Authorization"] = f"Participant {participant}"
        request = urllib.request.Request(  # noqa: S310 - local
            f"{self.url}/api/v1{path}",
            method=method,
            headers=headers,
            data=None if body is None else json.dumps(body).encode(),
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - local
                text = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path} -> {error.code}: {error.read()[:500]!r}") from None
        return json.loads(text) if text else None


@pytest.fixture(scope="module")
def server(world):
    process = Server(world)
    process.start()
    yield process
    process.stop()


# --- the browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if _missing():
        pytest.skip(_missing())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser, server: Server, *, language: str = "en", size: dict = DESKTOP, **options):
    """A fresh browser profile showing the site in language at size (a phone is a touch screen)."""
    context = browser.new_context(
        viewport=size,
        is_mobile=size["width"] < 800,
        has_touch=size["width"] < 800,
        locale={"ar": "ar-MA", "fr": "fr-FR"}.get(language, "en-GB"),
        base_url=server.url,
        **options,
    )
    context.add_cookies([{"name": "majlis_language", "value": language, "url": server.url}])
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def contexts(browser):
    """Opens contexts with new_context and closes them after the test."""
    opened = []

    def open_context(server, **kwargs):
        context = new_context(browser, server, **kwargs)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


# The guide shows Arabic on a phone and French on a desktop; the other variants are tested, not pictured.
NOT_PICTURED = ("-ar-desktop-", "-fr-phone-")


def shot(page, name: str, *, full_page: bool = False) -> None:
    """Keep a screenshot for the guide when MAJLIS_SCREENSHOTS names a directory."""
    if SCREENSHOTS and not any(part in name for part in NOT_PICTURED):
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=full_page, animations="disabled")


def new_session(server: Server, world: World, *, title: str, city: str = "fes", **options) -> dict:
    """A new live session of the city's demo consultation, created over the staff API."""
    info = world.city(city)
    return server.api(
        "POST",
        f"/consultations/{info['consultation_id']}/sessions/",
        {"title": title, **options},
        token=info["api_token"],
    )


@pytest.fixture(scope="session")
def tmp_dir():
    path = tempfile.mkdtemp(prefix="majlis-browser-")
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def signed_in(browser, server, world):
    """signed_in(role, city="fes") -> the storage state (cookies) of that demo staff member, signed in through
    the sign-in page once per module."""
    states: dict = {}

    def state(role: str, city: str = "fes") -> dict:
        if (role, city) not in states:
            creds = world.city(city)["staff"][role]
            context = new_context(browser, server)
            try:
                page = context.new_page()
                page.goto("/accounts/login/")
                page.locator("#id_login").fill(creds["email"])
                page.locator("#id_password").fill(creds["password"])
                page.locator("main form button[type=submit]").first.click()
                page.wait_for_url("**/staff/")
                states[role, city] = context.storage_state()
            finally:
                context.close()
        return states[role, city]

    return state
