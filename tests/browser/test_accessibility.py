"""axe-core on every main page, left-to-right (French, English) and right-to-left (Arabic): no serious or
critical violation; and every form control and button of those pages is reached with the Tab key."""

import json
import re

import pytest

from .a11y import axe_problems, unreachable_by_tab
from .conftest import DESKTOP, PHONE, new_session

LANGUAGES = ["ar", "fr", "en"]


def _check(page, path: str, found: dict, *, keyboard: bool = True) -> None:
    problems = axe_problems(page)
    if keyboard:
        problems += [f"not reachable with Tab: {html}" for html in unreachable_by_tab(page)]
    if problems:
        found[path] = problems


def _report(found: dict) -> str:
    return json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", LANGUAGES)
def test_participant_pages_have_no_serious_violation(language, server, world, contexts):
    session = new_session(server, world, title=f"Accessibility {language}", premoderation=False)
    code = session["join_code"]
    token = world.city()["api_token"]
    page = contexts(server, language=language, size=PHONE).new_page()
    found: dict = {}

    page.goto("/")
    assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    _check(page, "/", found)
    page.goto(f"/j/{code}/")
    _check(page, "/j/ consent", found)
    page.locator("#id_consent").check()
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(re.compile(r"step=profile"))
    _check(page, "/j/ optional questions", found)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"**/s/{code}/")
    _check(page, "/s/ lobby", found)

    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenges"}, token=token)
    page.locator(".submit-form textarea").wait_for()
    page.locator(".submit-form textarea").fill("More study rooms open in the evening")
    page.locator(".submit-form button[type=submit]").click()
    page.locator("#mine-items", has_text="study rooms").wait_for()
    _check(page, "/s/ challenges", found)

    server.api("POST", f"/sessions/{code}/phase", {"phase": "challenge_voting"}, token=token)
    page.locator("#vote-list .vote-toggle").first.wait_for()
    _check(page, "/s/ voting", found)
    server.api("POST", f"/sessions/{code}/phase", {"phase": "results"}, token=token)
    page.locator("#results .bar-row").first.wait_for()
    _check(page, "/s/ results", found)
    page.goto(f"/s/{code}/council/")
    _check(page, "/s/council/ opt-in", found)
    assert not found, _report(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_and_public_pages_have_no_serious_violation(language, server, world, contexts, signed_in):
    fes = world.city()
    code = fes["join_code"]
    found: dict = {}

    anonymous = contexts(server, language=language, size=DESKTOP).new_page()
    for path in ("/accounts/login/", "/join/", "/e/"):
        anonymous.goto(path)
        _check(anonymous, path, found)

    page = contexts(server, language=language, size=DESKTOP, storage_state=signed_in("admin")).new_page()
    staff_pages = [
        "/staff/",
        "/staff/fes/consultations/",
        f"/staff/fes/consultations/{fes['consultation_id']}/",
        f"/staff/fes/sessions/{code}/",
        f"/staff/fes/sessions/{code}/poster/",
        "/staff/fes/council/",
        "/staff/fes/council/composition/",
        "/staff/fes/council/import/",
        "/staff/fes/council/elections/",
        "/staff/fes/funding/",
    ]
    for path in staff_pages:
        page.goto(path)
        _check(page, path, found, keyboard=path != f"/staff/fes/sessions/{code}/")

    # Reached through the pages' own links: a member's record, a funding call, a proposal, a project.
    page.goto("/staff/fes/council/")
    page.locator("table.roster tbody a").first.click()
    page.wait_for_url(re.compile(r"/council/members/\d+/$"))
    _check(page, "member record", found)
    projects = server.api("GET", "/projects/?city=fes")
    page.goto(f"/staff/fes/funding/projects/{projects[0]['id']}/")
    _check(page, "staff project", found)
    page.goto("/c/fes/projects/")
    _check(page, "public projects", found)

    projector = contexts(
        server, language=language, size={"width": 1920, "height": 1080}, storage_state=signed_in("admin")
    ).new_page()
    projector.goto(f"/staff/fes/sessions/{code}/projector/")
    _check(projector, "projector", found, keyboard=False)
    assert not found, _report(found)


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_console_controls_are_reached_with_the_tab_key(language, server, world, contexts, signed_in):
    """The console of a session with items (the demo's finished session has the most controls)."""
    session = new_session(server, world, title=f"Keyboard {language}", premoderation=True)
    page = contexts(server, language=language, size=DESKTOP, storage_state=signed_in("facilitator")).new_page()
    page.goto(f"/staff/fes/sessions/{session['join_code']}/")
    assert unreachable_by_tab(page) == []
    assert axe_problems(page) == []
