"""The one adapter over third-party internals the live machinery relies on.

Two libraries are used past their public API, for speed, and only here:
- uvicorn's websockets-sansio protocol: a state is written to a socket's transport as a ready-made frame, built once
  for every socket of a room (a broadcast), instead of one ASGI `send` per socket (sockets.py, `SessionSocket.offer`).
  Under any other server, or with per-message compression, `DirectWriter.behind` answers None and every state goes
  through ASGI `send`.
- Django's Redis cache backend: the rate limits count a whole group of requests in one pipeline on the backend's own
  client (limits.py), which Django's cache API has no call for.

`problems()` names every attribute used here that the installed versions lack; tests/consultations/test_internals.py
fails with that list after an upgrade that changes them.
"""

import inspect

from django.core.cache.backends.redis import RedisCache

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.frames import Frame, Opcode
    from websockets.protocol import State
except ImportError:  # another ASGI server: every state goes through ASGI send
    WebSocketsSansIOProtocol = None

# The attributes of uvicorn's protocol object DirectWriter reads or calls.
PROTOCOL_ATTRIBUTES = (
    "writable",
    "disconnected",
    "close_sent",
    "handshake_complete",
    "initial_response",
    "transport",
    "conn",
)


class DirectWriter:
    """Writes text frames straight to one WebSocket's transport (uvicorn's websockets-sansio protocol)."""

    def __init__(self, protocol) -> None:
        self._protocol = protocol

    @classmethod
    def behind(cls, send) -> "DirectWriter | None":
        """The writer of the connection behind an ASGI `send`, or None when states must go through `send`."""
        protocol = getattr(send, "__self__", None)
        if WebSocketsSansIOProtocol is not None and isinstance(protocol, WebSocketsSansIOProtocol):
            return cls(protocol)
        return None

    @property
    def paused(self) -> bool:
        """Paused by flow control: the client reads slower than the server writes."""
        return not self._protocol.writable.is_set()

    def write_if_ready(self, text: str) -> bool:
        """Write text as one frame if it reaches an open, uncompressed connection now; False otherwise (paused by
        flow control, closing, or compressed per message: then the state goes through ASGI send)."""
        protocol = self._protocol
        if (
            not protocol.writable.is_set()
            or protocol.disconnected
            or protocol.close_sent
            or not protocol.handshake_complete
            or protocol.initial_response is not None
            or protocol.transport.is_closing()
            or protocol.conn.state is not State.OPEN
            or protocol.conn.extensions  # per-message compression: frames differ per socket
        ):
            return False
        protocol.transport.write(text_frame(text))
        return True


_frames: dict[str, bytes] = {}  # the last states' text frames: built once per state and audience, not per socket


def text_frame(text: str) -> bytes:
    """The WebSocket frame of a server-to-client text message (unmasked, no extension)."""
    frame = _frames.get(text)
    if frame is None:
        if len(_frames) >= 8:
            _frames.clear()
        frame = _frames[text] = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
    return frame


def redis_client(backend: RedisCache):
    """The redis-py client Django's Redis cache backend writes with (its first server)."""
    return backend._cache.get_client(write=True)


def problems() -> list[str]:
    """What the installed uvicorn, websockets and Django lack of what this module uses (empty when all is there)."""
    found = []
    if WebSocketsSansIOProtocol is not None:
        source = inspect.getsource(WebSocketsSansIOProtocol)
        found += [
            f"uvicorn WebSocketsSansIOProtocol.{name}"
            for name in PROTOCOL_ATTRIBUTES
            if f"self.{name} " not in source
            and f"self.{name}:" not in source
            and not hasattr(WebSocketsSansIOProtocol, name)
        ]
        if not hasattr(State, "OPEN") or not callable(getattr(Frame, "serialize", None)):
            found.append("websockets Frame.serialize / State.OPEN")
    client = getattr(RedisCache(server="redis://127.0.0.1:1/0", params={}), "_cache", None)
    if not callable(getattr(client, "get_client", None)):
        found.append("django RedisCache._cache.get_client")
    return found
