"""The main pages in headless Chromium under the real Content-Security-Policy: no violation reported.

A listener for `securitypolicyviolation` is added to every document through the DevTools protocol before the
page's own scripts run (such scripts are not subject to the page's policy), then each page is loaded from a real
ASGI server (uvicorn) as the role that sees it, and the violations it collected are read back.
"""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from cities.models import User
from consultations import services
from consultations.models import Session
from consultations.tokens import browser_remember
from councils.models import Council, Membership
from proposals.models import FundingCall, Project, ProjectProposal
from tests.frontend.test_session_browser import CHROMIUM, Chromium, _staff_cookie
from tests.live_server import server_for_test_database

from .conftest import seed_demo_json

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="needs Debian's Chromium"),
]

LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  var where = (e.sourceFile || '') + ':' + e.lineNumber;
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' at ' + where);
});
"""

# ReDoc links Google Fonts and shows Redocly's logo from their CDN; the policy blocks both (ReDoc falls back to
# local fonts, the logo is not shown). Those are the only violations accepted, and only on that page.
ACCEPTED = {"/api/v1/redoc/": ("style-src-elem https://fonts.googleapis.com", "img-src https://cdn.redoc.ly")}


@pytest.fixture
def server(transactional_db):
    process = server_for_test_database()
    process.start()
    yield process.url
    process.stop()


def _violations(browser, url: str) -> list[str]:
    browser.goto(url)
    time.sleep(0.5)  # scripts that run after load (live.js opens its socket, the API viewers fetch the schema)
    return browser.eval("window.__csp") or []


def _participant_cookie(session: Session) -> str:
    person = services.participant_join(code=session.join_code, consent=True)
    store = SessionStore()
    browser_remember(store, person)
    store.create()
    return store.session_key


def test_main_pages_raise_no_content_security_policy_violation(server):
    data = seed_demo_json()
    fes = next(c for c in data["cities"] if c["slug"] == "fes")
    session = Session.objects.get(join_code=fes["join_code"])
    admin = User.objects.get(email=fes["staff"]["admin"]["email"])
    council = Council.objects.get(city__slug="fes")
    member = Membership.objects.filter(term__council=council).first()
    call = FundingCall.objects.filter(city__slug="fes").first()
    proposal = ProjectProposal.objects.filter(call=call).first()
    project = Project.objects.filter(city__slug="fes").first()
    code, c = session.join_code, "/staff/fes"

    public = ["/", "/join/", f"/j/{code}/", "/c/fes/projects/", "/e/", "/api/v1/docs/", "/api/v1/redoc/"]
    participant = [f"/s/{code}/", f"/s/{code}/council/"]
    staff = [
        "/staff/",
        "/staff/tokens/",
        f"{c}/consultations/",
        f"{c}/consultations/{session.consultation_id}/",
        f"{c}/sessions/{code}/",
        f"{c}/sessions/{code}/projector/",
        f"{c}/sessions/{code}/poster/",
        f"{c}/council/",
        f"{c}/council/composition/",
        f"{c}/council/members/{member.pk}/",
        f"{c}/council/meetings/",
        f"{c}/council/elections/",
        f"{c}/funding/",
    ]
    if call:
        public += [f"/c/fes/funding/{call.pk}/results/", f"/funding/{call.pk}/vote/"]
        staff.append(f"{c}/funding/{call.pk}/")
    if proposal:
        staff.append(f"{c}/funding/proposals/{proposal.pk}/")
    if project:
        staff.append(f"{c}/funding/projects/{project.pk}/")

    found = {}
    browser = Chromium(412, 915)
    try:
        browser.send("Page.addScriptToEvaluateOnNewDocument", source=LISTENER)
        browser.send("Network.enable")
        for path in public:
            found[path] = _violations(browser, server + path)
        browser.send("Network.setCookie", name="sessionid", value=_participant_cookie(session), url=server)
        for path in participant:
            found[path] = _violations(browser, server + path)
        browser.send("Network.setCookie", name="sessionid", value=_staff_cookie(admin), url=server)
        for path in staff:
            found[path] = _violations(browser, server + path)
        # The page really is the one asked for (not a sign-in page): the console shows the join code.
        browser.goto(f"{server}{c}/sessions/{code}/")
        assert code in browser.eval("document.body.innerText")
        # The listener does see what the policy blocks: an inline style set as an attribute.
        browser.eval("document.body.setAttribute('style', 'color: red'); true")
        browser.wait_for("window.__csp.length > 0")
        assert browser.eval("window.__csp[0]").startswith("style-src")
        # Swagger UI runs under its nonce: its inline script built the page.
        browser.goto(f"{server}/api/v1/docs/")
        browser.wait_for("!!document.querySelector('.swagger-ui .info')", timeout=15)
    finally:
        browser.close()
    problems = {
        path: [v for v in found_here if not v.startswith(ACCEPTED.get(path, ("\0",)))]
        for path, found_here in found.items()
    }
    problems = {path: v for path, v in problems.items() if v}
    assert not problems, f"Content-Security-Policy violations: {problems}"
    assert len(found) == len(public) + len(participant) + len(staff)
