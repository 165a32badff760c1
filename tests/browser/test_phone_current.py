"""A phone stays current, in Arabic and French at phone size (360×740): its own items' status after moderation, its
votes after a merge, points left across two tabs, drafts kept per kind across phase changes, focus after Send,
the characters counter and a too-long paste, no sideways scrolling at 200 % text size, refusals in the phone's
language, and the page without JavaScript saying that the session moved on.

The facilitator acts over the documented REST API (moderation, merge, phases), as in test_journeys.py; the phone
learns everything over its WebSocket, without reloading by hand.
"""

import pytest
from django.utils import translation

from consultations.models import ItemStatus, Phase

from .conftest import PHONE, new_session, shot, t

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright: run `make setup`").expect

LANGUAGES = ["ar", "fr"]
NO_SCRIPT = (
    "This page does not update by itself without JavaScript: reload it to see what is new. If the session has moved "
    "on when you send something, the page says so and keeps your text."
)
TEXTS = {
    "ar": ["لا توجد حافلات بعد الثامنة مساء", "الملاعب مغلقة يوم الأحد", "لا حافلات في الليل"],
    "fr": ["Pas de bus après 20h dans le quartier", "Les terrains sont fermés le dimanche", "Aucun bus le soir"],
}


def points(language: str, n: int) -> str:
    with translation.override(language):
        return translation.npgettext("phone", "%(n)s point", "%(n)s points", n) % {"n": n}


def moved_on(language: str, msgid: str, phase: Phase) -> str:
    return t(language, msgid) % {"phase": t(language, phase.label)}


def _join(page, code: str, language: str) -> None:
    """Join through the join pages (with or without JavaScript), leaving the optional questions unanswered."""
    page.goto(f"/j/{code}/?lang={language}")
    page.get_by_label(t(language, "I have read this and I want to take part.")).check()
    page.get_by_role("button", name=t(language, "Continue")).click()
    take_part = page.get_by_role("button", name=t(language, "Take part"))
    if take_part.count():
        take_part.click()
    page.wait_for_url(f"**/s/{code}/")


def _room(server, world, title: str, **options) -> tuple[str, str]:
    session = new_session(server, world, title=title, **options)
    return session["join_code"], world.city()["api_token"]


def _phase(server, code: str, token: str, phase: str) -> None:
    server.api("POST", f"/sessions/{code}/phase", {"phase": phase}, token=token)


def _staff_items(server, code: str, token: str) -> dict:
    return {it["text"]: it["id"] for it in server.api("GET", f"/sessions/{code}/state", token=token)["items"]}


