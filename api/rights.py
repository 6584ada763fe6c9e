"""A WebSocket acts with its token's rights as they stand, not as they were at connection_init.

- Before each operation (a subscription, a query, a mutation), the token's viewer is read
  again (one statement, as for an HTTP request): the operation runs with it.
- While operations run, `RightsWatch` reads again, every RIGHTS_CHECK_SECONDS, the viewers of
  all the open WebSockets of the process, in one statement per 500 tokens: events cost nothing
  more each.

Either way, a token revoked, a user deleted or moved to another partner, or a permission
removed closes the socket with 4403 (Forbidden): its subscriptions end, nothing more is sent
or run. A right added does not close it; the operations started after use it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress

from api.connections import Connections
from contacts.auth import Viewer, rights_narrowed, viewer_of_token_hash, viewers_of_token_hashes

log = logging.getLogger("api.rights")

FORBIDDEN_CLOSE_CODE = 4403
RIGHTS_CHANGED = "Forbidden: this token's rights changed"


async def close_forbidden(handler) -> None:
    """Closes a handler's socket with 4403: its operations end with it."""
    with suppress(Exception):
        await handler.websocket.close(code=FORBIDDEN_CLOSE_CODE, reason=RIGHTS_CHANGED)


async def current_viewer(context) -> Viewer | None:
    """The viewer of a WebSocket's token as it stands, or None (and the socket is to be closed)
    when its rights narrowed since it was last read. May raise when the database is out of reach."""
    before = context.viewer
    now = await viewer_of_token_hash(context.token_hash)
    if rights_narrowed(before, now):
        return None
    context.viewer = now
    return now


class RightsWatch:
    """Reads again, every `interval` seconds, the viewers of the process's open WebSockets, and
    closes those whose rights narrowed."""

    def __init__(self, connections: Connections, interval: float) -> None:
        self.connections = connections
        self.interval = interval
        self.checks = 0
        self.closed = 0
        self.last_seconds = 0.0  # how long the last check took (its statements included)

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # the database out of reach: the next check tries again
                log.warning("the rights of open WebSockets could not be checked", exc_info=True)

    async def check(self) -> int:
        """One check of every open, acknowledged WebSocket; the number closed."""
        started = time.perf_counter()
        handlers = [
            h for h in list(self.connections.handlers)
            if getattr(h.context, "viewer", None) is not None and getattr(h.context, "token_hash", None)
        ]
        closed = 0
        if handlers:
            current = await viewers_of_token_hashes(h.context.token_hash for h in handlers)
            for handler in handlers:
                if rights_narrowed(handler.context.viewer, current.get(handler.context.token_hash)):
                    closed += 1
                    await close_forbidden(handler)
        self.checks += 1
        self.closed += closed
        self.last_seconds = time.perf_counter() - started
        return closed
