"""api/websocket_protocol.py builds on uvicorn's and websockets' internals (both pinned). These
tests fail loudly, naming what moved, when an upgrade changes what it relies on: the attributes
of uvicorn's protocol that it replaces or clears, the methods it overrides, and websockets'
server parser that it splits."""

from __future__ import annotations

import asyncio
import inspect

import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.protocol import Protocol
from websockets.server import ServerProtocol

from api.websocket_protocol import Gate, Inbox, LeanServerProtocol, LeanWebSocketProtocol


async def _app(scope, receive, send) -> None:  # pragma: no cover - never called
    pass


def _protocol(cls):
    config = Config(_app, ws=cls)
    config.load()
    return cls(config, ServerState(), {}, _loop=asyncio.get_running_loop())


async def test_uvicorns_protocol_still_has_what_the_lean_one_replaces():
    plain = _protocol(WebSocketsSansIOProtocol)
    assert isinstance(plain.queue, asyncio.Queue), "uvicorn's received-message queue moved: see Inbox"
    assert isinstance(plain.writable, asyncio.Event), "uvicorn's write gate moved: see Gate"
    assert isinstance(plain.conn, ServerProtocol), "uvicorn's sans-I/O connection moved: see LeanServerProtocol"
    for name in LeanWebSocketProtocol.__slots__:
        assert name in plain.__dict__ or hasattr(plain, name), f"uvicorn's protocol no longer sets {name!r}"
    for name in ("disconnected", "handshake_complete", "close_sent", "initial_response", "transport"):
        assert hasattr(plain, name) or name in inspect.getsource(WebSocketsSansIOProtocol.send), (
            f"uvicorn's protocol no longer has {name!r}, which LeanWebSocketProtocol.send checks")
    assert "self.conn.send_text(text_data.encode())" in inspect.getsource(WebSocketsSansIOProtocol.send), (
        "uvicorn no longer sends a text as conn.send_text(its UTF-8 bytes): see LeanWebSocketProtocol.send")
    for method in ("handle_connect", "send", "handle_text", "handle_bytes"):
        assert method in WebSocketsSansIOProtocol.__dict__, f"uvicorn's protocol no longer defines {method}()"
    handshake = inspect.getsource(WebSocketsSansIOProtocol.handle_connect)
    assert "self.request = " in handshake and "self.response = " in handshake, "the handshake's request/response moved"
    assert uvicorn.__version__ == "0.54.0", "uvicorn was upgraded: check api/websocket_protocol.py, then this pin"


async def test_the_lean_protocol_takes_their_place():
    lean = _protocol(LeanWebSocketProtocol)
    assert isinstance(lean.queue, Inbox) and isinstance(lean.writable, Gate)
    assert isinstance(lean.conn, LeanServerProtocol)
    assert "__dict__" not in LeanWebSocketProtocol.__slots__


def test_websockets_server_parser_is_still_the_handshake_then_the_frames():
    assert "parse" in ServerProtocol.__dict__ and "parse" in Protocol.__dict__
    assert "super().parse()" in inspect.getsource(ServerProtocol.parse), (
        "websockets' ServerProtocol.parse no longer hands over to Protocol.parse: see LeanServerProtocol"
    )
