"""The authorization matrix: every page and API operation of the URL configuration, called as every role.

The matrix below is an explicit allow-list: for each URL name, the roles that may use it in the fixture world
(both demo cities, a live session of Fes in its lobby, a participant who joined in a browser and one over the
API). A role not listed must never get a success (2xx, or a redirect other than to sign-in / the join page) for
GET, POST with an empty body, or DELETE where the API view has one. A role listed must not be refused (401,
403, 404, redirect to sign-in) on every method. A URL pattern missing from the matrix fails the test: add it.

Run alone: .venv/bin/python -m pytest tests/hardening/test_authorization_matrix.py -q
"""

import pytest
from rest_framework import permissions
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .conftest import ROLES
from .urlwalk import ERROR, OK, REFUSED, call, classify, routes_in_scope, url_for

pytestmark = pytest.mark.slow

ANON = "anonymous"
P_BROWSER = "participant_browser"
P_TOKEN = "participant_token"
FAC, SEC, ANA, ADM = "facilitator", "secretariat", "analyst", "admin"
NET, CHARLIE, TEAM = "network_admin", "charlie", "team_lead"

ANYONE = frozenset(ROLES)
SIGNED_IN = frozenset({FAC, SEC, ANA, ADM, NET, CHARLIE, TEAM})  # any account, whatever its city (own data only)
FES_STAFF = frozenset({FAC, SEC, ANA, ADM})
FACILITATION = frozenset({FAC, ADM})
SECRETARIAT = frozenset({SEC, ADM})
NOBODY = frozenset()

