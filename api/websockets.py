"""The two WebSocket protocols of /graphql, over Strawberry's handlers: graphql-transport-ws
and the legacy graphql-ws, both with keep-alives sent by the view's one task, a rejected
connection_init closed with 4403, a socket that says nothing in time closed with 4408, and
the token's rights read again before each operation (api/rights.py): 4403 once they narrowed."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncGenerator
from contextlib import suppress
from json import JSONDecodeError

from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from api.graphql_http import LONE_SURROGATE, holds_lone_surrogate, lone_surrogate_in
from api.rights import FORBIDDEN_CLOSE_CODE, close_forbidden, current_viewer

log = logging.getLogger("api.websockets")
UNAVAILABLE = {
    "message": "The service is unavailable for a moment: try again.",
    "extensions": {"code": "SERVICE_UNAVAILABLE"},
}


class ServiceUnavailable(Exception):
    """connection_init could not be checked: the database is out of reach. The socket is closed
    with 1013 (try again later), not 4403: the token may well be valid."""


TRY_AGAIN_LATER = 1013


class LoneSurrogateMessage(dict):
    """A message that holds a lone UTF-16 surrogate somewhere (api/graphql_http.py): answered with
    an error, or the socket closed with 4400 when even its id is such text."""


def operation_problem(message: object) -> str | None:
    """What is wrong with an operation's message (subscribe, or start), as for an HTTP request
    (400): its `query` must be a string, its `variables` and `extensions` objects and its
    `operationName` a string when given. None when nothing is, or it is no such message with an
    id to answer (Strawberry refuses those)."""
    if not isinstance(message, dict) or message.get("type") not in ("subscribe", "start"):
        return None
    payload = message.get("payload")
    if not isinstance(message.get("id"), str) or not isinstance(payload, dict):
        return None
    if not isinstance(payload.get("query"), str):
        return "The operation's `query` must be a string."
    for name in ("variables", "extensions"):
        if not isinstance(payload.get(name), (dict, type(None))):
            return f"The operation's `{name}` must be an object, if provided."
    if not isinstance(payload.get("operationName"), (str, type(None))):
        return "The operation's `operationName` must be a string or null, if provided."
    return None


class WebSocketAdapter(ASGIWebSocketAdapter):
    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        """Strawberry's, without holding a message's text while it waits for the next one, and
        with messages holding a lone surrogate marked as such."""
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    text = await self.ws.receive_text()
                    message = self.view.decode_json(text)
                    if holds_lone_surrogate(text, message):
                        message = LoneSurrogateMessage(message if isinstance(message, dict) else {})
                    del text
                    yield message
                except JSONDecodeError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass


class _Registered:
    """A WebSocket handler that the view's connection registry knows while it runs (for a
    graceful shutdown), and that keeps little while its connection is idle: its keep-alives
    are sent by the view's one keep-alive task (api/keepalive.py), and it lets go of each
    message once handled."""

    async def handle(self) -> None:
        self.view.connections.handlers.add(self)
        try:
            await super().handle()
        finally:
            self.view.connections.handlers.discard(self)
            self.view.keep_alives.discard(self)

    async def handle_message(self, message) -> None:
        try:
            if isinstance(message, LoneSurrogateMessage):
                await self.refuse_lone_surrogate(message)
            elif (problem := operation_problem(message)) is not None:
                await self.send_operation_error(message["id"], {"message": problem, "extensions": {"code": "BAD_REQUEST"}})
            else:
                await super().handle_message(message)
        finally:
            # Strawberry's read loop holds the last message until the next one comes, and a
            # subscriber's last message is its subscription's whole document.
            if isinstance(message, dict):
                message.clear()

    async def refuse_lone_surrogate(self, message: dict) -> None:
        """An operation whose payload holds a lone surrogate gets an error (BAD_REQUEST); any
        other such message, or one whose id is such text, closes the socket (4400)."""
        op_id = message.get("id")
        if message.get("type") in ("subscribe", "start") and isinstance(op_id, str) and not lone_surrogate_in(op_id):
            await self.send_operation_error(op_id, {"message": LONE_SURROGATE, "extensions": {"code": "BAD_REQUEST"}})
        else:
            await self.websocket.close(code=4400, reason="Invalid message: a lone UTF-16 surrogate")

    async def rights_hold(self) -> bool | None:
        """Reads the token's viewer again before an operation: True when it may run (with the
        viewer as it stands now), False when the rights narrowed (the socket is closed with
        4403), None when the database could not tell (the operation gets SERVICE_UNAVAILABLE)."""
        if self.context.viewer is None:
            return True  # not acknowledged: Strawberry refuses the operation itself
        try:
            viewer = await current_viewer(self.context)
        except Exception:
            log.warning("the rights of a WebSocket could not be read again", exc_info=True)
            return None
        if viewer is None:
            await close_forbidden(self)
            return False
        return True

    @staticmethod
    def _share_document(message) -> None:
        """Subscribers of the same operation send the same document: one copy of its text
        is kept for them all (it lives as long as an operation uses it)."""
        payload = message.get("payload") if isinstance(message, dict) else None
        if isinstance(payload, dict) and type(payload.get("query")) is str:
            payload["query"] = sys.intern(payload["query"])


class TransportWSHandler(_Registered, BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, with keep-alive: once acknowledged, the server sends a `ping`
    every keep_alive_interval (the client answers `pong`), so that proxies keep idle
    connections open. Strawberry's handler only answers the client's pings."""

    async def handle_connection_init(self, message) -> None:
        try:
            await super().handle_connection_init(message)
        except ServiceUnavailable:
            await self.websocket.close(code=TRY_AGAIN_LATER, reason="Try again later")
            return
        # Strawberry keeps its connection_init timer's task, cancelled by now, for the
        # connection's lifetime.
        self.connection_init_timeout_task = None
        if self.connection_acknowledged and self.view.keep_alive:
            self.view.keep_alives.add(self)

    async def send_keep_alive(self) -> None:
        await self.send_message({"type": "ping"})

    async def send_operation_error(self, op_id: str, error: dict) -> None:
        await self.send_message({"id": op_id, "type": "error", "payload": [error]})

    @staticmethod
    def _get_pre_execution_close_reason(error) -> str | None:
        """A document that does not parse, or an operationName that names no operation, gets an
        `error` message for its operation, as a document that does not validate does; Strawberry
        closes the whole socket (4400) instead, with the error's text as the close reason, which
        a long name makes too long to send."""
        return None

    async def handle_subscribe(self, message) -> None:
        self._share_document(message)
        await super().handle_subscribe(message)

    async def run_operation(self, operation) -> None:
        self.view.connections.operations += 1
        try:
            holds = await self.rights_hold()
            if holds:
                await super().run_operation(operation)
            elif holds is None:
                await operation.send_operation_message({"id": operation.id, "type": "error", "payload": [UNAVAILABLE]})
        finally:
            self.view.connections.operations -= 1


