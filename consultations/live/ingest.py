"""The one road of every participant operation: join, submit, vote, withdraw.

Whatever door a request comes in by (the ASGI fast path in asgi.py, the API's views in consultations/api/views.py,
the participant pages in frontend/views/sessions.py), the door only finds out who is asking (a `Caller`) and hands
the request's data to `perform` (or `aperform` on the event loop), which for each operation:

1. names the rate-limit counters the request is counted against (limits.py), before anything else, so that a
   request refused below is counted as well;
2. parses the data with the operation's one parser (`Operation.parse`): a JSON body, the API's parsed data or a
   page's form, with the API's field messages;
3. sends the service call (services.py, where the rules are stated) with its counters to the writer (writer.py),
   which counts the counters of a whole group at once, runs the calls in one transaction and answers once it commits;
4. answers: the status and JSON body of the API's contract (docs/api.md), which the pages read too (`Answer`).

A request refused before step 3 (no valid token, a malformed body, a code of another session) still goes to the
writer, as a refusal: it is counted and answered there, in the same order as any other request.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from rest_framework import exceptions, serializers

from cities.errors import DomainError

from .. import joins, services
from ..api import serializers as s
from ..errors import SessionNotFound
from ..models import AgeBand, Gender, Organisation, Participant
from ..tokens import participant_token
from . import aio, limits
from .writer import ballot_box, refused

MAX_BODY = 4096  # bytes of a request's body; longer bodies are refused unread (asgi.py)


@dataclass(slots=True)
class JoinHeaders:
    """What a join through the API says of itself: joins take JSON only, and no request from another site
    (joins.join_request_refusal). The join page's form is same-site by Django's CSRF check and sends none."""

    content_type: str
    origin: str | None
    scheme: str
    host: str


@dataclass(slots=True)
class Caller:
    """Who asks: the session code of the path, the client's address, and for a participant's operations the
    (participant id, session id) its signed token or its browser's cookie names (None: no valid credentials)."""

    code: str
    address: str = "-"
    participant: tuple[int, int] | None = None
    idempotency_key: str | None = None
    join_headers: JoinHeaders | None = None


@dataclass(slots=True)
class Answer:
    """The API's answer (status, JSON body, headers); `result` is the service's own result for a page in the same
    process, `error` the refusal's exception (a page words it)."""

    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)
    result: Any = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def detail(self) -> str:
        """What a person reads of a refusal, in the language of the request (a page shows it as it is)."""
        return str(self.body.get("detail", "")) if self.error is not None else ""


class Invalid(exceptions.APIException):
    """Data that does not parse: 400 with the first message as detail and every field's messages as errors."""

    status_code = 400

    def __init__(self, errors: dict):
        self.errors = {name: [str(message) for message in messages] for name, messages in errors.items()}
        first = next(iter(self.errors.values()))[0]
        super().__init__(first)

    @property
    def body(self) -> dict:
        return {"detail": str(self.detail), "errors": self.errors}


# --- Parsers ------------------------------------------------------------------------------------------------------


def _mapping(data) -> Mapping:
    """The request's data as a mapping: a JSON body (bytes) is decoded; anything else is taken as it is (a door that
    could not read the body hands over its error, answered here)."""
    if type(data) is dict:
        return data
    if isinstance(data, Exception):
        raise data
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_BODY:
            raise exceptions.ParseError(gettext("The request is too large."))
        try:
            data = json.loads(data or b"{}")
        except ValueError:
            raise exceptions.ParseError() from None
        if type(data) is dict:
            return data
    if not isinstance(data, Mapping):
        raise Invalid({"non_field_errors": [gettext("Invalid data. Expected a dictionary.")]})
    return data


