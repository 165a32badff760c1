"""The fast path: `POST /api/v1/sessions/<code>/votes`, `DELETE .../votes/<item>` and `POST .../join` (JSON,
without cookie or credentials) served straight from ASGI, without Django's middleware stack and DRF.

A room voting at once, or joining at once, is when Majlis must answer hundreds of requests a second on a small
machine. Through Django each request costs several trips between the event loop and a thread of its own and the
whole middleware stack (several milliseconds of CPU); here a vote costs a JSON parse, an HMAC check of the
participant token and a place in the ballot box. The rules are the same code: `services.vote_cast` /
`vote_withdraw` and `services.participant_join` (validated by the view's own serializer) run in the ballot box's
group commit, and the requests, answers and errors are exactly those of the DRF views in
consultations/api/views.py, which stay the documented operations (OpenAPI) and serve every other path.
tests/consultations/test_fastpath.py checks that both answer alike, rate limits included (throttles.acheck_vote /
acheck_join, as the views' throttles). On by default; turned off with MAJLIS_VOTE_FAST_PATH=0.
"""

import asyncio
import json
import re
from types import SimpleNamespace

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from rest_framework import exceptions

from .. import joins, services
from ..api.serializers import JoinRequest, plain_join_request
from ..api.views import PARTICIPANT_KEYWORD, join_answer
from ..errors import SessionError, SessionNotFound
from ..models import Participant
from ..tokens import participant_claims
from . import limits as throttles
from .aio import in_db_thread, session_for_code
from .writer import ballot_box

VOTES = re.compile(r"^/api/v1/sessions/(?P<code>[A-Za-z0-9-]{1,16})/votes(?:/(?P<item>\d+))?/?$")
JOIN = re.compile(r"^/api/v1/sessions/(?P<code>[A-Za-z0-9-]{1,16})/join/?$")
MAX_BODY = 4096


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
                return await self._handle(scope, receive, send, self._vote, match["code"], match["item"])
            match = JOIN.match(path) if method == "POST" else None
            if match and _anonymous_json(scope):
                return await self._handle(scope, receive, send, self._join, match["code"], None)
        return await self.app(scope, receive, send)

    async def _handle(self, scope, receive, send, operation, code, item):
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        with translation.override(_language(headers)):
            extra_headers = []
            try:
                status, body = await operation(scope, headers, receive, code, item)
            except throttles.RateLimited as limited:  # as throttles.RateLimitedError answers in the DRF view
                status, body = limited.status_code, {"detail": str(limited.message), "code": limited.code}
                extra_headers.append((b"retry-after", str(limited.retry_after).encode()))
            except SessionError as exc:
                status, body = exc.status_code, {"detail": str(exc.message), "code": exc.code}
            except _ValidationError as exc:
                status, body = exc.status_code, exc.body
            except exceptions.APIException as exc:
                status, body = exc.status_code, {"detail": str(exc.detail)}
            payload = json.dumps(body, ensure_ascii=False).encode()
        response_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"vary", b"Accept-Language, Cookie"),
        ]
        if status == 401:
            response_headers.append((b"www-authenticate", b"Participant"))
        response_headers.extend(extra_headers)
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": payload})

    async def _join(self, scope, headers, receive, code, _item):
        """POST /join as consultations.api.views.SessionJoin answers it: throttle, validate, join, 201."""
        body = await _read_body(receive)
        client = scope.get("client") or ("-", 0)
        address = client[0] or "-"
        try:
            refusal = joins.join_request_refusal(
                content_type=headers.get("content-type", ""), origin=headers.get("origin"),
                scheme=scope.get("scheme", "http"), host=headers.get("host", ""),
            )  # fmt: skip
            if refusal is not None:
                raise refusal
            fields = _join_fields(body)
        except Exception:
            await throttles.acheck_join(code=code, address=address)  # DRF: JoinThrottle, before the view
            raise
        limits = throttles.join_hits(code=code, address=address)
        if not ballot_box.enabled:
            await throttles.acheck_join(code=code, address=address)
            limits = None
        # Otherwise counted by the ballot box's writer with its group, before it writes (_vote says why).
        participant = await _in_ballot_box(services.participant_join, limits, code=code, address=address, **fields)
        return 201, join_answer(participant)  # no query: the participant carries its session

    async def _vote(self, scope, headers, receive, code, item):
        keyword, _, token = headers.get("authorization", "").partition(" ")
        claims = participant_claims(token.strip()) if keyword.lower() == PARTICIPANT_KEYWORD else None
        body = await _read_body(receive)
        if claims is None:
            raise exceptions.NotAuthenticated()
        participant_id, session_id = claims
        code_session = await session_for_code(code)
        try:
            if code_session is None:
                raise SessionNotFound()
            if code_session != session_id:
                raise exceptions.PermissionDenied()
            vote = None if item is not None else _parse_vote(body)
        except Exception:
            # Counted first, as DRF's VoteThrottle counts before the view refuses the request.
            await throttles.acheck_vote(participant_id=participant_id, session_id=session_id)
            raise
        limits = throttles.vote_hits(participant_id=participant_id, session_id=session_id)
        if not ballot_box.enabled:
            await throttles.acheck_vote(participant_id=participant_id, session_id=session_id)
            limits = None
        # Otherwise the ballot box's writer counts the limits with the rest of its group (ballot_box.submit), before
        # it writes anything: no round trip to Redis on the event loop, where each request would wait for turns of
        # a busy loop around it.
        participant = Participant(pk=participant_id, session_id=session_id)
        if item is not None:
            withdrawn = await _in_ballot_box(
                services.vote_withdraw, limits, participant=participant, item_id=int(item)
            )  # fmt: skip
            return 200, {"item": int(item), "withdrawn": withdrawn}
        item_id, points = vote
        result = await _in_ballot_box(
            services.vote_cast, limits, participant=participant, item_id=item_id, points=points
        )  # fmt: skip
        return (201 if result.created else 200), {
            "item": result.ballot.item_id,
            "points": result.ballot.points,
            "changed": result.changed,
            "version": result.version,
        }


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


