"""Security headers on every response, and templates free of what the Content-Security-Policy forbids."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from consultations import services
from frontend.middleware_security import DEFAULT_POLICY, policy_header

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "frontend" / "templates"


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


@pytest.fixture
def session(city_a, facilitator):
    consultation = services.consultation_create(city=city_a, title="Fes", created_by=facilitator)
    return services.session_create(consultation=consultation, title="Room", created_by=facilitator)


@pytest.mark.parametrize("path", ["/", "/healthz", "/join/", "/accounts/login/", "/api/v1/cities/", "/nowhere/"])
def test_every_response_carries_the_strict_policy_and_the_other_headers(client, path):
    response = client.get(path)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'", "ws://testserver"]  # the site's own socket only (test_socket_origin)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_participant_and_join_pages_carry_the_strict_policy(client, session):
    response = client.get(f"/j/{session.join_code}/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == policy_header(DEFAULT_POLICY, "ws://testserver")


def test_swagger_ui_gets_a_nonce_for_its_inline_script_and_nothing_else_is_relaxed(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    nonces = [s for s in policy["script-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1 and "'unsafe-inline'" not in policy["script-src"]
    nonce = nonces[0][len("'nonce-") : -1]
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    if response.has_header("Content-Length"):
        assert int(response["Content-Length"]) == len(response.content)
    # A fresh nonce per response.
    again = _directives(client.get("/api/v1/docs/")["Content-Security-Policy"])
    assert [s for s in again["script-src"] if s.startswith("'nonce-")] != nonces


def test_the_relaxed_policy_is_limited_to_the_two_api_viewers(client):
    for path in ("/api/v1/schema/", "/", "/api/v1/docs"):
        header = client.get(path)["Content-Security-Policy"]
        assert "nonce-" not in header and "'unsafe-inline'" not in header


def test_a_view_that_sets_its_own_policy_keeps_it(rf):
    from django.http import HttpResponse

    from frontend.middleware_security import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_settings_can_replace_a_directive(settings, rf):
    from django.http import HttpResponse

    from frontend.middleware_security import SecurityHeadersMiddleware

    settings.MAJLIS_CSP = {"img-src": ["'self'", "data:", "https://tiles.example.org"]}
    response = SecurityHeadersMiddleware(lambda request: HttpResponse("x"))(rf.get("/"))
    policy = _directives(response["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "https://tiles.example.org"]
    assert policy["script-src"] == ["'self'"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
JS_URL = re.compile(r"href\s*=\s*[\"']\s*javascript:", re.IGNORECASE)


def test_no_template_has_inline_scripts_styles_or_event_handlers():
    """What the policy would block in a browser: move it to frontend/static/ instead."""
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for label, pattern in (
            ("inline <script>", INLINE_SCRIPT),
            ("style attribute", STYLE_ATTRIBUTE),
            ("<style> element", STYLE_ELEMENT),
            ("on* handler", HANDLER_ATTRIBUTE),
            ("javascript: URL", JS_URL),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{line}: {label}")
    assert not offenders, "blocked by the Content-Security-Policy:\n" + "\n".join(offenders)


def test_bars_are_sized_by_classes_that_the_stylesheet_defines():
    css = (Path(settings.BASE_DIR) / "frontend" / "static" / "frontend" / "percent.css").read_text()
    for n in (0, 7, 50, 100):
        assert f".pct-{n} {{ --pct: {n}%; --share: {n}%; }}" in css
