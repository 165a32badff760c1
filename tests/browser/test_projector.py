"""The projector at its real size: 150 (and 5) approved items at 1280×720 and 1920×1080, in Arabic and French.

The room is filled through the documented REST API (participants join and submit; nothing is pre-moderated);
the projector, opened by a signed-in facilitator, must show every item within one cycle of its pages, each card
whole inside the screen, the newest highlighted and shown at once; fit the results of both kinds, counted as
points under dot voting and as votes under approval voting; say where the results are once the session is
closed, with no join code; and never show a staff message. Pages turn every `?interval=` seconds (short here).
"""

import math
import time

import pytest

from .a11y import axe_problems
from .conftest import PROJECTOR, new_session, shot, t

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright: run `make setup`").expect

HD = {"width": 1280, "height": 720}
SIZES = {"720p": HD, "1080p": PROJECTOR}
VARIANTS = [(language, size) for language in ("ar", "fr") for size in SIZES]
INTERVAL = 0.4  # seconds per page in these tests
PER_PAGE = 6  # projector.css: --cols 2, --rows 3
BAR_ROWS = 5  # projector.css: --bar-rows
PER_PARTICIPANT = 5  # items each participant writes (the rate limit allows 10 a minute)

PHRASES = {
    "fr": [
        "Pas assez de terrains de sport ouverts le week-end",
        "Les bus s'arrêtent trop tôt le soir : impossible de rentrer après les cours du soir au centre culturel",
        "Manque de salles d'étude calmes",
        "Les jeunes diplômés ne trouvent pas de stage dans la ville, même après des mois de recherche et des dizaines"
        " de candidatures envoyées aux entreprises et aux administrations",
        "Trop de déchets dans les rues du quartier",
        "La maison des jeunes ferme pendant les vacances, alors que c'est là qu'on en a le plus besoin",
    ],
    "ar": [
        "ملاعب القرب مغلقة يوم السبت",
        "الحافلات تتوقف مبكرا في المساء ولا نستطيع العودة بعد دروس المساء في المركز الثقافي",
        "لا توجد قاعات هادئة للمراجعة",
        "الشباب حاملو الشهادات لا يجدون تدريبا في المدينة حتى بعد شهور من البحث وعشرات الطلبات المرسلة إلى الشركات"
        " والإدارات",
        "الأزبال كثيرة في أزقة الحي",
        "دار الشباب تغلق أبوابها في العطلة مع أننا نحتاجها فيها أكثر من أي وقت",
    ],
}
LONGEST = 500  # consultations.services.ITEM_TEXT_MAX


def _texts(language: str, count: int) -> list[str]:
    """count different texts of many lengths; one in 25 is long, and the 7th is as long as an item may be."""
    phrases = PHRASES[language]
    texts = []
    for i in range(1, count + 1):
        number = f"n° {i}" if language == "fr" else f"رقم {i}"
        text = f"{phrases[i % len(phrases)]} ({number})"
        if i % 25 == 0:
            text = f"{phrases[3]} — {phrases[1]} ({number})"
        if i == 7:
            text = (f"({number}) " + " ".join(phrases * 4))[:LONGEST]
        texts.append(text)
    return texts