class LegacyWSHandler(_Registered, BaseGraphQLWSHandler):
    """The legacy graphql-ws protocol, with `ka` keep-alives. A rejected connection_init
    closes with 4403, as on graphql-transport-ws; Strawberry closes with 1011."""

    async def handle(self) -> None:
        # As on graphql-transport-ws: a socket that sends no connection_init in time is closed
        # (4408), so that unauthenticated sockets are not kept open.
        # A timer, not a sleeping task: it costs less while the connection lives.
        watch = asyncio.get_running_loop().call_later(
            self.view.connection_init_wait_timeout.total_seconds(), self._close_unless_initialised
        )
        try:
            await super().handle()
        finally:
            watch.cancel()
            if self._closing is not None:
                with suppress(BaseException):
                    await self._closing

    _closing: asyncio.Task | None = None
    connection_init_received = False

    def _close_unless_initialised(self) -> None:
        # A connection_init that came in time is being answered (its token looked up): not a
        # silent socket.
        if not self.connection_init_received:
            self._closing = asyncio.ensure_future(
                self.websocket.close(code=4408, reason="Connection initialisation timeout")
            )

    async def handle_connection_init(self, message) -> None:
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        payload = message.get("payload")
        self.context.connection_params = payload if isinstance(payload, dict) else None
        try:
            await self.view.on_ws_connect(self.context)
        except ServiceUnavailable:
            await self.websocket.close(code=TRY_AGAIN_LATER, reason="Try again later")
            return
        except ConnectionRejectionError as error:
            await self.send_message({"type": "connection_error", "payload": error.payload})
            await self.websocket.close(code=FORBIDDEN_CLOSE_CODE, reason="Forbidden")
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        if self.keep_alive:
            await self.send_keep_alive()  # as Strawberry's handler does, one at once
            self.view.keep_alives.add(self)

    async def send_keep_alive(self) -> None:
        await self.send_message({"type": "ka"})

    async def send_operation_error(self, op_id: str, error: dict) -> None:
        await self.send_message({"type": "error", "id": op_id, "payload": error})

    async def handle_start(self, message) -> None:
        self._share_document(message)
        await super().handle_start(message)

    async def handle_async_results(self, operation_id, *args, **kwargs) -> None:
        self.view.connections.operations += 1
        try:
            holds = await self.rights_hold()
            if holds:
                await super().handle_async_results(operation_id, *args, **kwargs)
            else:
                if holds is None:
                    await self.send_message({"type": "error", "id": operation_id, "payload": UNAVAILABLE})
                self.tasks.pop(operation_id, None)
        finally:
            self.view.connections.operations -= 1
