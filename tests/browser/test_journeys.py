"""Every role's main journey in Chromium, in Arabic and French, at phone size (360×740) and desktop size.

Participants and staff act in the browser; what other people in the room do at the same time (another phone
voting, the facilitator moving on) goes through the documented REST API, so the page under test must learn it
over its WebSocket, as in a real room. With MAJLIS_SCREENSHOTS=<dir> the journeys leave screenshots there
(`make screenshots`, used by docs/guide.md).
"""

import datetime as dt
import re

import pytest
from django.utils import translation

from consultations.models import Phase

from .conftest import PROJECTOR, SIZES, new_session, shot, t

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright: run `make setup`").expect

VARIANTS = [("ar", "phone"), ("ar", "desktop"), ("fr", "phone"), ("fr", "desktop")]
TWO = [("ar", "phone"), ("fr", "desktop")]


def _no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _join_over_api(server, code: str) -> str:
    return server.api("POST", f"/sessions/{code}/join", {"consent": True})["token"]


CLOSE_QUESTION = (
    "Close voting and count now? Members who have not voted will not be able to, and this cannot be undone."
)


@pytest.mark.parametrize(("language", "size"), VARIANTS)
def test_participant_scans_consents_answers_submits_votes_and_sees_results(language, size, server, world, contexts):
    session = new_session(server, world, title=f"Participant {language} {size}", premoderation=False)
    code, token = session["join_code"], world.city()["api_token"]
    name = f"participant-{language}-{size}"
    page = contexts(server, language="en", size=SIZES[size]).new_page()

    # The QR code carries the language: /j/<code>/?lang=..
    page.goto(f"/j/{code}/?lang={language}")
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    shot(page, f"{name}-1-consent", full_page=True)
    page.get_by_label(t(language, "I have read this and I want to take part.")).check()
    page.get_by_role("button", name=t(language, "Continue")).click()

    # Optional questions: each may be left as "prefer not to say".
    page.get_by_label(t(language, "Your age")).select_option("18_24")
    shot(page, f"{name}-2-questions", full_page=True)
    page.get_by_role("button", name=t(language, "Take part")).click()
    page.wait_for_url(f"**/s/{code}/")
    expect(page.locator("#connection")).to_have_text(t(language, "Live"))
    assert _no_sideways_scrolling(page)

    # The facilitator opens the challenges: the page follows by itself.
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    idea = page.get_by_label(t(language, "Your idea"))
    idea.fill("Des salles d'étude ouvertes le soir" if language == "fr" else "قاعات للمراجعة مفتوحة في المساء")
    page.get_by_role("button", name=t(language, "Send")).click()
    expect(page.locator("#live-status")).to_have_text(t(language, "Thank you! Your text is now on the screen."))
    expect(idea).to_have_value("")
    expect(page.locator("#room-list li")).to_have_count(1)
    shot(page, f"{name}-3-submitted")

    # Another phone adds a challenge; then the room votes.
    other = _join_over_api(server, code)
    server.api(
        "POST", f"/sessions/{code}/items", {"kind": "challenge", "text": "Bus 12 stops at 20:00"}, participant=other
    )
    expect(page.locator("#room-list li")).to_have_count(2)
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenge_voting"}, token=token)
    support = page.get_by_role("button", name=t(language, "Support"))
    expect(support).to_have_count(2)
    support.first.click()
    expect(page.locator("#live-status")).to_have_text(t(language, "Your vote was counted."))
    expect(page.locator("#vote-list [aria-pressed=true]")).to_have_count(1)
    expect(page.locator("#mine-votes li strong")).to_have_text("1")
    shot(page, f"{name}-4-voted")

    # Results: the room's tallies, without reloading by hand.
    server.api("POST", f"/sessions/{code}/phase", {"phase": "results"}, token=token)
    results = page.locator("#results")
    expect(results).to_be_visible()
    expect(results.locator(".bar-row")).to_have_count(2)
    expect(results.locator(".bar-value").first).to_have_text(_votes(language, 1))
    assert _no_sideways_scrolling(page)
    shot(page, f"{name}-5-results", full_page=True)


def _phase_button(page, language: str, phase: Phase):
    return page.locator(".phase-buttons").get_by_role("button", name=t(language, phase.label), exact=True)


