"""Shared live subscriptions (schema/live.py) and the one keep-alive task (api/keepalive.py),
without a server: what each subscriber receives, and what is left once they are gone."""

from __future__ import annotations

import asyncio

from api.keepalive import KeepAlive
from schema import build_schema
from schema.documents import Documents
from schema.limits import Limits
from schema.live import SharedSubscriptions, share_key, shared_field

SUBSCRIPTION = "subscription S($q: ID!) { quoteContactsChanged(quoteId: $q) { kind } }"


class Source:
    """A running subscription whose results the test pushes, counting how often it started."""

    def __init__(self) -> None:
        self.started = 0
        self.results: asyncio.Queue = asyncio.Queue()
        self.closed = False

    async def start(self):
        self.started += 1
        return self._results()

    async def _results(self):
        try:
            while (item := await self.results.get()) is not None:
                yield item
        finally:
            self.closed = True


async def next_of(follower, timeout: float = 5):
    return await asyncio.wait_for(follower.__anext__(), timeout)


async def test_subscribers_of_one_operation_and_audience_share_one_running_subscription():
    hub, source = SharedSubscriptions(), Source()
    key = share_key(SUBSCRIPTION, {"q": "1"}, None, (1, frozenset(), "fr"))
    first, second = await hub.join(key, source.start), await hub.join(key, source.start)
    assert (hub.groups(), hub.subscribers()) == (1, 2)
    result = {"data": {"quoteContactsChanged": {"kind": "CONTACT_ADDED"}}}
    await source.results.put(result)
    assert await next_of(first) is result and await next_of(second) is result  # the same object
    assert source.started == 1


async def test_a_slow_subscriber_gets_the_latest_result_not_a_backlog():
    hub, source = SharedSubscriptions(), Source()
    follower = await hub.join(("k",), source.start)
    for n in range(5):
        await source.results.put(n)
    while not source.results.empty():
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await next_of(follower) == 4


async def test_the_shared_subscription_ends_with_its_last_subscriber():
    hub, source = SharedSubscriptions(), Source()
    first, second = await hub.join(("k",), source.start), await hub.join(("k",), source.start)
    await source.results.put("x")
    await next_of(first), await next_of(second)
    await first.aclose()
    assert (hub.groups(), hub.subscribers(), source.closed) == (1, 1, False)
    await second.aclose()
    assert (hub.groups(), hub.subscribers()) == (0, 0)
    assert source.closed


async def test_other_variables_or_audiences_get_subscriptions_of_their_own():
    hub, source = SharedSubscriptions(), Source()
    keys = [share_key(SUBSCRIPTION, {"q": "1"}, None, (1, frozenset(), "fr")),
            share_key(SUBSCRIPTION, {"q": "2"}, None, (1, frozenset(), "fr")),
            share_key(SUBSCRIPTION, {"q": "1"}, None, (1, frozenset(), "en")),
            share_key(SUBSCRIPTION, {"q": "1"}, None, (2, frozenset(), "fr"))]
    followers = [await hub.join(key, source.start) for key in keys]
    assert hub.groups() == 4
    for follower in followers:
        await follower.aclose()


def test_only_a_lone_quote_subscription_is_shared():
    documents = Documents(build_schema()._schema, Limits(), budget_bytes=1024 * 1024)
    assert shared_field(documents.prepare(SUBSCRIPTION), None) == "quoteContactsChanged"
    assert shared_field(documents.prepare("subscription { a: quoteContactsChanged(quoteId: 1) { kind } b: __typename }"), None) is None
    assert shared_field(documents.prepare("{ viewer { name } }"), None) is None
    assert shared_field(documents.prepare("not graphql"), None) is None


class Connection:
    def __init__(self) -> None:
        self.sent = 0

    async def send_keep_alive(self) -> None:
        self.sent += 1


async def test_one_task_keeps_every_connection_alive_and_ends_with_the_last():
    keep = KeepAlive(interval=0.01)
    a, b = Connection(), Connection()
    keep.add(a)
    task = keep.task
    keep.add(b)
    assert keep.task is task  # one task for both
    while a.sent < 3 or b.sent < 3:
        await asyncio.sleep(0.01)
    keep.discard(a)
    assert keep.task is task and not task.done()
    keep.discard(b)
    assert keep.task is None
    await asyncio.sleep(0)
    assert task.cancelled() or task.done()


async def test_a_connection_that_does_not_take_its_keep_alive_does_not_hold_up_the_others(monkeypatch):
    import api.keepalive

    monkeypatch.setattr(api.keepalive, "SEND_TIMEOUT", 0.05)

    class Stuck:
        async def send_keep_alive(self) -> None:
            await asyncio.sleep(3600)

    keep, fine = KeepAlive(interval=0.01), Connection()
    keep.add(Stuck())
    keep.add(fine)
    while fine.sent < 3:
        await asyncio.sleep(0.01)
    for connection in list(keep.connections):
        keep.discard(connection)
