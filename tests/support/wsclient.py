"""A small GraphQL-over-WebSocket client for the tests: graphql-transport-ws or the legacy
graphql-ws, with the `websockets` library. It answers the server's pings and counts the
keep-alive messages it receives."""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)
# How long a test waits for a message before it fails: a bound on a hang, never a claim on
# speed (latency is measured by `make bench`), so generous for a busy machine.
WAIT = 15.0

QUOTE_FIELDS = """
  id reference status version viewerCanEdit
  assignments { id lastName role phone functions contact { id canEdit } }
  eligibleContacts {
    client { contact { id lastName isComplete } canAdd reasons { code message } }
    partner { contact { id lastName } canAdd }
  }
  contactValidation { isValid errors { code message } warnings { code message } }
"""

EVENTS = (
    "subscription Changes($quoteId: ID!) { quoteContactsChanged(quoteId: $quoteId) { kind actor assignmentId quote {"
    + QUOTE_FIELDS
    + "} } }"
)


class Rejected(Exception):
    """The server closed the connection instead of acknowledging it."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed with {code} {reason!r}")
        self.code = code
        self.reason = reason


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


class LiveClient:
    """One acknowledged WebSocket connection to /graphql."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.keep_alives = 0  # `ping` (graphql-transport-ws) or `ka` (graphql-ws) received
        self.pending: list[dict] = []  # received for another operation than the one awaited

    @classmethod
    async def connect(
        cls, http_url: str, token: str | None = "demo-alice", *, protocol: str = TRANSPORT_WS,
        language: str | None = None, payload: dict | None = None,
    ) -> LiveClient:
        """Opens the socket and sends connection_init; raises Rejected if the server closes it."""
        ws = await connect(ws_url(http_url), subprotocols=[protocol], open_timeout=WAIT, ping_interval=None)
        if payload is None:
            payload = {}
            if token is not None:
                payload["Authorization"] = f"Bearer {token}"
            if language is not None:
                payload["Accept-Language"] = language
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        client = cls(ws, protocol)
        try:
            while True:
                message = await client.receive(timeout=WAIT)
                if message["type"] == "connection_ack":
                    return client
        except ConnectionClosed as closed:
            await ws.close()
            raise Rejected(closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else "") from None

    async def _next(self, deadline: float, waiting_for: str) -> dict | None:
        """The next message, or None for a keep-alive (a ping is answered)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no {waiting_for} in time")
        message = json.loads(await asyncio.wait_for(self.ws.recv(), remaining))
        if message["type"] == "ping":
            self.keep_alives += 1
            await self.ws.send(json.dumps({"type": "pong"}))
            return None
        if message["type"] in ("ka", "pong"):
            self.keep_alives += message["type"] == "ka"
            return None
        return message

    async def receive(self, timeout: float) -> dict:
        """The next message other than a keep-alive (pings are answered)."""
        deadline = time.monotonic() + timeout
        while (message := await self._next(deadline, f"message within {timeout}s")) is None:
            pass
        return message

    async def subscribe(self, quote_id: str, op_id: str = "1", query: str = EVENTS) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.ws.send(json.dumps({"id": op_id, "type": kind, "payload": {"query": query, "variables": {"quoteId": quote_id}}}))

    async def stop(self, op_id: str = "1") -> None:
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self.ws.send(json.dumps({"id": op_id, "type": kind}))

    async def message_of(self, op_id: str, timeout: float) -> dict:
        """The next message of an operation; those of other operations wait their turn."""
        for i, message in enumerate(self.pending):
            if message.get("id") == op_id:
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            message = await self.receive(deadline - time.monotonic())
            if message.get("id") == op_id:
                return message
            self.pending.append(message)

    async def result(self, op_id: str = "1", timeout: float = WAIT) -> dict:
        """The payload ({data, errors}) of the next result of an operation."""
        message = await self.message_of(op_id, timeout)
        assert message["type"] in ("next", "data"), message
        return message["payload"]

    async def event(self, op_id: str = "1", timeout: float = WAIT) -> dict:
        """The next quoteContactsChanged event of an operation, which must carry no error."""
        payload = await self.result(op_id, timeout)
        assert not payload.get("errors"), payload
        return payload["data"]["quoteContactsChanged"]

    async def quiet(self, seconds: float) -> list[dict]:
        """Every message other than keep-alives received within `seconds`."""
        received, self.pending = self.pending, []
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                received.append(await self.receive(remaining))
            except TimeoutError:
                break
        return received

    async def until_keep_alives(self, count: int, timeout: float = WAIT) -> list[dict]:
        """Receives until `count` keep-alives have come; every other message received meanwhile."""
        received, self.pending = self.pending, []
        deadline = time.monotonic() + timeout
        while self.keep_alives < count:
            message = await self._next(deadline, f"{count} keep-alives within {timeout}s")
            if message is not None:
                received.append(message)
        return received

    async def close(self) -> None:
        await self.ws.close()

    def abort(self) -> None:
        """Drops the TCP connection without a closing handshake (a crashed tab, a lost network)."""
        self.ws.transport.abort()

    async def __aenter__(self) -> LiveClient:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.close()