def _no_sideways_scrolling(page, width: int = PHONE["width"]) -> bool:
    """Nothing wider than the screen. Compared with the screen's width, not window.innerWidth: a mobile browser
    widens its layout viewport to fit wider content (and zooms out), which hides the overflow from innerWidth."""
    return page.evaluate("width => document.documentElement.scrollWidth <= width + 1", width)


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_after_approval_and_votes_after_a_merge_follow_without_reloading(language, server, world, contexts):
    code, token = _room(
        server,
        world,
        title=f"Current {language}",
        premoderation=True,
        challenge_voting_method="dot",
        dot_points=5,
        dot_max_per_item=3,
    )
    page = contexts(server, language=language, size=PHONE).new_page()
    _join(page, code, language)
    expect(page.locator("#connection")).to_have_text(t(language, "Live"))
    _phase(server, code, token, "challenges")
    mine, first, second = TEXTS[language]
    page.get_by_label(t(language, "Your idea")).fill(mine)
    page.get_by_role("button", name=t(language, "Send")).click()
    badge = page.locator("#mine-items li", has_text=mine).locator(".badge")
    expect(badge).to_have_text(t(language, ItemStatus.PENDING.label))

    # The facilitator approves it: the phone's status follows, without a reload.
    page.evaluate("window.notReloaded = true")
    ids = _staff_items(server, code, token)
    server.api("POST", f"/sessions/{code}/items/{ids[mine]}/moderation", {"action": "approve"}, token=token)
    expect(badge).to_have_text(t(language, ItemStatus.APPROVED.label))
    assert page.evaluate("window.notReloaded === true")
    shot(page, f"current-{language}-phone-1-approved")

    # Two more challenges from another phone, approved: states that change nothing of this phone's own make it
    # read nothing more (a room of 300 phones does not read /me 300 times per state).
    page.wait_for_timeout(1200)  # the re-read after the approval, spread over up to a second, is done
    reads = []
    page.on("request", lambda request: reads.append(request.url) if request.url.endswith("/me") else None)
    other = server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"]
    for text in (first, second):
        server.api("POST", f"/sessions/{code}/items", {"kind": "challenge", "text": text}, participant=other)
    ids = _staff_items(server, code, token)
    for text in (first, second):
        server.api("POST", f"/sessions/{code}/items/{ids[text]}/moderation", {"action": "approve"}, token=token)
    expect(page.locator("#room-list li")).to_have_count(3)
    expect(page.locator("#headcount")).to_have_text("2")
    page.wait_for_timeout(1200)
    assert reads == []
    _phase(server, code, token, "challenge_voting")
    item = page.locator(f"#item-{ids[first]}")
    item.locator("input[name=points]").fill("2")
    item.get_by_role("button", name=t(language, "Give points")).click()
    expect(page.locator("#live-status")).to_have_text(t(language, "Your vote was counted."))
    expect(page.locator("#mine-votes li")).to_have_count(1)
    expect(page.locator("#mine-votes li")).to_contain_text(first)
    expect(page.locator("#mine-votes li strong")).to_have_text(points(language, 2))
    expect(page.locator("#points-left")).to_have_text("3")

    # Over the limit of one item: the refusal is in the phone's language (the fast path's answer).
    target = page.locator(f"#item-{ids[second]}")
    target.locator("input[name=points]").fill("4")
    target.get_by_role("button", name=t(language, "Give points")).click()
    refusal = t(language, "At most %(n)d points can go to one item.") % {"n": 3}
    expect(page.locator("#live-status")).to_contain_text(refusal)
    assert refusal != "At most 3 points can go to one item."

    # The facilitator merges the item voted for into the other: "my votes" follows, without a reload, also on a
    # page freshly opened (it has seen no state before the merge's).
    page.reload()
    expect(page.locator("#connection")).to_have_text(t(language, "Live"))
    page.evaluate("window.notReloaded = true")
    server.api("POST", f"/sessions/{code}/items/{ids[first]}/merge", {"into": ids[second]}, token=token)
    expect(page.locator("#mine-votes li")).to_contain_text(second)
    expect(page.locator("#mine-votes li")).to_have_count(1)
    expect(page.locator("#mine-votes li strong")).to_have_text(points(language, 2))
    expect(page.locator(f"#item-{ids[second]} input[name=points]")).to_have_value("2")
    expect(page.locator("#points-left")).to_have_text("3")
    assert page.evaluate("window.notReloaded === true")
    shot(page, f"current-{language}-phone-2-merged", full_page=True)

    # The facilitator hides the phone's own text after all: its label follows too.
    server.api("POST", f"/sessions/{code}/items/{ids[mine]}/moderation", {"action": "hide"}, token=token)
    expect(badge).to_have_text(t(language, ItemStatus.HIDDEN.label))
    assert page.evaluate("window.notReloaded === true")


@pytest.mark.parametrize(("language", "channel"), [("ar", "broadcast"), ("fr", "broadcast"), ("fr", "storage")])
def test_two_tabs_of_one_participant_agree_on_points_left(language, channel, server, world, contexts):
    code, token = _room(
        server,
        world,
        title=f"Tabs {language}",
        premoderation=False,
        challenge_voting_method="dot",
        dot_points=5,
        dot_max_per_item=3,
    )
    context = contexts(server, language=language, size=PHONE)
    if channel == "storage":  # a browser without BroadcastChannel: the tabs hear each other by storage events
        context.add_init_script("delete window.BroadcastChannel")
    first_tab = context.new_page()
    _join(first_tab, code, language)
    _phase(server, code, token, "challenges")
    other = server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"]
    for text in TEXTS[language][:2]:
        server.api("POST", f"/sessions/{code}/items", {"kind": "challenge", "text": text}, participant=other)
    _phase(server, code, token, "challenge_voting")
    second_tab = context.new_page()
    second_tab.goto(f"/s/{code}/")
    expect(second_tab.locator("#connection")).to_have_text(t(language, "Live"))
    expect(first_tab.locator("#vote-list .vote-item")).to_have_count(2)
    ids = _staff_items(server, code, token)

    item = first_tab.locator(f"#item-{ids[TEXTS[language][0]]}")
    item.locator("input[name=points]").fill("3")
    item.get_by_role("button", name=t(language, "Give points")).click()
    expect(first_tab.locator("#points-left")).to_have_text("2")
    expect(second_tab.locator("#points-left")).to_have_text("2")
    expect(second_tab.locator(f"#item-{ids[TEXTS[language][0]]} input[name=points]")).to_have_value("3")

    item = second_tab.locator(f"#item-{ids[TEXTS[language][1]]}")
    item.locator("input[name=points]").fill("2")
    item.get_by_role("button", name=t(language, "Give points")).click()
    expect(second_tab.locator("#points-left")).to_have_text("0")
    expect(first_tab.locator("#points-left")).to_have_text("0")
    expect(first_tab.locator("#mine-votes li")).to_have_count(2)
    if channel == "storage":
        assert first_tab.evaluate("typeof BroadcastChannel") == "undefined"
        assert first_tab.evaluate("localStorage.length") == 0  # nothing of the participant's stays behind


