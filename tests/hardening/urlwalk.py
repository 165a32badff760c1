"""Walk the URL configuration and call each view as a role (the authorization matrix's machinery)."""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Namespaces and names inside the scope of the matrix. The Django admin, allauth's pages and the language
# switch are third-party views with their own tests; the API schema and its two viewers are public by design.
IN_SCOPE_NAMESPACES = ("frontend", "api")
OUT_OF_SCOPE = {"api:schema", "api:docs", "api:redoc"}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    arguments: tuple[str, ...]
    callback: object

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)


def walk(resolver=None, namespace: str = "") -> list[Route]:
    """Every named URL pattern under resolver, recursively, with its namespace and argument names."""
    resolver = resolver or get_resolver()
    routes = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            routes.extend(walk(pattern, inner))
        elif isinstance(pattern, URLPattern):
            regex = pattern.pattern.regex
            arguments = tuple(regex.groupindex)
            if pattern.name:
                routes.append(Route(f"{namespace}{pattern.name}", arguments, pattern.callback))
    return routes


def routes_in_scope() -> list[Route]:
    seen, routes = set(), []
    for route in walk():
        if route.name.split(":", 1)[0] not in IN_SCOPE_NAMESPACES or route.name in OUT_OF_SCOPE:
            continue
        if route.name not in seen:
            seen.add(route.name)
            routes.append(route)
    return routes


def url_for(world, route: Route) -> str:
    values = {**world.kwargs, **world.overrides.get(route.name, {})}
    missing = [a for a in route.arguments if a not in values]
    assert not missing, f"{route.name}: no value for URL argument(s) {missing}: add them to the world fixture"
    return reverse(route.name, kwargs={a: values[a] for a in route.arguments}) + world.queries.get(route.name, "")


OK, REFUSED, OTHER, ERROR = "ok", "refused", "other", "error"


def _login_path() -> str:
    return urlsplit(resolve_url(settings.LOGIN_URL)).path


def classify(response, path: str = "") -> str:
    """ok: 2xx, or a redirect to a page other than sign-in; refused: 401, 403, 404, a redirect to sign-in or,
    for participant pages, to the join page; other: anything else (400 for an empty body, 405, 409 ...)."""
    status = response.status_code
    if 200 <= status < 300:
        return OK
    if 300 <= status < 400:
        location = urlsplit(response.get("Location", "")).path
        login = _login_path()
        # A participant page sends a browser that has not joined to the join page: its form of refusal.
        to_join = path.startswith("/s/") and location.startswith("/j/")
        refused = location.startswith((login, "/accounts/")) or to_join
        return REFUSED if refused else OK
    if status in (401, 403, 404):
        return REFUSED
    return OTHER


def call(client, method: str, path: str, body: dict | None = None):
    """One request whose writes are rolled back, so that every call sees the same world. A POST sends body when
    given: as JSON to the API, as a form to pages; other methods send nothing."""
    with transaction.atomic():
        if method == "POST" and body is not None:
            if path.startswith("/api/"):
                response = client.post(path, data=json.dumps(body), content_type="application/json")
            else:
                response = client.post(path, data=body)
        else:
            response = getattr(client, method.lower())(path)
        transaction.set_rollback(True)
    if getattr(response, "streaming", False):
        # A file download: read it through the test client's wrapper, which closes the file without closing
        # the database connection (response.close() alone would fire request_finished).
        b"".join(response.streaming_content)
    return response