@pytest.mark.parametrize(("language", "size"), VARIANTS)
def test_facilitator_creates_a_session_shows_the_qr_moves_phases_moderates_and_publishes(
    language, size, server, world, contexts, signed_in
):
    name = f"facilitator-{language}-{size}"
    context = contexts(server, language=language, size=SIZES[size], storage_state=signed_in("facilitator"))
    page = context.new_page()
    page.goto("/staff/")
    shot(page, f"{name}-1-dashboard")
    page.get_by_role("link", name=t(language, "Consultations and live sessions")).first.click()
    page.get_by_role("link", name="Fès : la parole aux jeunes 2026").first.click()
    title = f"Atelier {language} {size}"
    page.get_by_label(t(language, "Title"), exact=True).fill(title)
    page.get_by_label(t(language, "Place")).fill("Maison des jeunes")
    shot(page, f"{name}-2-new-session", full_page=True)
    page.get_by_role("button", name=t(language, "Create session")).click()

    # The console: QR code, join code and link for the projector.
    page.wait_for_url(re.compile(r"/staff/fes/sessions/[A-Z0-9]+/$"))
    code = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator(".console-join svg.qr")).to_be_visible()
    expect(page.locator(".join-code")).to_have_text(code)
    expect(page.locator("#connection")).to_have_text(t(language, "Live"))
    with context.expect_page() as opened:
        page.get_by_role("link", name=t(language, "Open projector view")).click()
    projector = opened.value
    expect(projector.locator(".projector-code")).to_have_text(code)
    projector.close()
    shot(page, f"{name}-3-console")

    # Challenges: a participant writes; pre-moderation holds it until the facilitator approves it.
    _phase_button(page, language, Phase.CHALLENGES).click()
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.CHALLENGES.label))
    person = _join_over_api(server, code)
    server.api(
        "POST", f"/sessions/{code}/items", {"kind": "challenge", "text": "Pas de bus après 20h"}, participant=person
    )
    expect(page.locator("#pending-count")).to_have_text("1")  # the console updated by itself
    moderation = page.locator("#moderation")
    expect(moderation).to_contain_text("Pas de bus après 20h")
    shot(page, f"{name}-4-moderation")
    moderation.get_by_role("button", name=t(language, "Approve")).click()
    expect(page.locator("#pending-count")).to_have_text("0")
    expect(page.locator("#items")).to_contain_text("Pas de bus après 20h")

    # Voting, then results, then close and publish.
    _phase_button(page, language, Phase.CHALLENGE_VOTING).click()
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.CHALLENGE_VOTING.label))
    item = server.api("GET", f"/sessions/{code}/state", participant=person)["items"][0]
    server.api("POST", f"/sessions/{code}/votes", {"item": item["id"]}, participant=person)
    expect(page.locator("#items td.num").first).to_have_text("1")
    _phase_button(page, language, Phase.RESULTS).click()
    expect(page.locator("#results .bar-row").first).to_contain_text("Pas de bus après 20h")
    page.get_by_role("button", name=t(language, "Close and publish results")).click()
    expect(page.locator(".console-join")).to_contain_text(t(language, "Published"))
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.CLOSED.label))
    shot(page, f"{name}-5-published", full_page=size == "desktop")


