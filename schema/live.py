"""Live updates shared per audience: one resolution of each change, whatever the subscribers.

Every subscriber of a quote that sent the same operation (document, variables, operation
name) and sees it the same way (partner, permissions, language) is served by one running
subscription in this process: each change is resolved once for them all, and the same
result object goes to each. A subscriber keeps only the latest result it has not sent yet
(a slow one gets the current state, not a backlog). The shared subscription ends when its
last subscriber leaves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import suppress

from graphql import FieldNode, OperationType

from schema.documents import Prepared

SHARED_FIELDS = frozenset({"quoteContactsChanged"})
_END = object()
_EMPTY = object()


def shared_field(prepared: Prepared, operation_name: str | None) -> str | None:
    """The shareable subscription field an operation of a valid document consists of, or None."""
    operation = prepared.operation(operation_name) if prepared.valid else None
    if operation is None or operation.operation != OperationType.SUBSCRIPTION:
        return None
    fields = operation.selection_set.selections
    if len(fields) == 1 and isinstance(fields[0], FieldNode) and fields[0].name.value in SHARED_FIELDS:
        return fields[0].name.value
    return None


class _Mailbox:
    """A subscriber's one slot: the latest result it has not sent yet, and whether the shared
    subscription has ended (after that result). Lighter than a queue, as there is one per
    subscriber."""

    __slots__ = ("item", "ended", "waiter")

    def __init__(self) -> None:
        self.item: object = _EMPTY
        self.ended = False
        self.waiter: asyncio.Future | None = None

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def put_latest(self, item: object) -> None:
        self.item = item
        self._wake()

    def end(self) -> None:
        self.ended = True
        self._wake()

    async def get(self) -> object:
        """The next result, or _END."""
        while self.item is _EMPTY and not self.ended:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        if self.item is _EMPTY:
            return _END
        item, self.item = self.item, _EMPTY
        return item


class _Group:
    def __init__(self, hub: SharedSubscriptions, key: tuple, start: Callable[[], Awaitable]) -> None:
        self.hub = hub
        self.key = key
        self.start = start
        self.members: set[_Mailbox] = set()
        self.done = False
        self.task: asyncio.Task | None = None

    async def pump(self) -> None:
        try:
            source = await self.start()
            try:
                async for result in source:
                    for mailbox in list(self.members):
                        mailbox.put_latest(result)
            finally:
                with suppress(Exception):
                    await source.aclose()
        finally:
            self.done = True
            self.hub._forget(self)
            for mailbox in list(self.members):
                mailbox.end()


class SharedSubscriptions:
    def __init__(self) -> None:
        self._groups: dict[tuple, _Group] = {}

    def _forget(self, group: _Group) -> None:
        if self._groups.get(group.key) is group:
            del self._groups[group.key]

    def subscribers(self) -> int:
        return sum(len(g.members) for g in self._groups.values())

    def groups(self) -> int:
        return len(self._groups)

    async def join(self, key: tuple, start: Callable[[], Awaitable]) -> AsyncGenerator:
        group = self._groups.get(key)
        if group is None or group.done:
            group = self._groups[key] = _Group(self, key, start)
        mailbox = _Mailbox()
        group.members.add(mailbox)
        if group.task is None:
            group.task = asyncio.create_task(group.pump())
        return self._follow(group, mailbox)

    async def _follow(self, group: _Group, mailbox: _Mailbox) -> AsyncGenerator:
        try:
            while True:
                item = await mailbox.get()
                if item is _END:
                    return
                yield item
        finally:
            group.members.discard(mailbox)
            if not group.members and group.task is not None and not group.done:
                group.done = True
                self._forget(group)
                group.task.cancel()
                with suppress(BaseException):
                    await group.task


def share_key(document: str, variables: dict | None, operation_name: str | None, audience: tuple) -> tuple:
    return (document, json.dumps(variables or {}, sort_keys=True, default=str), operation_name, audience)
