"""Graceful shutdown: subscriptions end cleanly, requests in flight finish.

On SIGTERM (or Ctrl+C), uvicorn stops accepting connections, lets HTTP requests in flight
finish (at most GRACEFUL_SHUTDOWN_SECONDS), then runs the lifespan shutdown. Left to itself it
would cut every WebSocket at once (close code 1012, without waiting for the client's answer)
while its operations are still running. So, before handing the signal to uvicorn, every
WebSocket is closed here with a full closing handshake, code 1001 ("going away"), and its
operations are ended (their event-bus subscriptions released).

No `complete` message is sent: to graphql-ws clients (urql, Apollo Client) `complete` means
that a subscription is over for good, whereas 1001 makes them reconnect and subscribe again,
to another server process behind the load balancer. The lifespan shutdown closes whatever
WebSocket is still open the same way (servers other than uvicorn reach it first).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from contextlib import suppress

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from api.connections import Connections

log = logging.getLogger("api.shutdown")

GOING_AWAY = 1001
REASON = "Server shutting down"
SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def _close_socket(handler) -> None:
    with suppress(Exception):
        await handler.websocket.close(code=GOING_AWAY, reason=REASON)


async def _end_operations(handler) -> None:
    with suppress(Exception):
        if isinstance(handler, BaseGraphQLTransportWSHandler):
            await handler.shutdown()  # cancels its operations and waits for them
        else:
            if handler.keep_alive_task is not None:
                handler.keep_alive_task.cancel()
            await handler.cleanup()


async def close_websockets(connections: Connections, timeout: float = 5.0) -> int:
    """Closes every open WebSocket with 1001, then ends its operations; the number closed.
    Every socket is closed first, so that nothing is sent after the close: not the `complete`
    that the legacy protocol's handler sends when its operation is cancelled, nor the one a
    subscription shared with another connection's (schema/live.py) would send as it ends."""
    handlers = list(connections.handlers)
    if handlers:
        log.info("closing %d WebSocket connection(s)", len(handlers))
        for phase in (_close_socket, _end_operations):
            tasks = [asyncio.create_task(phase(handler)) for handler in handlers]
            _done, pending = await asyncio.wait(tasks, timeout=timeout / 2)
            for task in pending:
                task.cancel()
    return len(handlers)


class GracefulShutdown:
    """Puts itself in front of the server's SIGTERM and SIGINT handlers (uvicorn's, installed
    before the lifespan starts): on the first signal, closes the WebSockets, then calls the
    server's handler. A second signal goes to the server's handler at once (a second Ctrl+C
    forces uvicorn to quit)."""

    def __init__(self, connections: Connections, timeout: float = 5.0) -> None:
        self.connections = connections
        self.timeout = timeout
        self.previous: dict[int, object] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.signalled = False

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self.loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            # Only a server's own handler: not the defaults (SIG_DFL, KeyboardInterrupt).
            if callable(previous) and previous is not signal.default_int_handler:
                self.previous[sig] = previous
                signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        for sig, previous in self.previous.items():
            if signal.getsignal(sig) == self._on_signal:
                signal.signal(sig, previous)
        self.previous.clear()

    def _on_signal(self, sig: int, frame) -> None:
        previous = self.previous.get(sig)
        if self.signalled or self.loop is None or self.loop.is_closed():
            if callable(previous):
                previous(sig, frame)
            return
        self.signalled = True
        self.loop.call_soon_threadsafe(self._close_then, sig, previous)

    def _close_then(self, sig: int, previous) -> None:
        task = self.loop.create_task(close_websockets(self.connections, self.timeout))
        task.add_done_callback(lambda _task: previous(sig, None))