def _votes(language: str, n: int) -> str:
    """n votes as the projector words them, with the language's plural forms (Arabic has six)."""
    with translation.override(language):
        return translation.ngettext("%(n)s vote", "%(n)s votes", n) % {"n": n}


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_projector_shows_new_items_and_votes_live_without_reloading(language, server, world, contexts, signed_in):
    session = new_session(server, world, title=f"Projector {language}", premoderation=False)
    code, token = session["join_code"], world.city()["api_token"]
    page = contexts(server, language=language, size=PROJECTOR, storage_state=signed_in("facilitator")).new_page()
    page.goto(f"/staff/fes/sessions/{code}/projector/")
    expect(page.locator(".projector-code")).to_have_text(code)
    expect(page.locator("#connection")).to_have_text(t(language, "Live"))
    page.evaluate("window.notReloaded = true")
    shot(page, f"projector-{language}-1-lobby")

    first, second = _join_over_api(server, code), _join_over_api(server, code)
    expect(page.locator("#headcount")).to_have_text("2")
    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    expect(page.locator("#phase-name")).to_have_text(t(language, Phase.CHALLENGES.label))
    for person, text in ((first, "ملاعب القرب مغلقة يوم السبت"), (second, "Trop peu de stages pour les jeunes")):
        server.api("POST", f"/sessions/{code}/items", {"kind": "challenge", "text": text}, participant=person)
    expect(page.locator("#projector-items li")).to_have_count(2)
    shot(page, f"projector-{language}-2-items")

    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenge_voting"}, token=token)
    server.api("POST", f"/sessions/{code}/results-visible", {"value": True}, token=token)
    bars = page.locator("#projector-results .bar-value")
    expect(bars).to_have_count(2)
    expect(bars.first).to_have_text(_votes(language, 0))
    item = server.api("GET", f"/sessions/{code}/state", participant=first)["items"][0]
    server.api("POST", f"/sessions/{code}/votes", {"item": item["id"]}, participant=first)
    expect(bars.first).to_have_text(_votes(language, 1))
    server.api("POST", f"/sessions/{code}/votes", {"item": item["id"]}, participant=second)
    expect(bars.first).to_have_text(_votes(language, 2))
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    shot(page, f"projector-{language}-3-votes")


ROSTER_CSV = (
    "full_name,gender,date_of_birth,district,role,selection_method,starts_on\n"
    "{a},female,2001-05-02,Saïss,member,elected,2026-01-15\n"
    "{b},male,2000-02-03,فاس المدينة,member,appointed,2026-01-15\n"
)


@pytest.mark.parametrize(("language", "size"), TWO)
def test_secretariat_keeps_the_roster_imports_members_and_runs_an_election(
    language, size, server, world, contexts, signed_in
):
    name = f"secretariat-{language}-{size}"
    page = contexts(server, language=language, size=SIZES[size], storage_state=signed_in("secretariat")).new_page()
    page.goto("/staff/")
    page.get_by_role("link", name=t(language, "Youth council")).first.click()
    expect(page.locator("table.roster tbody tr").first).to_be_visible()
    shot(page, f"{name}-1-roster")

    # Import: a CSV file of two members; both appear in the roster.
    a, b = f"Salma Import {language}{size}", f"Youssef Import {language}{size}"
    page.locator(".subnav").get_by_role("link", name=t(language, "Import and export")).click()
    page.get_by_label(t(language, "Roster file (.csv or .xlsx)")).set_input_files(
        {"name": "roster.csv", "mimeType": "text/csv", "buffer": ROSTER_CSV.format(a=a, b=b).encode()}
    )
    shot(page, f"{name}-2-import")
    page.get_by_role("button", name=t(language, "Check and import")).click()
    expect(page.locator(".messages")).to_contain_text(t(language, "%(count)d members imported.") % {"count": 2})
    expect(page.locator("table.roster")).to_contain_text(a)
    expect(page.locator("table.roster")).to_contain_text(b)

    # An election among the members: prepare, open (ballot codes), close and count.
    page.locator(".subnav").get_by_role("link", name=t(language, "Elections")).click()
    page.get_by_label(t(language, "Title")).fill(f"Président·e {language} {size}")
    page.get_by_label(t(language, "Role to elect")).select_option("president")
    page.get_by_label(a).check()
    page.get_by_label(b).check()
    page.get_by_label(t(language, "Quorum (% of members who must vote)")).fill("0")
    shot(page, f"{name}-3-election", full_page=True)
    page.get_by_role("button", name=t(language, "Prepare")).click()
    page.get_by_role("button", name=t(language, "Open voting and create ballot codes")).click()
    opened = t(language, "Voting is open. Print the ballot codes and hand them out.")
    expect(page.locator(".messages")).to_contain_text(opened)
    expect(page.get_by_role("link", name=t(language, "Print the ballot slips"))).to_be_visible()
    # Closing cannot be undone: the page asks first, in the page's language (frontend/static/frontend/confirm.js).
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name=t(language, "Close voting and count")).click()
    expect(page.locator(".messages")).to_contain_text(t(language, "Voting is closed and counted."))
    assert asked == [t(language, CLOSE_QUESTION)]
    expect(page.get_by_role("heading", name=t(language, "Result"))).to_be_visible()
    shot(page, f"{name}-4-result")


