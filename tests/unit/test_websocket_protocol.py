"""The parts of api/websocket_protocol.py that stand in for asyncio's Queue and Event, and the
protocol that `python -m api serve` runs (the WebSocket tests run through it)."""

from __future__ import annotations

import asyncio
import json

import pytest

from api.websocket_protocol import Gate, Inbox, LeanServerProtocol, LeanWebSocketProtocol


async def test_the_inbox_hands_events_over_in_order_and_wakes_its_reader():
    inbox = Inbox()
    inbox.put_nowait({"type": "websocket.connect"})
    assert not inbox.empty()
    assert await inbox.get() == {"type": "websocket.connect"}
    assert inbox.empty()

    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait({"type": "websocket.receive", "text": "1"})
    inbox.put_nowait({"type": "websocket.receive", "text": "2"})
    assert (await reader)["text"] == "1"
    assert (await inbox.get())["text"] == "2"


async def test_a_cancelled_reader_leaves_the_inbox_usable():
    inbox = Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert inbox.waiter is None
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    assert (await inbox.get())["code"] == 1000


async def test_the_gate_holds_writers_while_closed():
    gate = Gate()
    await asyncio.wait_for(gate.wait(), 1)  # open at first
    gate.clear()
    writers = [asyncio.create_task(gate.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(writer.done() for writer in writers)
    writers[0].cancel()  # one writer gone does not release the other
    await asyncio.sleep(0)
    assert not writers[1].done()
    gate.set()
    await asyncio.wait_for(writers[1], 1)


def test_the_server_parser_does_not_keep_the_handshake_request():
    protocol = LeanServerProtocol()
    protocol.receive_data(
        b"GET /graphql HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    [request] = protocol.events_received()
    assert request.path == "/graphql"
    assert all(request not in (frame.f_locals or {}).values() for frame in _generator_frames(protocol.parser))
    response = protocol.accept(request)
    protocol.send_response(response)
    assert protocol.state.name == "OPEN"


def _generator_frames(generator):
    while generator is not None and generator.gi_frame is not None:
        yield generator.gi_frame
        generator = generator.gi_yieldfrom


def test_serve_runs_the_lean_protocol():
    from uvicorn.importer import import_from_string

    from api.cli import WS_PROTOCOL

    assert import_from_string(WS_PROTOCOL) is LeanWebSocketProtocol


class _Wire:
    """A transport that keeps what is written."""

    def __init__(self) -> None:
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return False


def _open_protocol():
    from uvicorn.config import Config
    from uvicorn.server import ServerState
    from websockets.protocol import State

    async def app(scope, receive, send) -> None:  # pragma: no cover - never called
        pass

    config = Config(app, ws=LeanWebSocketProtocol)
    config.load()
    protocol = LeanWebSocketProtocol(config, ServerState(), {}, _loop=asyncio.get_running_loop())
    protocol.transport = _Wire()
    protocol.handshake_complete = True
    protocol.conn.state = State.OPEN
    return protocol


async def test_a_shared_event_is_sent_as_the_same_frames_as_its_text():
    from api.event_texts import EncodedText, EventTexts, encoded

    texts = EventTexts()
    payload = {"data": {"quoteContactsChanged": {"reference": "DEV-2024-0042", "lastName": "Lefèvre", "note": "é" * 300}}}
    first = texts.message({"type": "next", "id": "1", "payload": payload})
    second = texts.message({"type": "next", "id": "op-2", "payload": payload})
    assert isinstance(first, EncodedText) and isinstance(second, EncodedText)
    assert first.utf8 == first.encode() and second.utf8 == second.encode()
    assert json.loads(second) == {"type": "next", "id": "op-2", "payload": payload}
    assert len(texts) == 1  # the payload encoded once for both

    for message in (first, second):
        lean, plain = _open_protocol(), _open_protocol()
        await lean.send({"type": "websocket.send", "text": message})
        await plain.send({"type": "websocket.send", "text": str(message)})  # encoded as uvicorn does
        assert lean.transport.written == plain.transport.written
        assert lean.transport.written.endswith(message.encode())

    # The bytes sent are the ones made beforehand: the text is not encoded again.
    probe = encoded(("not these",), (b"these",))
    lean = _open_protocol()
    await lean.send({"type": "websocket.send", "text": probe})
    assert lean.transport.written == b"\x81\x05these"


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
async def test_a_shared_event_frame_is_the_one_websockets_makes(size):
    from api.event_texts import encoded

    text = "é" * (size // 2) + "x" * (size % 2)
    message = encoded((text,), (text.encode(),))
    lean, plain = _open_protocol(), _open_protocol()
    await lean.send({"type": "websocket.send", "text": message})
    await plain.send({"type": "websocket.send", "text": text})
    assert lean.transport.written == plain.transport.written
    assert len(message.utf8) == size and message.utf8 == text.encode()


async def test_a_shared_event_goes_through_permessage_deflate_when_negotiated():
    import zlib

    from api.event_texts import EventTexts
    from websockets.extensions.permessage_deflate import PerMessageDeflate

    payload = {"data": {"quoteContactsChanged": {"lastName": "Lefèvre", "note": "é" * 3000}}}
    message = EventTexts().message({"type": "next", "id": "1", "payload": payload})
    lean = _open_protocol()
    lean.conn.extensions = [PerMessageDeflate(False, False, 15, 15)]
    await lean.send({"type": "websocket.send", "text": message})
    frame = lean.transport.written
    assert frame[0] == 0xC1  # final, compressed (RSV1), text
    size = frame[1] & 0x7F
    body = frame[2:] if size < 126 else frame[4:]
    assert len(body) < len(message.utf8) // 10
    assert zlib.decompressobj(-15).decompress(body + b"\x00\x00\xff\xff") == message.utf8