def _by_serializer(serializer_class, data: Mapping) -> dict:
    """The serializer's validated data, or Invalid with its messages (the wording of every unusual request)."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise Invalid(serializer.errors)
    return dict(serializer.validated_data)


def _plain_integer(value) -> int | None:
    """value when it is plainly a whole number (an int, or digits in a string, as a form sends them), else None."""
    if type(value) is int:
        return value
    if type(value) is str and value.strip().isdecimal():  # not isdigit: "¹" is a digit int() refuses
        return int(value)
    return None


def parse_vote(data) -> dict:
    """{"item", "points"} of a ballot (VoteRequest's rules and messages; points defaults to 1)."""
    data = _mapping(data)
    item, points = _plain_integer(data.get("item")), _plain_integer(data.get("points", 1))
    if item is None or points is None or not data.keys() <= {"item", "points"}:
        return _by_serializer(s.VoteRequest, data)
    return {"item": item, "points": points}


class _ItemOnly(serializers.Serializer):
    item = serializers.IntegerField()


def parse_withdraw(data) -> dict:
    """{"item"} of a withdrawal (the path's item id, or a page form's)."""
    data = _mapping(data)
    item = _plain_integer(data.get("item"))
    return {"item": item} if item is not None else _by_serializer(_ItemOnly, data)


def parse_submit(data) -> dict:
    """{"kind", "text", "answers"?, "theme"?} of a submitted item (ItemRequest)."""
    data = _mapping(data)
    if hasattr(data, "getlist"):  # a page's form: several answers under one name
        data = {**data.dict(), "answers": data.getlist("answers")} if "answers" in data else data.dict()
    return _by_serializer(s.ItemRequest, data)


_JOIN_CHOICES = {"age_band": AgeBand.values, "gender": Gender.values, "organisation": Organisation.values}
_JOIN_TEXT = {"district": 10**9, "language": 8, "device": 64, "room_code": 16, "card": 32}  # name -> most characters
_JOIN_FIELDS = {"consent", *_JOIN_TEXT, *_JOIN_CHOICES}


def parse_join(data) -> dict:
    """JoinRequest's validated data. The plain request every client sends (consent true, answers taken from the
    lists, strings without control characters) is read directly: a DRF serializer deep-copies its fields on every
    use, most of a join's time on the event loop during a join storm. Anything else goes to the serializer, which
    words the errors. tests/consultations/test_join_request.py checks that both read the same data alike."""
    data = _mapping(data)
    fields = plain_join(data)
    return fields if fields is not None else _by_serializer(s.JoinRequest, data)


def plain_join(data) -> dict | None:
    """JoinRequest's validated data for a plain request, read without the serializer; None for anything else."""
    if not isinstance(data, dict) or data.get("consent") is not True or not data.keys() <= _JOIN_FIELDS:
        return None
    fields: dict = {"consent": True}
    for name, choices in _JOIN_CHOICES.items():
        if name in data:
            value = data[name]
            if type(value) is not str or (value and value not in choices):
                return None
            fields[name] = value
    for name, longest in _JOIN_TEXT.items():
        if name not in data:
            continue
        value = data[name]
        if value is None and name != "language":
            fields[name] = None
            continue
        if type(value) is not str or not value.isprintable():
            return None
        value = value.strip()
        if len(value) > longest:
            return None
        fields[name] = value
    return fields


# --- Operations ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One participant operation: its counters, its parser, its service call and its answer."""

    name: str
    hits: Callable[[Caller], limits.Hits | None]
    call: Callable[[Caller, Mapping | bytes, int | None], tuple[Callable, dict]]
    answer: Callable[[Any, dict], Answer]  # (the service's result, the call's arguments) -> the answer
    for_participant: bool = True  # needs a participant's credentials, checked against the path's code


def _participant_hits(counter):
    def hits(caller: Caller) -> limits.Hits | None:
        if caller.participant is None:
            return None  # not counted: refused for want of credentials
        participant_id, session_id = caller.participant
        return counter(participant_id=participant_id, session_id=session_id)

    return hits


def _bare_participant(caller: Caller) -> Participant:
    """The participant the credentials name, without a query (the services check that it exists)."""
    participant_id, session_id = caller.participant
    return Participant(pk=participant_id, session_id=session_id)


def _vote_call(caller, data, _session_id):
    fields = parse_vote(data)
    return services.vote_cast, {
        "participant": _bare_participant(caller),
        "item_id": fields["item"],
        "points": fields["points"],
    }


def _vote_answer(result, _kwargs) -> Answer:
    body = {
        "item": result.ballot.item_id,
        "points": result.ballot.points,
        "changed": result.changed,
        "version": result.version,
    }
    return Answer(201 if result.created else 200, body, result=result)


def _withdraw_call(caller, data, _session_id):
    item = parse_withdraw(data)["item"]
    return services.vote_withdraw, {"participant": _bare_participant(caller), "item_id": item}


def _submit_call(caller, data, _session_id):
    fields = parse_submit(data)
    fields["participant"] = _bare_participant(caller)
    if caller.idempotency_key is None:
        return _submit, fields
    return services.item_submit_once, {**fields, "idempotency_key": caller.idempotency_key}


def _submit(**fields):
    return services.item_submit(**fields), True


def _submit_answer(result, _kwargs) -> Answer:
    item, created = result
    return Answer(201, s.item_body(item), {} if created else {"Idempotent-Replayed": "true"}, result=item)


def _join_call(caller, data, _session_id):
    headers = caller.join_headers
    if headers is not None:
        refusal = joins.join_request_refusal(
            content_type=headers.content_type, origin=headers.origin, scheme=headers.scheme, host=headers.host
        )
        if refusal is not None:
            raise refusal
    return services.participant_join, {"code": caller.code, "address": caller.address, **parse_join(data)}


def join_answer(participant: Participant) -> dict:
    """The body of a successful join (no query: the participant carries its session)."""
    session = participant.session
    return {
        "token": participant_token(participant),
        "participant": participant.pk,
        "session": {"id": session.pk, "code": session.join_code, "title": session.title},
        "state_url": f"/api/v1/sessions/{session.join_code}/state",
        "websocket_url": f"/ws/sessions/{session.join_code}/",
        "resumed": getattr(participant, "resumed", False),
    }


VOTE = Operation("vote", _participant_hits(limits.vote_hits), _vote_call, _vote_answer)
WITHDRAW = Operation(
    "withdraw",
    _participant_hits(limits.vote_hits),
    _withdraw_call,
    lambda withdrawn, kwargs: Answer(200, {"item": kwargs["item_id"], "withdrawn": withdrawn}, result=withdrawn),
)
SUBMIT = Operation("submit", _participant_hits(limits.submit_hits), _submit_call, _submit_answer)
JOIN = Operation(
    "join",
    lambda caller: limits.join_hits(code=caller.code, address=caller.address),
    _join_call,
    lambda participant, _kwargs: Answer(201, join_answer(participant), result=participant),
    for_participant=False,
)


# --- The road -----------------------------------------------------------------------------------------------------


def _prepared(operation: Operation, caller: Caller, data, session_id: int | None) -> tuple[Callable, dict]:
    """The service call to make, or a refusal for the writer to answer (counted all the same)."""
    try:
        if operation.for_participant:
            if caller.participant is None:
                raise exceptions.NotAuthenticated()
            if session_id is None:
                raise SessionNotFound()
            if session_id != caller.participant[1]:
                raise exceptions.PermissionDenied()
        return operation.call(caller, data, session_id)
    except REFUSALS as error:
        return refused, {"error": error}


def _session_id(code: str) -> int | None:
    try:
        return aio.session_id_for_code(code)
    except SessionNotFound:
        return None


def perform(operation: Operation, caller: Caller, data) -> Answer:
    """The operation for caller, with its data (JSON bytes or a mapping), through the writer; its answer."""
    session_id = _session_id(caller.code) if operation.for_participant and caller.participant else None
    fn, kwargs = _prepared(operation, caller, data, session_id)
    try:
        result = ballot_box.run(fn, operation.hits(caller), **kwargs)
    except REFUSALS as error:
        return refusal(error)
    return operation.answer(result, kwargs)


async def aperform(operation: Operation, caller: Caller, data) -> Answer:
    """perform, on the event loop: the writer's answer is awaited, never blocked on."""
    session_id = await aio.session_for_code(caller.code) if operation.for_participant and caller.participant else None
    fn, kwargs = _prepared(operation, caller, data, session_id)
    try:
        result = await ballot_box.arun(fn, operation.hits(caller), **kwargs)
    except REFUSALS as error:
        return refusal(error)
    return operation.answer(result, kwargs)


REFUSALS = (DomainError, exceptions.APIException)


def refusal(error: Exception) -> Answer:
    """The API's answer to a refused request (docs/api.md, "Errors"): a domain error's body and status (with
    Retry-After for a rate limit), the parser's field errors, or DRF's answer to missing credentials."""
    headers: dict[str, str] = {}
    if isinstance(error, DomainError):
        body = error.as_body()
        if isinstance(error, limits.RateLimited):
            headers["Retry-After"] = str(error.retry_after)
    elif isinstance(error, Invalid):
        body = error.body
    else:
        body = {"detail": str(error.detail)}
        if error.status_code == 401:
            headers["WWW-Authenticate"] = "Participant"
    return Answer(error.status_code, body, headers, error=error)
