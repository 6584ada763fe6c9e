"""The Redis event bus: quote events reach the subscribers of every server process; and
`make_bus`, which chooses the bus of a BROKER_URL.

`BROKER_URL=redis://host:6379/0` (or `rediss://`). Redis pub/sub ignores the database number,
so deployments sharing a Redis server are told apart by the channel: `?channel=NAME` on the
URL (default `myopenip:quote-events`).

- `publish` sends the event to the channel. If Redis cannot be reached, the event is at least
  delivered to this process's subscribers (and logged); the other processes resynchronise
  when their own link comes back.
- One listener task per process reads the channel and hands each event to the local
  subscriber queues (a `MemoryBus`: one slot per subscriber, so a slow subscriber holds the
  latest event, never a backlog).
- The listener is supervised: when its connection drops (or stays silent past a health
  check), it reconnects with exponential backoff and jitter, subscribes again, then sends
  every open subscription a RESYNC event, since events may have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from contextlib import suppress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff

from contacts.events import EventBus, EventKind, MemoryBus, QuoteEvent

log = logging.getLogger("contacts.broker")

DEFAULT_CHANNEL = "myopenip:quote-events"


def split_channel(url: str) -> tuple[str, str]:
    """The Redis URL without our `channel` parameter, and the channel."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    channel = next((value for key, value in query if key == "channel" and value), DEFAULT_CHANNEL)
    rest = urlencode([(key, value) for key, value in query if key != "channel"])
    return urlunsplit(parts._replace(query=rest)), channel


def encode(event: QuoteEvent) -> str:
    return json.dumps(
        {"kind": event.kind.value, "quote": event.quote_id, "actor": event.actor, "assignment": event.assignment_id}
    )