@pytest.mark.parametrize("language", LANGUAGES)
def test_drafts_are_kept_per_kind_across_phase_changes(language, server, world, contexts):
    code, token = _room(server, world, title=f"Drafts {language}", premoderation=False)
    page = contexts(server, language=language, size=PHONE).new_page()
    _join(page, code, language)
    _phase(server, code, token, "challenges")
    box = page.get_by_label(t(language, "Your idea"))
    challenge = TEXTS[language][0] + " (brouillon)"
    box.fill(challenge)

    # Voting: nothing is collected; the half-written challenge stays on the page, to copy or discard.
    _phase(server, code, token, "challenge_voting")
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.CHALLENGE_VOTING.label))
    drafts = page.locator("#drafts")
    expect(drafts).to_be_visible()
    expect(drafts.locator("textarea")).to_have_value(challenge)
    shot(page, f"current-{language}-phone-3-draft-kept", full_page=True)

    # Proposals: the proposal box starts empty; the challenge is still shown apart.
    _phase(server, code, token, "proposals")
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.PROPOSALS.label))
    proposal_box = page.get_by_label(t(language, "Your idea"))
    expect(proposal_box).to_have_value("")
    expect(drafts.locator("textarea")).to_have_value(challenge)
    proposal = TEXTS[language][1] + " (proposition)"
    proposal_box.fill(proposal)

    # Back to challenges: each text is where it belongs.
    _phase(server, code, token, "challenges")
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.CHALLENGES.label))
    expect(page.get_by_label(t(language, "Your idea"))).to_have_value(challenge)
    expect(drafts.locator("textarea")).to_have_value(proposal)
    drafts.get_by_role("button", name=t(language, "Discard this text")).click()
    expect(drafts).to_be_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
