"""uvicorn's WebSocket protocol (websockets' sans-I/O implementation), lighter per connection.

An idle subscriber is mostly a connection that waits: what its protocol object keeps while
it waits is paid a thousand times over. Compared with uvicorn's `websockets-sansio`:

- received messages wait in a list with one future, not an asyncio.Queue (four deques and an
  Event); whether the socket may be written is a flag, not an asyncio.Event;
- the handshake's request and response (their headers) are dropped once the socket is open:
  the ASGI scope has what the application needs;
- the frame parser does not keep the last frame it read while it waits for the next;
- the settings that every connection shares are kept in slots, so that the rest of its
  attributes fit in a shared key table;
- the websockets protocol logs through `websockets.server`, not uvicorn's `uvicorn.error`: at
  DEBUG it would write the handshake's headers and the start and end of every frame (a token,
  variables, contacts' names) to the log; `websockets` stays at INFO (api/observability.py).

And a live event's text (api/event_texts.py: an `EncodedText`, whose frame comes assembled
from the event's bytes, encoded once for all its subscribers, and the subscriber's own head)
is written as that frame when the connection has no extension (its frames are then plain:
websockets would make the same bytes), or sent as its UTF-8 bytes through the extension
(permessage-deflate); it is not encoded again for each subscriber.

And one bound more: until its first message (connection_init, which says who the client is)
has come, a message may be at most FIRST_MESSAGE_BYTES; after it, uvicorn's `ws_max_size`
(MAX_WEBSOCKET_MESSAGE_BYTES). A larger one closes the socket (1009) before it is read whole.

Everything else (handshake, pings, closing, back-pressure) is uvicorn's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame
from websockets.protocol import Protocol, State
from websockets.server import ServerProtocol

from api.event_texts import EncodedText

FIRST_MESSAGE_BYTES = 16 * 1024  # connection_init: a token and a language, as much as GraphiQL's headers


class Inbox:
    """The received ASGI events in order, and the one reader waiting for the next (the part of
    asyncio.Queue that uvicorn uses)."""

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: list = []
        self.waiter: asyncio.Future | None = None

    def put_nowait(self, item) -> None:
        self.items.append(item)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def empty(self) -> bool:
        return not self.items

    async def get(self):
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)


class Gate:
    """Open while the transport takes writes (the part of asyncio.Event that uvicorn uses)."""

    __slots__ = ("waiter",)

    def __init__(self) -> None:
        self.waiter: asyncio.Future | None = None  # None: open

    def set(self) -> None:
        if self.waiter is not None:
            if not self.waiter.done():
                self.waiter.set_result(None)
            self.waiter = None

    def clear(self) -> None:
        if self.waiter is None:
            self.waiter = asyncio.get_running_loop().create_future()

    async def wait(self) -> None:
        if self.waiter is not None:
            await asyncio.shield(self.waiter)


class _EndAfterHandshake(Protocol):
    def parse(self) -> Generator[None]:
        return
        yield  # a generator that ends at once


class LeanServerProtocol(ServerProtocol, _EndAfterHandshake):
    """websockets' server side, whose parser lets go of the handshake request once read.

    ServerProtocol.parse reads the request, then runs the frame parser for the rest of the
    connection inside its own frame, which keeps the request (its headers) alive. Here its
    `super().parse()` resolves to _EndAfterHandshake's, which ends at once, and the frames
    are parsed afterwards."""

    def parse(self) -> Generator[None]:
        yield from ServerProtocol.parse(self)
        yield from Protocol.parse(self)


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's `websockets-sansio` protocol with the savings above."""

    # uvicorn gives each connection 37 attributes: over the 30 names that instances of a
    # class share in one key table (CPython), each would get a dict of its own (1.6 KB).
    # Its settings, the same for every connection, are kept in slots instead.
    __slots__ = (
        "config", "app", "loop", "logger", "root_path", "asgi_version", "app_state",
        "connections", "tasks", "default_headers", "close_timeout", "ping_interval", "ping_timeout",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Gate()  # type: ignore[assignment]
        conn = self.conn
        first = FIRST_MESSAGE_BYTES if conn.max_message_size is None else min(conn.max_message_size, FIRST_MESSAGE_BYTES)
        self.conn = LeanServerProtocol(
            extensions=conn.available_extensions,
            max_size=(first, conn.max_fragment_size),
            logger=logging.getLogger("websockets.server"),
        )

    def handle_connect(self, event) -> None:
        super().handle_connect(event)
        self.request = None  # the scope has what the application needs

    async def send(self, message) -> None:
        text = message.get("text")
        if text.__class__ is EncodedText:  # a live event's text, whose bytes were made once for all
            await self.writable.wait()
            if not self.disconnected and self.handshake_complete and not self.close_sent and self.initial_response is None:
                conn = self.conn
                if conn.state is not State.OPEN:
                    raise ClientDisconnected()
                if conn.extensions or conn.writes:  # a frame of its own, or bytes to go first
                    conn.send_text(text.utf8)
                    self.transport.write(b"".join(conn.data_to_send()))
                else:
                    self.transport.write(text.frame)
                return
        await super().send(message)
        if self.handshake_complete:
            self.response = None

    def handle_text(self, event: Frame) -> None:
        super().handle_text(event)
        self._release(event)

    def send_receive_event_to_app(self) -> None:
        super().send_receive_event_to_app()
        # The first message has come: later ones may be as large as uvicorn allows.
        self.conn.max_message_size = self.config.ws_max_size

    def handle_bytes(self, event: Frame) -> None:
        super().handle_bytes(event)
        self._release(event)

    def _release(self, event: Frame) -> None:
        """The frame parser keeps the frame it read last until the next one comes: once its
        payload was handed on (a whole message), it is not needed any more."""
        if event.fin:
            event.data = b""
