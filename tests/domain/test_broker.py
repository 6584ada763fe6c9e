"""The event buses in this process: the memory bus, and the Redis bus against a real Redis
(TEST_REDIS_URL). No database needed."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis.asyncio as aioredis

from contacts.broker import RedisBus, decode, encode, make_bus, split_channel
from contacts.events import EventKind, MemoryBus, QuoteEvent
from tests.conftest import REDIS_URL
from tests.support.process import free_port
from tests.support.wsclient import WAIT

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (a redis:// URL)")


def event(quote_id: int = 7, actor: str = "Alice", kind: EventKind = EventKind.CONTACT_ADDED) -> QuoteEvent:
    return QuoteEvent(kind, quote_id, actor, assignment_id=3)


def other_tasks() -> set[asyncio.Task]:
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


def redis_bus(**options) -> RedisBus:
    channel = f"test-bus-{uuid.uuid4().hex[:10]}"
    return RedisBus(f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}channel={channel}", **options)


async def test_a_slow_subscriber_holds_the_latest_event_not_a_backlog():
    bus = MemoryBus()
    async with bus.subscribe(7) as slow, bus.subscribe(8) as other:
        for i in range(1000):
            await bus.publish(event(actor=f"user {i}"))
        assert slow.qsize() == 1
        assert slow.get_nowait().actor == "user 999"
        assert other.empty()
        assert bus.subscriber_count() == 2
    assert bus.subscriber_count() == 0


def test_broker_urls():
    assert isinstance(make_bus("memory://"), MemoryBus)
    with pytest.raises(ValueError):
        make_bus("kafka://somewhere")
    assert split_channel("redis://h:6379/0") == ("redis://h:6379/0", "myopenip:quote-events")
    assert split_channel("redis://h:6379/2?channel=staging&socket_timeout=3") == ("redis://h:6379/2?socket_timeout=3", "staging")
    assert decode(encode(event())) == event()
    assert decode(b"not json") is None and decode('{"kind": "NOPE", "quote": 1, "actor": ""}') is None


@needs_redis
async def test_events_reach_subscribers_of_every_bus_on_the_channel():
    first = redis_bus()
    second = RedisBus(f"{first.url}?channel={first.channel}")
    stranger = redis_bus()  # another channel: another deployment
    for bus in (first, second, stranger):
        await bus.start()
    try:
        async with first.subscribe(7) as here, second.subscribe(7) as there, stranger.subscribe(7) as elsewhere:
            await first.publish(event())
            assert await asyncio.wait_for(there.get(), WAIT) == event()
            assert await asyncio.wait_for(here.get(), WAIT) == event()
            # Redis delivers in the order published: the other deployment's own event, sent
            # after, is the first it hears; it never heard this channel's.
            await stranger.publish(event(actor="stranger"))
            assert await asyncio.wait_for(elsewhere.get(), WAIT) == event(actor="stranger")
    finally:
        for bus in (first, second, stranger):
            await bus.stop()


@needs_redis
async def test_the_listener_reconnects_then_resyncs_every_open_subscription():
    bus = redis_bus(backoff_min=0.02)
    await bus.start()
    admin = aioredis.Redis.from_url(REDIS_URL)
    try:
        async with bus.subscribe(7) as seven, bus.subscribe(8) as eight:
            [listener] = [c for c in await admin.client_list(_type="pubsub") if c["name"] == bus.listener_name]
            assert await admin.execute_command("CLIENT", "KILL", "ID", listener["id"], "TYPE", "pubsub") == 1
            resyncs = [await asyncio.wait_for(queue.get(), WAIT) for queue in (seven, eight)]
            assert [(e.kind, e.quote_id) for e in resyncs] == [(EventKind.RESYNC, 7), (EventKind.RESYNC, 8)]
            assert bus.status() == {"kind": "redis", "connected": True, "reconnects": 1}
            await bus.publish(event())
            assert await asyncio.wait_for(seven.get(), WAIT) == event()
    finally:
        await admin.aclose()
        await bus.stop()


@needs_redis
async def test_a_slow_subscriber_of_the_redis_bus_holds_only_the_latest_event():
    bus = redis_bus()
    await bus.start()
    try:
        async with bus.subscribe(7) as slow:
            for i in range(500):
                await bus.publish(event(actor=f"user {i}"))
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                if slow.qsize() and slow._queue[-1].actor == "user 499":  # noqa: SLF001
                    break
            assert slow.qsize() == 1
            assert slow.get_nowait().actor == "user 499"
    finally:
        await bus.stop()


@needs_redis
async def test_stop_leaves_no_task_and_no_connection():
    before = other_tasks()
    bus = redis_bus()
    await bus.start()
    async with bus.subscribe(7):
        assert other_tasks() - before
    await bus.stop()
    assert other_tasks() - before == set()
    admin = aioredis.Redis.from_url(REDIS_URL)
    try:
        assert [c for c in await admin.client_list() if c["name"] == bus.listener_name] == []
    finally:
        await admin.aclose()


async def test_an_unreachable_broker_neither_holds_start_nor_fails_a_publish():
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.2, backoff_min=0.01)
    await asyncio.wait_for(bus.start(), WAIT)  # start does not wait for the broker
    assert bus.status()["connected"] is False
    try:
        async with bus.subscribe(7) as queue:
            await asyncio.wait_for(bus.publish(event()), WAIT)  # no exception: the change is committed already
            assert queue.get_nowait() == event()  # this process's subscribers still hear of it
    finally:
        await bus.stop()
