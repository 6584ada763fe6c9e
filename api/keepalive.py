"""Keep-alive messages of every WebSocket connection, sent by one task.

A task per connection that sleeps between two keep-alives costs more memory than the idle
connection itself; here one task wakes up every interval and sends each connection its
message (`ping` on graphql-transport-ws, `ka` on graphql-ws). It runs while there are
connections to keep alive, and ends with the last one.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

# A connection that does not take its keep-alive within this time (its client reads nothing,
# its buffers are full) is skipped this round, so that it does not hold up the others.
SEND_TIMEOUT = 1.0


class KeepAlive:
    """Connections to keep alive, each with an `async send_keep_alive()` method."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.connections: set = set()
        self.task: asyncio.Task | None = None

    def add(self, connection) -> None:
        self.connections.add(connection)
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self._run())

    def discard(self, connection) -> None:
        self.connections.discard(connection)
        if not self.connections and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while self.connections:
            await asyncio.sleep(self.interval)
            for connection in list(self.connections):
                if connection not in self.connections:
                    continue  # left during this round
                with suppress(Exception):
                    async with asyncio.timeout(SEND_TIMEOUT):
                        await connection.send_keep_alive()