async def _in_ballot_box(fn, rate_limits=None, **kwargs):
    if ballot_box.enabled:
        return await asyncio.wrap_future(ballot_box.submit(fn, rate_limits, **kwargs))
    return await in_db_thread(fn)(**kwargs)


async def _read_body(receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise exceptions.ParseError()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise exceptions.ParseError(gettext("The request is too large."))
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _join_fields(body: bytes) -> dict:
    """The join request's fields, validated as the view's serializer validates them."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise exceptions.ParseError() from None
    fields = plain_join_request(data)
    if fields is None:  # anything unusual: the view's own serializer validates it and words the errors
        request = JoinRequest(data=data)
        if not request.is_valid():
            errors = request.errors
            first = next(iter(errors.values()))[0]
            raise _ValidationError({"detail": str(first), "errors": errors})
        fields = request.validated_data
    return fields


def _parse_vote(body: bytes) -> tuple[int, int]:
    """The same rules as consultations.api.serializers.VoteRequest, with DRF's messages."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise exceptions.ParseError() from None
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [gettext("Invalid data. Expected a dictionary.")]})
    errors = {}
    item = _integer(data, "item", required=True, errors=errors)
    points = _integer(data, "points", required=False, errors=errors)
    if errors:
        first = next(iter(errors.values()))[0]
        raise _ValidationError({"detail": first, "errors": errors})
    return item, 1 if points is None else points


def _integer(data, name, *, required, errors):
    if name not in data:
        if required:
            errors[name] = [gettext("This field is required.")]
        return None
    value = data[name]
    if value is None:
        errors[name] = [gettext("This field may not be null.")]
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        errors[name] = [gettext("A valid integer is required.")]
        return None
    try:
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        errors[name] = [gettext("A valid integer is required.")]
        return None


class _ValidationError(exceptions.APIException):
    status_code = 400

    def __init__(self, body):
        self.body = body
        super().__init__(body["detail"])


def _language(headers) -> str:
    cookies = {}
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies[name] = value
    request = SimpleNamespace(COOKIES=cookies, META={"HTTP_ACCEPT_LANGUAGE": headers.get("accept-language", "")})
    return translation.get_language_from_request(request)
