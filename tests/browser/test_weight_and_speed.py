"""Light and fast: the participant pages weigh under 100 KB transferred on a first load (HTML, CSS, JS, fonts,
with an empty cache) and are usable within 3 s on an emulated slow 3G connection (400 kbit/s, 400 ms round
trip); nothing is fetched from another site. The figures are printed (pytest -s) for docs/benchmarks.md."""

import json
import time

import pytest

from .conftest import PHONE, new_session, t

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright: run `make setup`").expect

BUDGET_BYTES = 100 * 1024
BUDGET_SECONDS = 3.0
LIVE = t("ar", "Live")
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 / 8, "uploadThroughput": 400 * 1000 / 8}


class Transfers:
    """Bytes received per request (headers and body, as on the wire) seen through the DevTools protocol."""

    def __init__(self, cdp):
        self.requests: dict[str, dict] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.webSocketCreated", self._socket)

    def _sent(self, event):
        self.requests[event["requestId"]] = {"url": event["request"]["url"], "type": event.get("type", ""), "bytes": 0}

    def _received(self, event):
        self.requests.setdefault(event["requestId"], {"url": event["response"]["url"], "bytes": 0})
        self.requests[event["requestId"]]["type"] = event.get("type", "")

    def _finished(self, event):
        if event["requestId"] in self.requests:
            self.requests[event["requestId"]]["bytes"] = event["encodedDataLength"]

    def _socket(self, event):
        self.requests[event["requestId"]] = {"url": event["url"], "type": "WebSocket", "bytes": 0}

    def take(self) -> list[dict]:
        done, self.requests = list(self.requests.values()), {}
        return done


def _page_weight(requests: list[dict]) -> int:
    return sum(r["bytes"] for r in requests if r["type"] in ("Document", "Stylesheet", "Script", "Font", "Image"))


def _kinds(requests: list[dict]) -> set[str]:
    return {r["type"] for r in requests}


def _foreign(requests: list[dict], origin: str) -> list[str]:
    local = (origin, origin.replace("http", "ws", 1), "data:")
    return [r["url"] for r in requests if not r["url"].startswith(local)]


def _until(page, expression: str, timeout: float = 15) -> None:
    """Wait for a condition (page.wait_for_function would need 'unsafe-eval', which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.02)


def test_participant_pages_are_light_and_usable_on_slow_3g(server, world, contexts):
    session = new_session(server, world, title="Slow network", premoderation=False)
    code, token = session["join_code"], world.city()["api_token"]
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    context = contexts(server, language="ar", size=PHONE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # every page as on a first visit
    transfers = Transfers(cdp)
    figures: dict = {}

    # Page weight, on a normal connection: the join page (consent), the optional questions, the live page.
    page.goto(f"/j/{code}/")
    page.wait_for_load_state("networkidle")
    figures["consent"] = transfers.take()
    page.locator("#id_consent").check()
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**step=profile")
    page.wait_for_load_state("networkidle")
    figures["questions"] = transfers.take()
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"**/s/{code}/")
    expect(page.locator("#connection")).to_have_text(LIVE)
    page.wait_for_load_state("networkidle")
    figures["live"] = transfers.take()

    # Slow 3G: from following the link to a usable page (the control a person needs is shown and enabled).
    slow = contexts(server, language="ar", size=PHONE)
    fresh = slow.new_page()
    slow_cdp = slow.new_cdp_session(fresh)
    slow_cdp.send("Network.enable")
    slow_cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    slow_cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    slow_transfers = Transfers(slow_cdp)
    started = time.monotonic()
    fresh.goto(f"/j/{code}/", wait_until="commit")
    expect(fresh.locator("form.card button[type=submit]")).to_be_enabled(timeout=15_000)
    _until(fresh, "document.readyState !== 'loading' && document.styleSheets.length >= 2")
    consent_seconds = time.monotonic() - started
    fresh.locator("#id_consent").check()
    fresh.locator("form.card button[type=submit]").click()
    fresh.wait_for_url("**step=profile")
    started = time.monotonic()
    fresh.locator("form.card button[type=submit]").click()
    fresh.wait_for_url(f"**/s/{code}/", wait_until="commit")
    expect(fresh.locator(".submit-form button[type=submit]")).to_be_enabled(timeout=15_000)
    _until(fresh, "document.styleSheets.length >= 2")
    live_seconds = time.monotonic() - started
    expect(fresh.locator("#connection")).to_have_text(LIVE, timeout=15_000)
    live_connected_seconds = time.monotonic() - started
    slow_requests = slow_transfers.take()

    weights = {name: _page_weight(requests) for name, requests in figures.items()}
    report = {
        "bytes": weights,
        "requests": {name: len(requests) for name, requests in figures.items()},
        "by_type": {
            name: {kind: sum(r["bytes"] for r in requests if r["type"] == kind) for kind in _kinds(requests)}
            for name, requests in figures.items()
        },
        "slow_3g_seconds": {
            "consent_usable": round(consent_seconds, 2),
            "live_usable": round(live_seconds, 2),
            "live_connected": round(live_connected_seconds, 2),
        },
    }
    print("\nBROWSER-BENCHMARK " + json.dumps(report))
    for name, weight in weights.items():
        assert weight < BUDGET_BYTES, f"the {name} page weighs {weight} bytes: {figures[name]}"
    assert consent_seconds < BUDGET_SECONDS, report
    assert live_seconds < BUDGET_SECONDS, report
    everything = [r for requests in figures.values() for r in requests] + slow_requests
    assert _foreign(everything, server.url) == []
