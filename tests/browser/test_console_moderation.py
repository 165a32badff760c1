"""The facilitator keeps up with a room of 100 writers: the console at 1366×768 (and on a tablet), in Arabic and
French, updates by itself, clears the queue in a few actions, merges a suggested duplicate and undoes it, without
reloading the page. The 100 items come from participants over the documented REST API."""

import pytest

from consultations.models import HideReason

from .a11y import axe_problems
from .conftest import new_session, shot, t

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright: run `make setup`").expect

LAPTOP = {"width": 1366, "height": 768}
TABLETS = [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}]
ORIGINAL = "Plus de bus le soir après 20h vers Saiss"
DUPLICATE = "plus de bus le soir apres 20h vers saiss !"
MERGE_EXPLAINED = (
    "The duplicate disappears from every screen. Its ballots move to the item kept; a participant who supported both "
    "keeps one ballot there (points added up, up to the most one item may receive). You can undo it."
)


def _room(server, world, title: str, n: int = 100, writers: int = 25) -> tuple[str, str, list[str]]:
    """A session collecting challenges with n pending items from `writers` participants. Returns (code, token)."""
    token = world.city("fes")["api_token"]
    session = new_session(server, world, title=title, premoderation=True)
    code = session["join_code"]
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    people = [server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"] for _ in range(writers)]
    texts = [ORIGINAL, *(f"Idée numéro {i} : un espace pour les jeunes du quartier {i}" for i in range(n - 1))]
    for i, text in enumerate(texts):
        server.api(
            "POST", f"/sessions/{code}/items", {"kind": "challenge", "text": text}, participant=people[i % writers]
        )
    return code, token, people


def _fits(page) -> None:
    """Nothing sideways: no horizontal scroll of the page, and every visible button of the console inside the window."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    outside = page.evaluate(
        """() => Array.from(document.querySelectorAll('#moderation button, #moderation input, .console-join .button'))
          .filter(b => b.offsetParent !== null && !b.closest('dialog'))
          .filter(b => { const r = b.getBoundingClientRect(); return r.left < -1 || r.right > window.innerWidth + 1; })
          .map(b => b.textContent || b.name)"""
    )
    assert outside == []


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_queue_of_100_is_cleared_and_a_duplicate_merged_and_undone_without_reloading(
    language, server, world, contexts, signed_in
):
    code, token, people = _room(server, world, f"Salle comble {language}", n=99)
    context = contexts(server, language=language, size=LAPTOP, storage_state=signed_in("facilitator"))
    page = context.new_page()
    page.goto(f"/staff/fes/sessions/{code}/")
    page.evaluate("window.__stillThisPage = 'yes'")
    expect(page.locator("#connection")).to_have_text(t(language, "Live"))
    # The 100th writer sends the duplicate while the console is open: it arrives by itself, with its suggestion.
    server.api("POST", f"/sessions/{code}/items", {"kind": "challenge", "text": DUPLICATE}, participant=people[-1])
    expect(page.locator("#pending-count")).to_have_text("100")
    assert page.locator("#queue .queue-item").count() == 100
    assert page.evaluate("document.documentElement.scrollHeight") < 4 * 768  # the queue scrolls inside its card
    _fits(page)
    assert axe_problems(page) == []
    shot(page, f"console-{language}-laptop-1-queue")

    # The duplicate: suggested beside it, merged with a confirmation that says what happens, then undone.
    row = page.locator("#queue .queue-item").filter(has=page.locator(".queue-text .item-text", has_text=DUPLICATE))
    expect(row.locator(".suggest")).to_contain_text(ORIGINAL)
    row.get_by_role("button", name=t(language, "Merge into it")).click()
    dialog = page.locator("#merge-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(t(language, MERGE_EXPLAINED))
    expect(dialog.locator("input[name=merge-target]:checked")).to_have_count(1)
    expect(dialog.locator("label", has=page.locator("input:checked"))).to_contain_text(ORIGINAL)
    assert axe_problems(page) == []
    shot(page, f"console-{language}-laptop-2-merge")
    dialog.get_by_role("button", name=t(language, "Merge"), exact=True).click()
    expect(page.locator("#pending-count")).to_have_text("99")
    notice = page.locator("#merge-notice")
    expect(notice).to_be_visible()
    expect(notice).to_be_in_viewport()  # in sight although the duplicate was at the bottom of the queue
    expect(page.locator("#merges")).to_contain_text(DUPLICATE)
    shot(page, f"console-{language}-laptop-3-merged")
    notice.get_by_role("button", name=t(language, "Undo")).click()
    expect(page.locator("#pending-count")).to_have_text("100")
    expect(page.locator("#queue")).to_contain_text(DUPLICATE)
    expect(page.locator("#merges")).to_contain_text(t(language, "undone"))

    # Select five with the keyboard (j to move, x to select), hide them with a reason.
    page.locator("#queue .queue-item").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("?")
    for _ in range(5):
        page.keyboard.press("x")
        page.keyboard.press("j")
    expect(page.locator("#queue .pick:checked")).to_have_count(5)
    page.keyboard.press("h")
    hide = page.locator("#hide-dialog")
    expect(hide).to_be_visible()
    hide.get_by_label(t(language, HideReason.OFF_TOPIC.label)).check()
    shot(page, f"console-{language}-laptop-4-hide")
    hide.get_by_role("button", name=t(language, "Hide"), exact=True).click()
    expect(page.locator("#pending-count")).to_have_text("95")
    expect(page.locator("#items .status-hidden")).to_have_count(5)

    # Select all shown, approve: the queue is empty.
    page.get_by_label(t(language, "Select all shown")).check()
    expect(page.locator("#selected-count")).to_contain_text("95")
    page.locator("#bulk-approve").click()
    expect(page.locator("#pending-count")).to_have_text("0")
    expect(page.locator("#items .status-approved")).to_have_count(95)
    state = server.api("GET", f"/sessions/{code}/state", token=token)
    assert sorted(it["status"] for it in state["items"]).count("approved") == 95
    _fits(page)
    shot(page, f"console-{language}-laptop-5-cleared")
    assert page.evaluate("window.__stillThisPage") == "yes"  # never reloaded


@pytest.mark.parametrize("size", TABLETS, ids=["landscape", "portrait"])
def test_the_console_fits_a_tablet_in_arabic(size, server, world, contexts, signed_in):
    code, _token, _people = _room(server, world, f"Tablette {size['width']}", n=30, writers=10)
    context = contexts(server, language="ar", size=size, storage_state=signed_in("facilitator"))
    page = context.new_page()
    page.goto(f"/staff/fes/sessions/{code}/")
    expect(page.locator("#pending-count")).to_have_text("30")
    page.locator("#moderation").scroll_into_view_if_needed()
    _fits(page)
    shot(page, f"console-ar-tablet-{size['width']}")


def test_a_burst_of_submissions_costs_the_console_a_few_small_requests(server, world, contexts, signed_in):
    code, _token, _people = _room(server, world, "Rafale", n=1, writers=1)
    people = [server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"] for _ in range(12)]
    context = contexts(server, language="fr", size=LAPTOP, storage_state=signed_in("facilitator"))
    page = context.new_page()
    page.goto(f"/staff/fes/sessions/{code}/")
    expect(page.locator("#connection")).to_have_text(t("fr", "Live"))
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    for i in range(120):  # ten each, as fast as the API takes them
        text = f"Proposition rapide numéro {i} pour le quartier"
        server.api("POST", f"/sessions/{code}/items", {"kind": "challenge", "text": text}, participant=people[i % 12])
    expect(page.locator("#pending-count")).to_have_text("121")
    boards = [url for url in asked if url.endswith("/moderation")]
    assert 1 <= len(boards) <= 12, len(boards)  # at most one read per 1.5 s of the burst, and one after it
    # The page itself (for results by group and suspicious joins) at most every 15 s, not per state.
    assert len([url for url in asked if url.rstrip("/").endswith(f"/sessions/{code}")]) <= 1


def test_without_javascript_the_plain_forms_approve_and_hide_many(server, world, contexts, signed_in):
    code, _token, _people = _room(server, world, "Sans script", n=12, writers=3)
    context = contexts(
        server, language="fr", size=LAPTOP, storage_state=signed_in("facilitator"), java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"/staff/fes/sessions/{code}/")
    page.locator("#queue .pick").nth(0).check()
    page.locator("#queue .pick").nth(1).check()
    page.locator("#bulk-approve").click()
    expect(page.locator("#pending-count")).to_have_text("10")
    page.locator("#queue .pick").nth(0).check()
    page.locator("#bulk-reason").select_option("off_topic")
    page.locator("#bulk-hide").click()
    expect(page.locator("#pending-count")).to_have_text("9")
    expect(page.locator("#items .status-approved")).to_have_count(2)
    expect(page.locator("#items .status-hidden")).to_have_count(1)
    _fits(page)
