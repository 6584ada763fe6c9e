"""Quote events: what changed on a quote's step-2 page, published after the change commits.

`bus()` is the process's event bus: in-process by default (`memory://`); see `contacts.broker`
for the Redis one that reaches every server process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class EventKind(str, Enum):
    CONTACT_ADDED = "CONTACT_ADDED"
    CONTACT_REMOVED = "CONTACT_REMOVED"
    FUNCTIONS_CHANGED = "FUNCTIONS_CHANGED"
    CONTACTS_EDITED = "CONTACTS_EDITED"
    ORDER_PLACED = "ORDER_PLACED"
    # A suggestion applied: several contacts or functions changed in one change.
    SUGGESTION_APPLIED = "SUGGESTION_APPLIED"
    # Not a change: sent to every open subscription after the broker connection came back,
    # since events may have been missed meanwhile. Its quote is the current state.
    RESYNC = "RESYNC"


@dataclass(frozen=True)
class QuoteEvent:
    kind: EventKind
    quote_id: int
    actor: str | None  # the user's name; None when the service acted (the retention period)
    assignment_id: int | None = None


class EventBus(Protocol):
    """What publishes quote events and lets subscribers follow a quote."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, event: QuoteEvent) -> None:
        """Sends an event to every subscriber of its quote. Never raises: the change it
        reports is committed already."""

    def subscribe(self, quote_id: int):
        """An async context manager: a queue that receives the quote's events (the latest
        only, for a slow subscriber) while it is open."""

    def subscriber_count(self) -> int: ...

    def status(self) -> dict:
        """For /healthz: what this bus is and whether it can deliver."""

    async def check(self) -> None:
        """For /readyz: raises when the bus cannot deliver events."""


class MemoryBus:
    """Delivers events to the subscribers of this process. A slow subscriber keeps only
    the latest event of each quote it follows, never a backlog."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[QuoteEvent]]] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._subscribers.clear()

    async def publish(self, event: QuoteEvent) -> None:
        self.deliver(event)

    def deliver(self, event: QuoteEvent) -> None:
        for queue in list(self._subscribers.get(event.quote_id, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self, quote_id: int) -> AsyncIterator[asyncio.Queue[QuoteEvent]]:
        queue: asyncio.Queue[QuoteEvent] = asyncio.Queue(maxsize=1)
        self._subscribers.setdefault(quote_id, set()).add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(quote_id)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._subscribers[quote_id]

    def resync(self) -> None:
        """Sends every open subscription a RESYNC event: its quote is read again."""
        for quote_id in list(self._subscribers):
            self.deliver(QuoteEvent(EventKind.RESYNC, quote_id, actor=""))

    def subscriber_count(self) -> int:
        return sum(len(queues) for queues in self._subscribers.values())

    def status(self) -> dict:
        """For /healthz: what this bus is and whether it can deliver."""
        return {"kind": "memory", "connected": True}

    async def check(self) -> None:
        """For /readyz: raises when the bus cannot deliver events (never, in process)."""