MATRIX: dict[str, frozenset] = {
    # --- API: cities and the caller
    "api:city-list": ANYONE,  # public list of cities
    "api:me": SIGNED_IN,  # the caller's own roles
    # --- API: live sessions
    "api:session-join": ANYONE,  # anyone with the code may join (POST; empty body answers 400)
    "api:session-state": frozenset({P_TOKEN}) | FES_STAFF,
    "api:session-me": frozenset({P_TOKEN}),
    "api:session-items": frozenset({P_TOKEN}),
    "api:session-votes": frozenset({P_TOKEN}),
    "api:session-vote-withdraw": frozenset({P_TOKEN}),
    "api:item-moderation": FACILITATION,
    "api:item-edit": FACILITATION,
    "api:item-merge": FACILITATION,
    "api:items-moderation": FACILITATION,
    "api:session-moderation": FACILITATION,
    "api:merge-undo": FACILITATION,
    "api:session-phase": FACILITATION,
    "api:session-lock": FACILITATION,
    "api:session-results-visible": FACILITATION,
    "api:session-rotate-code": FACILITATION,
    "api:session-publish": FACILITATION,
    "api:session-join-policy": FACILITATION,
    "api:session-cards": FACILITATION,
    "api:session-room-code": FACILITATION,
    "api:session-join-clusters": FACILITATION,
    "api:session-set-aside": FACILITATION,
    # Participants read results only once shown; in the lobby only staff of Fes may.
    "api:session-results": FES_STAFF,
    "api:consultation-list": SIGNED_IN,  # scoped to the caller's cities (checked below for leaks)
    "api:consultation-sessions": FACILITATION,
    # --- API: councils
    "api:council-list": SIGNED_IN,  # scoped to the caller's cities
    "api:council-member-list": SECRETARIAT,
    # --- API: funding calls and projects (public accountability: calls, proposals' public fields, projects)
    "api:funding-call-list": ANYONE,
    "api:funding-call-detail": ANYONE,
    "api:funding-call-phase": FACILITATION,
    "api:funding-call-select": FACILITATION,
    "api:funding-call-selection": ANYONE,
    "api:funding-call-proposals": ANYONE,
    "api:funding-call-votes": ANYONE,  # youth vote: a signed-in account or a single-use code (400 without)
    "api:proposal-detail": ANYONE,
    "api:proposal-eligibility": FACILITATION,
    "api:proposal-override": FACILITATION,
    "api:project-list": ANYONE,
    "api:project-detail": ANYONE,
    # The team lead reads and records on its own project's ledger (docs/projects.md, Access).
    "api:project-ledger": FES_STAFF | {TEAM},
    "api:tranche-pay": FACILITATION,
    # --- API: exports (a list of what the caller may run, per city; a run answers 404 outside the caller's cities)
    "api:export-list": SIGNED_IN,  # scoped to the caller's cities
    "api:export-run": FES_STAFF,  # the consultation summary: analysts, facilitators, secretariat, administrators
    # --- Public pages
    "frontend:home": ANYONE,
    "frontend:healthz": ANYONE,
    "frontend:join_by_code": ANYONE,
    "frontend:join_lookup": ANYONE,
    "frontend:join": ANYONE,
    "frontend:council_vote_lookup": ANYONE,
    "frontend:council_vote": ANYONE,  # by single-use code (the demo election is not open: 409 to everyone)
    "frontend:council_checkin": ANYONE,  # by the meeting's signed token
    "frontend:council_election_register": ANYONE,  # by the election's signed token; names only while voting is open
    "frontend:council_opt_in": ANYONE,  # explains itself to a browser that has not joined
    "frontend:city_projects": ANYONE,
    "frontend:selection_results": ANYONE,
    "frontend:team_vote": ANYONE,
    # --- Participant pages: only the browser that joined
    "frontend:participant": frozenset({P_BROWSER}),
    "frontend:participant_submit": frozenset({P_BROWSER}),
    "frontend:participant_vote": frozenset({P_BROWSER}),
    # --- Youth teams: any signed-in account may submit to an open call; a team's pages are its lead's only
    "frontend:team_calls": SIGNED_IN,
    "frontend:team_submit": SIGNED_IN,
    "frontend:team_proposal_edit": frozenset({TEAM}),
    "frontend:team_project": frozenset({TEAM}),
    "frontend:funding_attachment": FES_STAFF | {TEAM},
    # --- Staff: own account
    "frontend:dashboard": SIGNED_IN,
    "frontend:api_tokens": SIGNED_IN,
    "frontend:api_token_revoke": frozenset({ADM}),  # the token belongs to the administrator of Fes
    # --- Staff: consultations and sessions of Fes
    "frontend:consultation_list": FACILITATION,
    "frontend:consultation_detail": FACILITATION,
    "frontend:session_console": FACILITATION,
    "frontend:projector": FACILITATION,
    "frontend:poster": FACILITATION,
    "frontend:join_cards": FACILITATION,
    "frontend:session_action": FACILITATION,
    # --- Staff: the youth council of Fes
    "frontend:council_home": SECRETARIAT,
    "frontend:council_settings": SECRETARIAT,
    "frontend:council_composition": SECRETARIAT,
    "frontend:council_member_add": SECRETARIAT,
    "frontend:council_member": SECRETARIAT,
    "frontend:council_member_edit": SECRETARIAT,
    "frontend:council_member_end": SECRETARIAT,
    "frontend:council_member_export": SECRETARIAT,
    "frontend:council_member_erase": SECRETARIAT,
    "frontend:council_candidates": SECRETARIAT,
    "frontend:council_import": SECRETARIAT,
    "frontend:council_export": SECRETARIAT,
    "frontend:council_meetings": SECRETARIAT,
    "frontend:council_meeting": SECRETARIAT,
    "frontend:council_elections": SECRETARIAT,
    "frontend:council_election": SECRETARIAT,
    # Ballot sheets exist only for an open election; the demo has none, so nobody gets one here.
    "frontend:council_election_codes": NOBODY,
    # --- Staff: seed funding of Fes
    "frontend:funding_call_list": FES_STAFF,
    "frontend:funding_call_detail": FES_STAFF,
    # One POST endpoint for buttons; an empty action answers 404 to every role (tests/proposals covers actions).
    "frontend:funding_call_action": NOBODY,
    "frontend:funding_proposal": FES_STAFF,
    "frontend:funding_project": FES_STAFF,
    # --- Staff: exports of Fes (the page lists what the user may run; the POST runs the consultation summary)
    "frontend:exports": FES_STAFF,
    "frontend:exports_report": FES_STAFF,  # the printable consultation summary
    # A finished export's link: only the account that ran it (here the analyst of Fes), never anyone else.
    "frontend:exports_download": frozenset({ANA}),
    # --- Network administrators: cross-city figures of their own network only
    "frontend:network_exports": frozenset({NET}),
    "frontend:network_exports_report": frozenset({NET}),
}

# Lists that every signed-in account may call must show its own cities only: these texts of Fes must not
# appear in what charlie or the network administrator receives.
SCOPED_LISTS = {
    "api:me",
    "api:consultation-list",
    "api:council-list",
    "api:export-list",
    "frontend:dashboard",
    "frontend:api_tokens",
}

# URL names entered in the matrix ahead of their pattern (work in progress elsewhere): not reported as stale.
BEING_ADDED = {"frontend:team_project"}