@pytest.mark.parametrize(("language", "size"), TWO)
def test_city_staff_downloads_a_summary_as_csv(language, size, server, world, contexts, signed_in):
    """Only the way to the exports page and the download, by roles and labels: the page's layout may change (a
    form that downloads at once, or one that prepares the file and then links to it)."""
    page = contexts(server, language=language, size=SIZES[size], storage_state=signed_in("analyst")).new_page()
    page.goto("/staff/")
    page.get_by_role("link", name=t(language, "Exports and reports")).first.click()
    page.wait_for_url("**/staff/fes/exports/**")
    consultation = page.get_by_label(t(language, "Consultation"), exact=True)
    form = page.locator("main form").filter(has=consultation).first
    form.get_by_label(t(language, "Consultation"), exact=True).select_option(label="Fès : la parole aux jeunes 2026")
    file_format = form.get_by_label(t(language, "Format"), exact=True)
    if file_format.count() and file_format.evaluate("el => el.tagName") == "SELECT":
        file_format.select_option("csv")
    shot(page, f"staff-{language}-{size}-1-exports", full_page=True)

    downloads = []
    page.on("download", lambda download: downloads.append(download))
    form.locator("button[type=submit]").first.click()
    link = page.get_by_role("link", name=re.compile(r"\.csv|CSV"))
    for _ in range(150):
        if downloads:
            break
        if link.count():
            with page.expect_download() as download_info:
                link.first.click()
            downloads.append(download_info.value)
            break
        page.wait_for_timeout(100)
    assert downloads, "no CSV download was offered"
    download = downloads[0]
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), "rb") as file:
        content = file.read().decode("utf-8-sig")
    assert content.count("\n") >= 2, content[:300]


@pytest.fixture(scope="module")
def open_call(server, world):
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=20)).isoformat()
    return server.api(
        "POST",
        "/funding-calls/",
        {
            "city": "fes",
            "title": "Fonds jeunesse · appel ouvert",
            "budget": "60000.00",
            "cap_per_project": "20000.00",
            "submission_deadline": deadline,
            "description": "Des petits projets portés par des jeunes.",
        },
        token=world.city()["api_token"],
    )


@pytest.mark.parametrize(("language", "size"), TWO)
def test_youth_team_signs_up_and_submits_a_project_proposal(language, size, server, open_call, contexts):
    name = f"team-{language}-{size}"
    page = contexts(server, language=language, size=SIZES[size]).new_page()
    page.goto("/accounts/signup/")
    page.locator("#id_email").fill(f"team-{language}-{size}@example.org")
    page.locator("#id_password1").fill("une longue phrase secrète 2026")
    page.locator("#id_password2").fill("une longue phrase secrète 2026")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/staff/")

    page.goto("/funding/")
    call = page.get_by_role("region", name=re.compile(re.escape(open_call["title"])))
    shot(page, f"{name}-1-calls")
    call.get_by_role("link", name=t(language, "Submit a proposal")).click()
    page.get_by_label(t(language, "Project title")).fill("Ciné-club du quartier")
    page.get_by_label(t(language, "What will you do, for whom, and how?")).fill(
        "Une projection par mois au centre culturel, suivie d'un débat animé par des jeunes."
    )
    page.get_by_label(t(language, "Team name")).fill("Les lanternes")
    page.get_by_label(t(language, "Amount requested")).fill("8000")
    page.get_by_label(t(language, "How many people will benefit?")).fill("300")
    page.locator("#member-name-1").fill("Amina")
    page.locator("#member-age-1").fill("19")
    page.locator("#member-name-2").fill("Karim")
    page.locator("#member-age-2").fill("17")
    shot(page, f"{name}-2-form", full_page=True)
    page.get_by_role("button", name=t(language, "Submit the proposal")).click()
    expect(page.locator(".messages")).to_contain_text(
        t(language, "Your proposal was submitted. You may edit it until the deadline.")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Ciné-club du quartier")
    page.goto("/funding/")
    expect(page.locator("main")).to_contain_text("Ciné-club du quartier")
    shot(page, f"{name}-3-submitted")