def test_send_focuses_its_result_and_the_counter_says_a_paste_is_too_long(language, server, world, contexts):
    code, token = _room(server, world, title=f"Send {language}", premoderation=False)
    context = contexts(server, language=language, size=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    _join(page, code, language)
    _phase(server, code, token, "challenges")
    box = page.get_by_label(t(language, "Your idea"))
    counter = page.locator("#text-counter")
    expect(counter).to_have_text(t(language, "Characters left: %(n)s") % {"n": 500})
    box.fill(TEXTS[language][0])
    expect(counter).to_have_text(t(language, "Characters left: %(n)s") % {"n": 500 - len(TEXTS[language][0])})

    page.get_by_role("button", name=t(language, "Send")).click()
    result = page.locator("#submit-status")
    expect(result).to_have_text(t(language, "Thank you! Your text is now on the screen."))
    expect(result).to_be_focused()

    # A paste longer than the limit is kept whole, and the page says so.
    long_text = ("أ" if language == "ar" else "a") * 520
    page.evaluate("text => navigator.clipboard.writeText(text)", long_text)
    box.focus()
    page.keyboard.press("Control+V")
    expect(box).to_have_value(long_text)
    too_long = t(language, "Too long: at most %(n)s characters. Nothing was cut; shorten it before sending.") % {
        "n": 500
    }
    expect(page.locator("#live-status")).to_have_text(too_long)
    expect(counter).to_have_text(t(language, "Characters over the limit: %(n)s") % {"n": 20})
    page.get_by_role("button", name=t(language, "Send")).click()
    expect(page.locator("#live-status")).to_contain_text(too_long)
    expect(box).to_be_focused()
    expect(box).to_have_value(long_text)
    shot(page, f"current-{language}-phone-4-too-long")


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_sideways_scrolling_at_200_percent_text_size(language, server, world, contexts):
    code, token = _room(
        server,
        world,
        title=f"Zoom {language} avec un titre de séance assez long",
        premoderation=True,
        challenge_voting_method="dot",
        dot_points=5,
        dot_max_per_item=3,
    )
    page = contexts(server, language=language, size=PHONE).new_page()
    page.goto(f"/j/{code}/?lang={language}")  # the join page too
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert _no_sideways_scrolling(page), "join"
    _join(page, code, language)
    other = server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"]
    for phase in ("challenges", "challenge_voting", "results"):
        _phase(server, code, token, phase)
        expect(page.locator("#phase-name")).to_have_text(t(language, Phase(phase).label))
        if phase == "challenges":
            server.api(
                "POST",
                f"/sessions/{code}/items",
                {"kind": "challenge", "text": "Inscription https://exemple.ma/une-adresse-tres-longue-sans-espaces"},
                participant=other,
            )
            for item_id in _staff_items(server, code, token).values():
                server.api("POST", f"/sessions/{code}/items/{item_id}/moderation", {"action": "approve"}, token=token)
            page.get_by_label(t(language, "Your idea")).fill(TEXTS[language][0])
            page.get_by_role("button", name=t(language, "Send")).click()
            expect(page.locator("#room-list li")).to_have_count(1)
            # Held for moderation: the longest status a badge shows ("En attente de modération").
            expect(page.locator("#mine-items .badge")).to_have_text(t(language, ItemStatus.PENDING.label))
        # Text size 200 % (the phone's font setting), then page zoom 200 % (a 360 px screen shows 180 CSS px).
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert _no_sideways_scrolling(page), (phase, "text")
        page.evaluate("document.documentElement.style.fontSize = ''")
        page.set_viewport_size({"width": PHONE["width"] // 2, "height": PHONE["height"] // 2})
        assert _no_sideways_scrolling(page, PHONE["width"] // 2), (phase, "page zoom")
        page.set_viewport_size(PHONE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_page_without_javascript_says_the_session_moved_on(language, server, world, contexts):
    code, token = _room(server, world, title=f"No script {language}", premoderation=False)
    page = contexts(server, language=language, size=PHONE, java_script_enabled=False).new_page()
    _join(page, code, language)
    _phase(server, code, token, "challenges")
    page.reload()
    expect(page.locator("noscript, .notice", has_text=t(language, NO_SCRIPT))).to_have_count(1)
    text = TEXTS[language][0]
    page.get_by_label(t(language, "Your idea")).fill(text)
    _phase(server, code, token, "challenge_voting")  # the page cannot know: no script
    page.get_by_role("button", name=t(language, "Send")).click()
    message = moved_on(
        language,
        "The session has moved on to “%(phase)s”: your text was not sent. It is kept below to copy.",
        Phase.CHALLENGE_VOTING,
    )
    expect(page.locator(".messages")).to_contain_text(message)
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.CHALLENGE_VOTING.label))
    expect(page.locator("#unsent-text")).to_have_value(text)
    shot(page, f"current-{language}-phone-6-no-script", full_page=True)
    assert _staff_items(server, code, token) == {}  # nothing was submitted

    # A vote from a page shown before the results: not counted, and the page says why.
    other = server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"]
    _phase(server, code, token, "challenges")
    server.api("POST", f"/sessions/{code}/items", {"kind": "challenge", "text": TEXTS[language][1]}, participant=other)
    _phase(server, code, token, "challenge_voting")
    page.goto(f"/s/{code}/")
    _phase(server, code, token, "results")
    page.get_by_role("button", name=t(language, "Support")).click()
    expect(page.locator(".messages")).to_contain_text(
        moved_on(language, "The session has moved on to “%(phase)s”: your vote was not counted.", Phase.RESULTS)
    )
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.RESULTS.label))


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_answer_without_a_message_is_worded_in_the_phone_s_language(language, server, world, contexts):
    """A proxy's error page (502, HTML) has no message of ours: the phone says so in its language, not in the
    browser's English status text, and keeps the text."""
    code, token = _room(server, world, title=f"Proxy {language}", premoderation=False)
    page = contexts(server, language=language, size=PHONE).new_page()
    _join(page, code, language)
    _phase(server, code, token, "challenges")
    page.route("**/api/v1/sessions/*/items", lambda route: route.fulfill(status=502, body="<h1>Bad Gateway</h1>"))
    box = page.get_by_label(t(language, "Your idea"))
    box.fill(TEXTS[language][0])
    page.get_by_role("button", name=t(language, "Send")).click()
    expect(page.locator("#live-status")).to_contain_text(
        t(language, "The server could not answer. Try again in a moment.")
    )
    expect(page.locator("#live-status")).not_to_contain_text("Bad Gateway")
    expect(box).to_have_value(TEXTS[language][0])