def decode(data: bytes | str) -> QuoteEvent | None:
    try:
        body = json.loads(data)
        assignment, actor = body.get("assignment"), body["actor"]
        return QuoteEvent(
            EventKind(body["kind"]),
            int(body["quote"]),
            str(actor) if actor is not None else None,
            int(assignment) if assignment is not None else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class RedisBus:
    """Publishes to a Redis channel; one supervised listener fans events out to this
    process's subscribers."""

    def __init__(
        self,
        url: str,
        *,
        backoff_min: float = 0.05,
        backoff_max: float = 5.0,
        health_check_seconds: float = 5.0,
        connect_timeout: float = 2.0,
        publish_timeout: float = 1.0,
    ) -> None:
        self.url, self.channel = split_channel(url)
        self.local = MemoryBus()
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.health_check_seconds = health_check_seconds
        self.connect_timeout = connect_timeout
        self.publish_timeout = publish_timeout
        # Named, so that operators (and the tests) can tell our listener apart in CLIENT LIST.
        self.listener_name = f"{self.channel}:listener:{os.getpid()}"
        self.connected = asyncio.Event()
        self._first_attempt = asyncio.Event()  # the listener's first connection made or failed
        self.reconnects = 0  # successful subscriptions after the first
        self._subscribed_once = False
        self._task: asyncio.Task | None = None
        # Publishing: a short retry, so that a mutation never waits long on Redis.
        self._publisher = aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=connect_timeout,
            socket_timeout=connect_timeout,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
        )

    # --- the bus interface (see contacts.events.MemoryBus) ----------------------------------------

    async def start(self) -> None:
        """Starts the listener and waits for its first attempt to subscribe, so that a server
        that starts with Redis up already receives the other processes' events. When Redis is
        down, the server starts at once (without waiting for the backoff) and /readyz says so
        until the listener gets through."""
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="redis-bus-listener")
        with suppress(TimeoutError):
            async with asyncio.timeout(self.connect_timeout * 2):
                await self._first_attempt.wait()
        if not self.connected.is_set():
            log.warning("event broker %s not reachable yet; live updates wait for it", self._where())

    async def stop(self) -> None:
        task, self._task = self._task, None
        # Python 3.11's asyncio.wait_for (used inside redis-py) may swallow a cancellation
        # that arrives as its operation completes: cancel until the task is really done.
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=0.1)
        self.connected.clear()
        await self._publisher.aclose()
        await self.local.stop()

    async def publish(self, event: QuoteEvent) -> None:
        """Sends an event to every process. Never raises: the change it reports is
        committed already."""
        try:
            async with asyncio.timeout(self.publish_timeout):
                await self._publisher.publish(self.channel, encode(event))
        except Exception as error:  # noqa: BLE001 - Redis down: the local subscribers still hear of it
            log.error("event broker %s: publish failed (%s); delivered in this process only", self._where(), error)
            self.local.deliver(event)

    def deliver(self, event: QuoteEvent) -> None:
        self.local.deliver(event)

    def subscribe(self, quote_id: int):
        return self.local.subscribe(quote_id)

    def subscriber_count(self) -> int:
        return self.local.subscriber_count()

    def status(self) -> dict:
        return {"kind": "redis", "connected": self.connected.is_set(), "reconnects": self.reconnects}

    async def check(self) -> None:
        """For /readyz: raises unless the listener is subscribed (events of the other
        processes arrive) and Redis answers a PING (events of this one leave)."""
        if not self.connected.is_set():
            raise ConnectionError(f"not subscribed to {self._where()}")
        async with asyncio.timeout(self.connect_timeout):
            await self._publisher.ping()

    # --- the listener ------------------------------------------------------------------------

    def _where(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or 6379} ({self.channel})"

    async def _listen(self) -> None:
        """Supervises the subscription: reconnects with backoff until cancelled."""
        delay = self.backoff_min
        # redis-py would silently reconnect and resubscribe a pub/sub connection: no retry
        # at all here (no error is "supported"), so that every drop comes to this loop,
        # which knows to resynchronise.
        client = aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=self.connect_timeout,
            socket_keepalive=True,
            client_name=self.listener_name,
            socket_timeout=None,  # reads are bounded by get_message's timeout; see the health check
            retry=Retry(NoBackoff(), 0, supported_errors=()),
        )
        try:
            while True:
                try:
                    await self._listen_once(client)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - any failure: reconnect
                    if self.connected.is_set():
                        log.warning("event broker %s: connection lost (%s); reconnecting", self._where(), error)
                        delay = self.backoff_min
                    else:
                        log.info("event broker %s: not reachable (%s); retrying in %.2fs", self._where(), error, delay)
                self.connected.clear()
                self._first_attempt.set()
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self.backoff_max)
        finally:
            with suppress(Exception):
                await client.aclose()

    async def _listen_once(self, client: aioredis.Redis) -> None:
        """One connection: subscribe, resynchronise, then hand over messages until it fails."""
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            async with asyncio.timeout(self.connect_timeout):
                await pubsub.subscribe(self.channel)
            if self._subscribed_once:
                self.reconnects += 1
            self._subscribed_once = True
            self.connected.set()
            self._first_attempt.set()
            # Events published while we were away are lost: every open subscription reads
            # its quote again.
            self.local.resync()
            loop = asyncio.get_running_loop()
            last_heard = loop.time()
            while True:
                message = await pubsub.get_message(timeout=self.health_check_seconds)
                now = loop.time()
                if message is not None:
                    last_heard = now
                    if message.get("type") == "message":
                        event = decode(message["data"])
                        if event is None:
                            log.warning("event broker %s: ignored a malformed message", self._where())
                        else:
                            self.local.deliver(event)
                    continue
                # Silent for a while: ask, and give up on a connection that stays mute.
                if now - last_heard > 3 * self.health_check_seconds:
                    raise ConnectionError("no answer to pings")
                await pubsub.ping()
        finally:
            with suppress(Exception):
                async with asyncio.timeout(self.connect_timeout):
                    await pubsub.aclose()


def make_bus(broker_url: str) -> EventBus:
    """The bus for a BROKER_URL: `memory://` (one process) or `redis://...` (`rediss://`)."""
    if broker_url.startswith("memory://"):
        return MemoryBus()
    if broker_url.startswith(("redis://", "rediss://")):
        return RedisBus(broker_url)
    raise ValueError(f"Unsupported BROKER_URL: {broker_url!r} (memory:// or redis://...)")
