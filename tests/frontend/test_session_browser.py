"""The live pages in Debian's Chromium (headless, phone size), against a real ASGI server (uvicorn).

Chromium is driven through the DevTools protocol with the `websockets` package (already a dev dependency), so
no browser-automation library is needed. Writes by the facilitator go through the server (REST API with a
staff token), so that the server's real-time hub announces them to the pages, as in a real room.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from cities.exports import CHROMIUM_FLAGS
from cities.services import api_token_issue
from consultations import services
from consultations.models import Ballot, Item, ItemStatus, Participant
from tests.live_server import server_for_test_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="needs Debian's Chromium: apt-get install -y chromium chromium-driver"
    ),
]

SCREENSHOTS = Path(os.environ.get("MAJLIS_SCREENSHOTS", tempfile.gettempdir()))


class Chromium:
    """A headless Chromium tab driven through the DevTools protocol."""

    def __init__(self, width: int, height: int):
        from websockets.sync.client import connect

        self.dir = tempfile.mkdtemp(prefix="majlis-chromium-")
        self.proc = subprocess.Popen(  # noqa: S603 - a fixed local binary
            [
                CHROMIUM,
                "--headless",
                *CHROMIUM_FLAGS,
                "--remote-debugging-port=0",
                f"--user-data-dir={self.dir}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.dir) / "DevToolsActivePort"
        deadline = time.time() + 20
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.time() > deadline:
                raise TimeoutError("Chromium did not start")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = []
        while not pages:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as response:
                pages = [t for t in json.load(response) if t["type"] == "page"]
        self.connection = connect(pages[0]["webSocketDebuggerUrl"], max_size=64 * 2**20)
        self.ws = self.connection.__enter__()
        self.next_id = 0
        self.send("Page.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 800
        )

    def send(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message.get("result", {})

    def eval(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.eval(expression):
                    return
            except RuntimeError:
                pass  # the page is navigating
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for: {expression}")

    def goto(self, url: str):
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def screenshot(self, name: str):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        (SCREENSHOTS / name).write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.connection.__exit__(None, None, None)
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def live_server_process(transactional_db):
    """uvicorn serving the test database (without Redis); a test may stop and start it again."""
    server = server_for_test_database()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(live_server_process):
    return live_server_process.url


def _api(base: str, key: str, path: str, body: dict):
    request = urllib.request.Request(  # noqa: S310 - local
        f"{base}/api/v1{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local
        return json.load(response)


def _staff_cookie(user) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def test_phone_joins_submits_and_votes_while_the_projector_updates_live(server, city_a, facilitator):
    consultation = services.consultation_create(city=city_a, title="Fes", created_by=facilitator)
    session = services.session_create(
        consultation=consultation, title="Evening", created_by=facilitator, premoderation=True
    )
    code = session.join_code
    _, key = api_token_issue(user=facilitator)
    phone = Chromium(360, 740)
    projector = Chromium(1920, 1080)
    console = Chromium(1280, 900)
    try:
        # Join at phone size: consent, then the optional questions, then the live page over the WebSocket.
        phone.goto(f"{server}/j/{code}/?lang=ar")
        assert phone.eval("document.documentElement.dir") == "rtl"
        phone.eval("document.getElementById('id_consent').click(); document.querySelector('form.card').submit()")
        phone.wait_for("!!document.querySelector('select[name=age_band]')")
        phone.eval(
            "document.querySelector('select[name=age_band]').value = '18_24';"
            "document.querySelector('form.card').submit()"
        )
        phone.wait_for(f"location.pathname === '/s/{code}/' && document.readyState === 'complete'")
        phone.wait_for(
            "document.getElementById('connection').classList.contains('is-down') === false"
            " && !document.getElementById('connection').hidden"
        )
        assert Participant.objects.get().age_band == "18_24"
        assert phone.eval("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling

        projector.send("Network.setCookie", name="sessionid", value=_staff_cookie(facilitator), url=server)
        projector.goto(f"{server}/staff/{city_a.slug}/sessions/{code}/projector/")
        projector.wait_for("!document.getElementById('connection').hidden")
        projector.eval("window.notReloaded = true")
        console.send("Network.setCookie", name="sessionid", value=_staff_cookie(facilitator), url=server)
        console.goto(f"{server}/staff/{city_a.slug}/sessions/{code}/")
        console.wait_for("!document.getElementById('connection').hidden")
        console.eval("window.notReloaded = true")

        # The facilitator opens the challenges: the phone shows the form without a reload by hand.
        _api(server, key, f"/sessions/{code}/phase", {"phase": "challenges"})
        phone.wait_for("!!document.querySelector('.submit-form textarea')")
        projector.wait_for("document.getElementById('phase-name').textContent === 'Challenges'")
        assert projector.eval("window.notReloaded") is True

        # Submitting with JavaScript goes through the REST API and keeps the page.
        phone.eval(
            "document.querySelector('.submit-form textarea').value = 'Streets are dark at night';"
            "document.querySelector('.submit-form button[type=submit]').click()"
        )
        phone.wait_for("document.querySelector('.submit-form textarea').value === ''")
        item = Item.objects.get()
        assert (item.text, item.status) == ("Streets are dark at night", ItemStatus.PENDING)
        phone.wait_for("document.getElementById('mine-items').textContent.includes('Streets are dark')")

        # The console's moderation queue updates by itself.
        console.wait_for("document.getElementById('pending-count').textContent.trim() === '1'")
        assert console.eval("window.notReloaded") is True

        # Approved: it appears on the projector live, with no reload.
        _api(server, key, f"/sessions/{code}/items/{item.pk}/moderation", {"action": "approve"})
        projector.wait_for("document.getElementById('projector-items').textContent.includes('Streets are dark')")
        assert projector.eval("window.notReloaded") is True
        assert projector.eval("document.body.scrollHeight <= window.innerHeight + 1")
        projector.screenshot("majlis-projector.png")

        # Voting: a toggle button per item; the vote is sent over the API and shown as pressed.
        _api(server, key, f"/sessions/{code}/phase", {"phase": "challenge_voting"})
        phone.wait_for("!!document.querySelector('#vote-list .vote-toggle')")
        phone.eval("document.querySelector('#vote-list .vote-toggle').click()")
        phone.wait_for("document.querySelector('#vote-list .vote-toggle').getAttribute('aria-pressed') === 'true'")
        assert Ballot.objects.filter(item=item).count() == 1
        phone.screenshot("majlis-phone-voting.png")
    finally:
        phone.close()
        projector.close()
        console.close()


def test_a_vote_refused_by_the_server_is_reported_and_not_shown_as_counted(server, city_a, facilitator):
    consultation = services.consultation_create(
        city=city_a, title="Fes", created_by=facilitator, ask_age_band=False, ask_gender=False, ask_district=False
    )
    session = services.session_create(
        consultation=consultation, title="Evening", created_by=facilitator, premoderation=False
    )
    code = session.join_code
    author = services.participant_join(code=code, consent=True)
    services.session_set_phase(session=session, phase="challenges", actor=facilitator)
    item = services.item_submit(participant=author, kind="challenge", text="Too few buses")
    services.session_set_phase(session=session, phase="challenge_voting", actor=facilitator)
    _, key = api_token_issue(user=facilitator)
    phone = Chromium(360, 740)
    # This page never hears from the WebSocket, so it still shows the voting phase when the vote is sent.
    phone.send(
        "Page.addScriptToEvaluateOnNewDocument",
        source="window.WebSocket = function () { this.send = function () {}; this.close = function () {}; };",
    )
    try:
        phone.goto(f"{server}/j/{code}/")
        phone.eval("document.getElementById('id_consent').click(); document.querySelector('form.card').submit()")
        phone.wait_for(f"location.pathname === '/s/{code}/' && !!document.querySelector('#vote-list .vote-toggle')")
        _api(server, key, f"/sessions/{code}/phase", {"phase": "results"})
        phone.eval("document.querySelector('#vote-list .vote-toggle').click()")
        phone.wait_for("document.getElementById('live-status').classList.contains('is-error')")
        status = phone.eval("document.getElementById('live-status').textContent")
        assert "NOT sent" in status and "not open now" in status
        assert phone.eval("document.querySelector('#vote-list .vote-toggle').getAttribute('aria-pressed')") == "false"
        assert phone.eval("!!document.querySelector('#vote-list .vote-error')")
    finally:
        phone.close()
    assert Ballot.objects.filter(item=item).count() == 0


def test_page_shows_reconnecting_and_resynchronises_after_the_server_restarts(live_server_process, city_a, facilitator):
    server = live_server_process.url
    consultation = services.consultation_create(
        city=city_a, title="Fes", created_by=facilitator, ask_age_band=False, ask_gender=False, ask_district=False
    )
    session = services.session_create(consultation=consultation, title="Evening", created_by=facilitator)
    code = session.join_code
    phone = Chromium(360, 740)
    phone.send(
        "Page.addScriptToEvaluateOnNewDocument",
        source="window.fetched = []; var f = window.fetch;"
        " window.fetch = function (url, options) { window.fetched.push(String(url)); return f(url, options); };",
    )
    try:
        phone.goto(f"{server}/j/{code}/")
        phone.eval("document.getElementById('id_consent').click(); document.querySelector('form.card').submit()")
        phone.wait_for(f"location.pathname === '/s/{code}/' && document.readyState === 'complete'")
        phone.wait_for("!document.getElementById('connection').hidden")
        assert phone.eval("document.getElementById('headcount').textContent") == "1"

        live_server_process.stop()
        phone.wait_for("document.getElementById('connection').classList.contains('is-down')")
        assert "Reconnecting" in phone.eval("document.getElementById('connection').textContent")
        # Changes made while the page was disconnected (nobody could tell it).
        for _ in range(2):
            services.participant_join(code=code, consent=True)

        live_server_process.start()
        phone.wait_for("!document.getElementById('connection').classList.contains('is-down')", timeout=30)
        phone.wait_for("document.getElementById('headcount').textContent === '3'")
        phone.wait_for(f"window.fetched.includes('/api/v1/sessions/{code}/state')")  # the REST resync
    finally:
        phone.close()