def _methods(route) -> tuple[str, ...]:
    view_class = route.view_class
    if view_class is not None and issubclass(view_class, APIView) and hasattr(view_class, "delete"):
        return ("GET", "POST", "DELETE")
    return ("GET", "POST")


def _leak_markers(world) -> list[str]:
    return [world.consultation.title, "/staff/fes/", '"slug":"fes"', '"slug": "fes"', '"city":"fes"', '"city": "fes"']


def test_every_url_in_scope_is_in_the_matrix():
    names = {route.name for route in routes_in_scope()}
    missing = sorted(names - MATRIX.keys())
    assert not missing, (
        "URL patterns without an entry in the authorization matrix: "
        f"{missing}. Add each to MATRIX in tests/hardening/test_authorization_matrix.py (add it to the matrix) "
        "with the roles that may use it."
    )
    stale = sorted(MATRIX.keys() - names - BEING_ADDED)
    assert not stale, f"matrix entries for URL names that no longer exist: {stale}; remove them"


def test_every_role_gets_exactly_what_the_matrix_allows(world):
    failures = []
    markers = _leak_markers(world)
    for route in routes_in_scope():
        allowed = MATRIX.get(route.name)
        if allowed is None:
            continue  # reported by test_every_url_in_scope_is_in_the_matrix
        path = url_for(world, route)
        for role in ROLES:
            outcomes = {}
            for method in _methods(route):
                try:
                    response = call(world.clients[role], method, path, world.bodies.get(route.name))
                except Exception as exc:  # a server error is a finding of its own: no allow-list
                    outcomes[method] = ERROR
                    failures.append(f"{route.name} {method} {path} as {role}: server error {exc!r}")
                    continue
                outcome = classify(response, path)
                outcomes[method] = outcome
                if response.status_code >= 500:
                    failures.append(f"{route.name} {method} {path} as {role}: answered {response.status_code}")
                if role not in allowed and outcome == OK:
                    failures.append(
                        f"{route.name} {method} {path} as {role}: unexpected success {response.status_code} "
                        f"{response.get('Location', '')}"
                    )
                if outcome == OK and route.name in SCOPED_LISTS and role in (CHARLIE, NET, TEAM):
                    body = response.content.decode("utf-8", "replace")
                    leaked = [m for m in markers if m in body]
                    if leaked:
                        failures.append(f"{route.name} {method} as {role} shows data of Fes: {leaked}")
            if role in allowed and all(o in (REFUSED, ERROR) for o in outcomes.values()):
                failures.append(f"{route.name} {path}: {role} is allowed by the matrix but refused ({outcomes})")
    assert not failures, "authorization matrix:\n" + "\n".join(failures)


def test_charlie_is_refused_every_staff_object_of_fes(world):
    """The outsider persona, stated on its own: every /staff/<fes>/ page refuses charlie on every method."""
    checked = 0
    for route in routes_in_scope():
        path = url_for(world, route)
        if not path.startswith("/staff/fes/"):
            continue
        for method in ("GET", "POST"):
            response = call(world.clients[CHARLIE], method, path, world.bodies.get(route.name))
            # 405 for a method the view does not take, before any lookup: it discloses nothing.
            assert response.status_code in (404, 405), f"{method} {path} answered {response.status_code} to charlie"
            checked += response.status_code == 404
    assert checked > 40


def _permission_classes_declared(view_class) -> bool:
    for klass in view_class.__mro__:
        if klass is APIView:
            return False
        if "permission_classes" in vars(klass):
            return True
    return False


def test_every_api_view_states_who_may_call_it_or_inherits_deny_by_default():
    assert list(api_settings.DEFAULT_PERMISSION_CLASSES) == [permissions.IsAuthenticated]
    undeclared = []
    for route in routes_in_scope():
        view_class = route.view_class
        if route.name.startswith("api:"):
            assert view_class is not None and issubclass(view_class, APIView), f"{route.name} is not a DRF view"
            if not _permission_classes_declared(view_class):
                undeclared.append(route.name)
                assert list(view_class.permission_classes) == [permissions.IsAuthenticated], route.name
    # Views that inherit the default are deny-by-default; the rest declare their classes explicitly.
    assert all(MATRIX[name] <= SIGNED_IN | {P_TOKEN} for name in undeclared)


@pytest.mark.parametrize("role", [ANON, CHARLIE, NET])
def test_outsiders_never_see_the_live_session_state_of_fes(world, role):
    response = call(world.clients[role], "GET", f"/api/v1/sessions/{world.session.join_code}/state")
    assert response.status_code in (401, 404)
    assert world.session.title not in response.content.decode()
