"""The one adapter over third-party internals (consultations/live/internals.py) fails loudly when an upgrade of
uvicorn, websockets or Django changes what it uses."""

import pytest
from django.core.cache.backends.redis import RedisCache

from consultations.live import internals


def test_the_installed_libraries_have_everything_the_adapter_uses():
    assert internals.problems() == [], (
        "An upgrade changed internals the live machinery relies on: adapt consultations/live/internals.py"
    )


def test_a_missing_attribute_is_named(monkeypatch):
    monkeypatch.setattr(internals, "PROTOCOL_ATTRIBUTES", (*internals.PROTOCOL_ATTRIBUTES, "no_such_attribute"))
    assert internals.problems() == ["uvicorn WebSocketsSansIOProtocol.no_such_attribute"]


def test_the_redis_client_is_the_backends_own():
    backend = RedisCache(server="redis://127.0.0.1:1/0", params={})
    client = internals.redis_client(backend)
    assert client.connection_pool.connection_kwargs["port"] == 1
    assert callable(client.pipeline)


def test_a_send_of_another_server_gets_no_direct_writer():
    async def send(message):  # a plain ASGI send, as any server but uvicorn's websockets-sansio gives
        pass

    assert internals.DirectWriter.behind(send) is None


@pytest.mark.parametrize("text", ["{}", "x" * 200, "é" * 70_000])
def test_text_frames_are_the_websocket_encoding_of_the_text(text):
    frame, payload = internals.text_frame(text), text.encode()
    assert frame[0] == 0x81  # FIN + text, unmasked
    if len(payload) < 126:
        header = bytes([0x81, len(payload)])
    elif len(payload) < 2**16:
        header = bytes([0x81, 126]) + len(payload).to_bytes(2, "big")
    else:
        header = bytes([0x81, 127]) + len(payload).to_bytes(8, "big")
    assert frame == header + payload