def _room(server, world, *, language: str, count: int, title: str, **options) -> dict:
    """A session in its challenges phase with count approved challenges written by several participants."""
    session = new_session(server, world, title=title, premoderation=False, **options)
    code, token = session["join_code"], world.city()["api_token"]
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    people = [
        server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"]
        for _ in range(math.ceil(count / PER_PARTICIPANT))
    ]
    texts = _texts(language, count)
    for i, text in enumerate(texts):
        server.api(
            "POST",
            f"/sessions/{code}/items",
            {"kind": "challenge", "text": text},
            participant=people[i // PER_PARTICIPANT],
        )
    _approve_all(server, code, token)
    return {"code": code, "token": token, "people": people, "texts": texts}


def _approve_all(server, code: str, token: str) -> None:
    """Approve whatever the automatic screen held back, so the room's every text is on the screen."""
    for item in server.api("GET", f"/sessions/{code}/state", token=token)["items"]:
        if item["status"] == "pending":
            server.api("POST", f"/sessions/{code}/items/{item['id']}/moderation", {"action": "approve"}, token=token)


def _projector(contexts, server, signed_in, *, language: str, size: dict, code: str, interval: float = INTERVAL):
    context = contexts(server, language=language, size=size, storage_state=signed_in("facilitator"))
    page = context.new_page()
    page.goto(f"/staff/fes/sessions/{code}/projector/?interval={interval}")
    expect(page.locator("#connection")).to_have_text(t(language, "Live"))
    return page


# True when a line of el's text straddles the lower edge of its box: more than a third of it hidden (a glyph that
# reaches a little below its line, as Arabic ones may, is no cut line).
CUT = """(el) => {
  const box = el.getBoundingClientRect(), range = document.createRange();
  range.selectNodeContents(el);
  for (const r of range.getClientRects())
    if (r.height && r.top < box.bottom - 1 && r.bottom - box.bottom > r.height / 3) return true;
  return false;
}"""

# Runs in the page every 40 ms: records each card text seen whole inside the screen, and every box that is not.
WATCH = """() => {
  window.seen = {}; window.clamped = {}; window.bad = []; window.smallest = 1e9;
  const cut = CUT;
  const inside = (r, box) => r.top >= box.top - 0.5 && r.left >= box.left - 0.5 && r.bottom <= box.bottom + 0.5
    && r.right <= box.right + 0.5 && r.width > 10 && r.height > 10;
  const screen = {top: 0, left: 0, bottom: window.innerHeight, right: window.innerWidth};
  const check = () => {
    const list = document.getElementById("projector-items");
    if (!list || list.offsetParent === null) return;
    const frame = list.getBoundingClientRect();
    for (const card of list.querySelectorAll(".projector-card")) {
      const text = card.querySelector("p");
      const box = card.getBoundingClientRect();
      if (!inside(box, screen) || !inside(box, frame) || !inside(text.getBoundingClientRect(), box)) {
        window.bad.push(text.textContent.slice(0, 40) + " " + JSON.stringify(box));
        continue;
      }
      if (cut(text)) window.bad.push("a line cut in half: " + text.textContent.slice(0, 40));
      const whole = text.scrollHeight <= text.clientHeight + 1;
      if (whole) window.seen[text.textContent] = true;
      else if (text.classList.contains("is-clamped")) window.clamped[text.textContent] = true;
      else window.bad.push("cut without a clamp: " + text.textContent.slice(0, 40));
      window.smallest = Math.min(window.smallest, parseFloat(getComputedStyle(text).fontSize));
    }
    const strip = document.querySelector("#projector-newest:not([hidden]) .projector-newest-text");
    if (strip && (cut(strip) || !inside(strip.getBoundingClientRect(), screen))) window.bad.push("the newest strip");
    if (document.documentElement.scrollHeight > window.innerHeight + 1
        || document.documentElement.scrollWidth > window.innerWidth + 1) window.bad.push("the page overflows");
  };
  check();
  window.watching = setInterval(check, 40);
}""".replace("= CUT;", "= " + CUT + ";")


def _watch_a_cycle(page, texts: list[str]) -> dict:
    """Watch the pages turn until every text was seen (or two cycles passed); what was seen, clamped or wrong."""
    page.evaluate(WATCH)
    deadline = time.monotonic() + 2 * INTERVAL * math.ceil(len(texts) / PER_PAGE) + 5
    while time.monotonic() < deadline:
        found = page.evaluate("Object.keys(window.seen).length + Object.keys(window.clamped).length")
        if found >= len(texts):
            break
        time.sleep(0.25)
    return page.evaluate("({seen: window.seen, clamped: window.clamped, bad: window.bad, smallest: window.smallest})")


@pytest.mark.parametrize(("language", "size"), VARIANTS)
def test_projector_pages_through_150_items_each_whole_on_screen_newest_highlighted(
    language, size, server, world, contexts, signed_in
):
    room = _room(server, world, language=language, count=150, title=f"Projecteur 150 {language} {size}")
    viewport = SIZES[size]
    page = _projector(contexts, server, signed_in, language=language, size=viewport, code=room["code"])
    pages = math.ceil(150 / PER_PAGE)
    expect(page.locator("#projector-pager")).to_have_text(f"1 / {pages}")
    expect(page.locator("#projector-items .projector-card")).to_have_count(PER_PAGE)
    # The newest item is shown at once, highlighted, in the "just in" strip.
    newest = room["texts"][-1]
    expect(page.locator("#projector-newest")).to_be_visible()
    expect(page.locator("#projector-newest .projector-newest-text")).to_have_text(newest)
    shot(page, f"projector-150-{language}-{size}-items")

    watched = _watch_a_cycle(page, room["texts"])
    assert watched["bad"] == []
    missing = [text for text in room["texts"] if text not in watched["seen"] and text not in watched["clamped"]]
    assert missing == []
    # Only the longest texts are clamped; a clamped text stays large enough to read.
    assert all(len(text) > 200 for text in watched["clamped"]), list(watched["clamped"])
    assert room["texts"][6] in watched["clamped"]
    assert watched["smallest"] >= 0.011 * viewport["width"]
    # On its own page the newest card is highlighted.
    expect(page.locator(".projector-card.is-newest")).to_have_text(newest, timeout=pages * INTERVAL * 1000 + 5000)
    assert page.locator(".projector-card.is-newest").count() == 1

    # A new item arrives: at once in the strip, and every other item still comes round.
    latest = room["texts"][0] + " ★"
    server.api(
        "POST", f"/sessions/{room['code']}/items", {"kind": "challenge", "text": latest}, participant=room["people"][-1]
    )
    expect(page.locator("#projector-newest .projector-newest-text")).to_have_text(latest, timeout=3000)
    expect(page.locator("#projector-pager")).to_contain_text(f"/ {math.ceil(151 / PER_PAGE)}")
    watched = _watch_a_cycle(page, [*room["texts"], latest])
    assert watched["bad"] == []
    assert len(watched["seen"]) + len(watched["clamped"]) == 151


def _vote_room(server, world, *, language: str, title: str, count: int) -> dict:
    """Challenges voted with dot voting (3 points each), proposals with approval voting, both shown as results."""
    room = _room(
        server,
        world,
        language=language,
        count=count,
        title=title,
        challenge_voting_method="dot",
        proposal_voting_method="approval",
        dot_points=3,
    )
    code, token, people = room["code"], room["token"], room["people"]
    server.api("POST", f"/sessions/{code}/phase", {"phase": "proposals"}, token=token)
    proposals = [f"{text[: LONGEST - 2]} !" for text in _texts(language, count)]
    for i, text in enumerate(proposals):
        server.api(
            "POST",
            f"/sessions/{code}/items",
            {"kind": "proposal", "text": text},
            participant=people[i // PER_PARTICIPANT],
        )
    _approve_all(server, code, token)
    items = server.api("GET", f"/sessions/{code}/state", token=token)["items"]
    challenges = [it for it in items if it["kind"] == "challenge"]
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenge_voting"}, token=token)
    for person in people:  # everyone gives 3 points to the first challenge: points, not people, are counted
        server.api("POST", f"/sessions/{code}/votes", {"item": challenges[0]["id"], "points": 3}, participant=person)
    server.api("POST", f"/sessions/{code}/phase", {"phase": "proposal_voting"}, token=token)
    first_proposal = next(it for it in items if it["kind"] == "proposal")
    for person in people:
        server.api("POST", f"/sessions/{code}/votes", {"item": first_proposal["id"]}, participant=person)
    server.api("POST", f"/sessions/{code}/phase", {"phase": "results"}, token=token)
    return {**room, "proposals": proposals, "voters": len(people)}


def _count(language: str, n: int, word: str) -> str:
    from django.utils import translation

    with translation.override(language):
        if word == "points":
            return translation.ngettext("%(n)s point", "%(n)s points", n) % {"n": n}
        return translation.ngettext("%(n)s vote", "%(n)s votes", n) % {"n": n}


BOXES_INSIDE = """() => {
  const bad = [], cut = CUT;
  for (const row of document.querySelectorAll("#projector-results .bar-row")) {
    const r = row.getBoundingClientRect(), list = row.parentElement.getBoundingClientRect();
    if (r.top < -0.5 || r.bottom > innerHeight + 0.5 || r.left < -0.5 || r.right > innerWidth + 0.5
        || r.bottom > list.bottom + 0.5 || r.height < 10) bad.push(row.textContent.slice(0, 40));
    for (const part of row.children) {
      const p = part.getBoundingClientRect();
      if (p.bottom > r.bottom + 0.5 || p.right > r.right + 0.5 || p.left < r.left - 0.5)
        bad.push("part " + part.className);
      if (part.classList.contains("bar-label") && cut(part)) bad.push("a label cut in half");
      if (part.classList.contains("bar-label") && parseFloat(getComputedStyle(part).fontSize) < innerWidth * 0.0125)
        bad.push("a label too small to read");
    }
  }
  if (document.documentElement.scrollHeight > innerHeight + 1 || document.documentElement.scrollWidth > innerWidth + 1)
    bad.push("the page overflows");
  return bad;
}""".replace("= CUT;", "= " + CUT + ";")


@pytest.mark.parametrize(("language", "size"), VARIANTS)
def test_projector_results_fit_rank_points_as_points_and_after_closing_say_where_results_are(
    language, size, server, world, contexts, signed_in
):
    room = _vote_room(server, world, language=language, title=f"Résultats {language} {size}", count=40)
    page = _projector(contexts, server, signed_in, language=language, size=SIZES[size], code=room["code"])
    results = page.locator("#projector-results")
    expect(results).to_be_visible()
    columns = results.locator(".projector-column")
    expect(columns).to_have_count(2)
    challenges, proposals = columns.nth(0), columns.nth(1)
    expect(challenges.locator("h2")).to_have_text(t(language, "Challenges"))
    expect(proposals.locator("h2")).to_have_text(t(language, "Proposals"))
    voters = room["voters"]
    # Ranked: the most supported first, numbered; dot voting counts points (3 from each of 8 people), approval votes.
    expect(challenges.locator(".bar-rank").first).to_have_text("1")
    expect(challenges.locator(".bar-value").first).to_have_text(_count(language, 3 * voters, "points"))
    expect(challenges.locator(".bar-label").first).to_have_text(room["texts"][0])
    expect(proposals.locator(".bar-value").first).to_have_text(_count(language, voters, "votes"))
    assert _count(language, 0, "points") in challenges.locator(".bar-value").nth(1).text_content()
    shot(page, f"projector-results-{language}-{size}")
    assert axe_problems(page) == []
    # Every row of both columns fits, page after page, and every item is ranked on some page.
    seen = {"challenge": set(), "proposal": set()}
    deadline = time.monotonic() + 2 * INTERVAL * math.ceil(40 / BAR_ROWS) + 5
    while time.monotonic() < deadline and (len(seen["challenge"]) < 40 or len(seen["proposal"]) < 40):
        assert page.evaluate(BOXES_INSIDE) == []
        for kind, column in (("challenge", challenges), ("proposal", proposals)):
            seen[kind].update(column.locator(".bar-label").all_text_contents())
        time.sleep(INTERVAL / 3)
    assert seen["challenge"] == set(room["texts"])
    assert seen["proposal"] == set(room["proposals"])
    expect(challenges.locator(".projector-pager")).to_contain_text(f"/ {math.ceil(40 / BAR_ROWS)}")

    # Published: the page says the session is closed and where the results are; no join code any more.
    server.api("POST", f"/sessions/{room['code']}/publish", token=room["token"])
    closed = page.locator("#projector-closed")
    expect(closed).to_be_visible()
    expect(closed).to_contain_text(t(language, "This session is closed."))
    expect(closed).to_contain_text(t(language, "The results are on the phone you took part with, at"))
    expect(closed.locator(".projector-url")).to_have_text(f"{server.url.split('://', 1)[1]}/s/{room['code']}")
    expect(closed.locator("svg.qr")).to_be_visible()
    expect(page.locator(".projector-code")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert t(language, "Scan or go to") not in body and t(language, "Code") + "\n" not in body
    assert f"/j/{room['code']}" not in body
    expect(page.locator("#phase-name")).to_have_text(t(language, "Closed"))
    assert page.evaluate(BOXES_INSIDE) == []
    assert axe_problems(page) == []
    shot(page, f"projector-closed-{language}-{size}")


@pytest.mark.parametrize(("language", "size"), VARIANTS)
def test_projector_with_5_items_shows_them_all_on_one_page_newest_highlighted(
    language, size, server, world, contexts, signed_in
):
    room = _room(server, world, language=language, count=5, title=f"Projecteur 5 {language} {size}")
    page = _projector(contexts, server, signed_in, language=language, size=SIZES[size], code=room["code"])
    cards = page.locator("#projector-items .projector-card")
    expect(cards).to_have_count(5)
    expect(page.locator("#projector-pager")).to_be_hidden()
    expect(page.locator("#projector-newest")).to_be_hidden()
    expect(page.locator(".projector-card.is-newest")).to_have_text(room["texts"][-1])
    watched = _watch_a_cycle(page, room["texts"])
    assert watched["bad"] == []
    assert set(watched["seen"]) == set(room["texts"])
    assert axe_problems(page) == []
    shot(page, f"projector-5-{language}-{size}")


def test_a_staff_message_shows_in_the_console_never_on_the_projector(server, world, contexts, signed_in):
    room = _room(server, world, language="fr", count=2, title="Messages")
    code = room["code"]
    context = contexts(server, language="fr", size=HD, storage_state=signed_in("facilitator"))
    console = context.new_page()
    console.goto(f"/staff/fes/sessions/{code}/")
    csrf = console.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    console.close()  # a live console reloads itself on a change, and would show (and use up) the message at once
    # The facilitator locks the room: its message waits for the next page this browser opens.
    answer = context.request.post(
        f"/staff/fes/sessions/{code}/lock/", form={"csrfmiddlewaretoken": csrf, "locked": "1"}, max_redirects=0
    )
    assert answer.status == 302
    message = t("fr", "Room locked: nobody new may join.")
    projector = context.new_page()
    projector.goto(f"/staff/fes/sessions/{code}/projector/?interval={INTERVAL}")
    expect(projector.locator("#locked-note")).to_be_visible()
    projector.reload()  # and again: still nothing
    expect(projector.locator("#connection")).to_have_text(t("fr", "Live"))
    assert message not in projector.locator("body").inner_text()
    assert projector.locator(".messages, .notice").count() == 0
    # Not used up by the projector: the console shows it.
    console = context.new_page()
    console.goto(f"/staff/fes/sessions/{code}/")
    expect(console.locator(".messages")).to_contain_text(message)


def test_without_javascript_the_projector_shows_a_page_and_turns_to_the_next(server, world, contexts, signed_in):
    room = _room(server, world, language="fr", count=8, title="Sans JavaScript")
    context = contexts(
        server, language="fr", size=HD, storage_state=signed_in("facilitator"), java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"/staff/fes/sessions/{room['code']}/projector/")
    expect(page.locator("#projector-items .projector-card")).to_have_count(PER_PAGE)
    expect(page.locator("#projector-pager")).to_have_text("1 / 2")
    refresh = page.locator("noscript").first.inner_html()
    assert "url=?page=2" in refresh
    page.goto(f"/staff/fes/sessions/{room['code']}/projector/?page=2")
    expect(page.locator("#projector-items .projector-card")).to_have_count(2)
    expect(page.locator(".projector-card.is-newest")).to_have_text(room["texts"][-1])


def test_a_room_code_that_changes_every_minute_changes_on_the_projector_without_a_reload(
    server, world, contexts, signed_in
):
    """The panel with the room code is fetched again when the code changes; a reload would start the cycle of
    pages again every minute, and the items of later pages would never come round."""
    room = _room(server, world, language="fr", count=20, title="Code de salle")
    server.api("POST", f"/sessions/{room['code']}/join-policy", {"join_policy": "rotating"}, token=room["token"])
    page = _projector(contexts, server, signed_in, language="fr", size=HD, code=room["code"])
    page.evaluate("window.notReloaded = true")
    first = page.locator("#room-code").text_content()
    expect(page.locator("#room-code")).not_to_have_text(first, timeout=65_000)
    second = page.locator("#room-code").text_content()
    expect(page.locator("#projector-join .projector-url")).to_contain_text(f"?room={second}")
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator("#projector-pager")).to_be_visible()


def test_an_item_approved_late_is_the_newest_and_shown_at_once(server, world, contexts, signed_in):
    """Under pre-moderation the newest item is the last approved, whatever its place in the order of writing."""
    session = new_session(server, world, title="Modération", premoderation=True)
    code, token = session["join_code"], world.city()["api_token"]
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    people = [server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"] for _ in range(2)]
    texts = _texts("fr", 8)
    for i, text in enumerate(texts):
        server.api("POST", f"/sessions/{code}/items", {"kind": "challenge", "text": text}, participant=people[i // 4])
    items = server.api("GET", f"/sessions/{code}/state", token=token)["items"]
    for item in items[:1] + items[2:]:  # the second waits
        server.api("POST", f"/sessions/{code}/items/{item['id']}/moderation", {"action": "approve"}, token=token)
    page = _projector(contexts, server, signed_in, language="fr", size=HD, code=code)
    expect(page.locator("#projector-newest .projector-newest-text")).to_have_text(texts[-1])
    server.api("POST", f"/sessions/{code}/items/{items[1]['id']}/moderation", {"action": "approve"}, token=token)
    expect(page.locator("#projector-newest .projector-newest-text")).to_have_text(texts[1])
    expect(page.locator(".projector-card.is-newest")).to_have_text(texts[1], timeout=10_000)
