"""The fast path: `POST /api/v1/sessions/<code>/votes`, `DELETE .../votes/<item>` and `POST .../join` (JSON,
without cookie or credentials) served straight from ASGI, without Django's middleware stack and DRF.

A room voting at once, or joining at once, is when Majlis must answer hundreds of requests a second on a small
machine. Through Django each request costs several trips between the event loop and a thread of its own and the
whole middleware stack (several milliseconds of CPU); here a request costs reading its body and headers. Everything
else is the one road of ingest.py, which the API's views and the pages take too: the same parser, counters, writer
and answers. The DRF views stay the documented operations (OpenAPI) and serve every request this path leaves to
Django (a browser's cookie, a staff token). On by default; turned off with MAJLIS_VOTE_FAST_PATH=0.
"""

import json
import re
from types import SimpleNamespace

from django.conf import settings
from django.utils import translation
from rest_framework import exceptions

from ..tokens import claims_from_authorization
from . import ingest

VOTES = re.compile(r"^/api/v1/sessions/(?P<code>[A-Za-z0-9-]{1,16})/votes(?:/(?P<item>\d+))?/?$")
JOIN = re.compile(r"^/api/v1/sessions/(?P<code>[A-Za-z0-9-]{1,16})/join/?$")


class VoteFastPath:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and getattr(settings, "MAJLIS_VOTE_FAST_PATH", False):
            path, method = scope.get("path", ""), scope.get("method")
            match = VOTES.match(path)
            if (
                match
                and ((method == "POST" and not match["item"]) or (method == "DELETE" and match["item"]))
                and _participant_credentials(scope)
            ):
                operation = ingest.WITHDRAW if match["item"] else ingest.VOTE
                return await self._serve(scope, receive, send, operation, match["code"], match["item"])
            match = JOIN.match(path) if method == "POST" else None
            if match and _anonymous_json(scope):
                return await self._serve(scope, receive, send, ingest.JOIN, match["code"], None)
        return await self.app(scope, receive, send)

    async def _serve(self, scope, receive, send, operation, code, item):
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = scope.get("client") or ("-", 0)
        with translation.override(_language(headers)):
            if operation is ingest.JOIN:
                caller = ingest.Caller(
                    code=code,
                    address=client[0] or "-",
                    join_headers=ingest.JoinHeaders(
                        content_type=headers.get("content-type", ""),
                        origin=headers.get("origin"),
                        scheme=scope.get("scheme", "http"),
                        host=headers.get("host", ""),
                    ),
                )
            else:
                claims = claims_from_authorization(headers.get("authorization", ""))
                caller = ingest.Caller(code=code, address=client[0] or "-", participant=claims)
            try:
                data = {"item": int(item)} if item is not None else await _read_body(receive)
            except exceptions.ParseError as error:
                data = error
            answer = await ingest.aperform(operation, caller, data)
            payload = json.dumps(answer.body, ensure_ascii=False).encode()
        response_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"vary", b"Accept-Language, Cookie"),
        ]
        if answer.headers:  # Retry-After, WWW-Authenticate
            response_headers += [(name.lower().encode(), value.encode()) for name, value in answer.headers.items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": response_headers})
        await send({"type": "http.response.body", "body": payload})


def _participant_credentials(scope) -> bool:
    """Votes take the fast path with a participant token; any other caller (a staff token, a browser's cookie,
    nobody) goes through Django, which answers it as every participant operation does (docs/security.md)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            return value[:12].lower() == b"participant "
    return False


def _anonymous_json(scope) -> bool:
    """Joins take the fast path only as the API's clients send them: JSON, no cookie, no credentials. A browser
    with a session cookie (CSRF rules) or a staff token goes through Django."""
    names = {name.lower(): value for name, value in scope.get("headers", [])}
    content_type = names.get(b"content-type", b"").split(b";")[0].strip().lower()
    return content_type == b"application/json" and b"cookie" not in names and b"authorization" not in names


async def _read_body(receive) -> bytes:
    """The request's body, refused unread past ingest.MAX_BODY (a ParseError, which the road answers)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise exceptions.ParseError()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > ingest.MAX_BODY:
            raise exceptions.ParseError(translation.gettext("The request is too large."))
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _language(headers) -> str:
    cookies = {}
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies[name] = value
    request = SimpleNamespace(COOKIES=cookies, META={"HTTP_ACCEPT_LANGUAGE": headers.get("accept-language", "")})
    return translation.get_language_from_request(request)
