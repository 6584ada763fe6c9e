"""Live updates across server processes: two uvicorn processes on different ports share
PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL, `BROKER_URL=redis://...`).

Each test session uses a channel of its own, and kills only its own servers' listener
connections (`CLIENT KILL ID <id> TYPE pubsub`), so that test runs sharing a Redis server
do not disturb each other.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
import redis.asyncio as aioredis

from tests.conftest import REDIS_URL, over_fresh_demo
from tests.support.service import GraphQLClient
from tests.support.process import ServerProcess, api_server
from tests.http.test_live import ASSIGN, contact_ids, listening, mutate, quote_ids, wait_health
from tests.support.wsclient import PROTOCOLS, TRANSPORT_WS, WAIT, LiveClient

CHANNEL = f"test-quote-events-{uuid.uuid4().hex[:10]}"


def broker_url() -> str:
    return f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}channel={CHANNEL}"


pytestmark = pytest.mark.postgres_only  # several processes share one database


@pytest.fixture(scope="module")
def pair(backend) -> tuple[ServerProcess, ServerProcess]:
    """Two server processes on the same database and the same Redis channel."""
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set (a redis:// URL): several processes need Redis")
    first = api_server(backend.database_url, broker_url=broker_url())
    try:
        second = api_server(backend.database_url, broker_url=broker_url())
    except Exception:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
async def api(pair) -> GraphQLClient:
    """A client of the second server: the one that makes the changes."""
    async with over_fresh_demo(GraphQLClient.of(pair[1].url)) as client:
        yield client


async def kill_listeners() -> int:
    """Kills the pub/sub connections of this session's servers; the number killed."""
    admin = aioredis.Redis.from_url(REDIS_URL)
    try:
        killed = 0
        for client in await admin.client_list(_type="pubsub"):
            if client["name"].startswith(f"{CHANNEL}:listener:"):
                killed += await admin.execute_command("CLIENT", "KILL", "ID", client["id"], "TYPE", "pubsub")
        return killed
    finally:
        await admin.aclose()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_change_on_one_process_reaches_a_subscriber_on_the_other(api, pair, protocol):
    first, second = pair
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    async with (
        await LiveClient.connect(first.url, "demo-alice", protocol=protocol) as on_first,
        await LiveClient.connect(second.url, "demo-victor", protocol=protocol, language="en") as on_second,
        httpx.AsyncClient(base_url=first.url) as first_http,
    ):
        await on_first.subscribe(q101)
        await on_second.subscribe(q101)
        await listening(first_http, 1)
        await listening(api.http, 1)

        payload = await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Smith"], "functions": ["TRACKING"]})
        event = await on_first.event()
        assert event["kind"] == "CONTACT_ADDED" and event["actor"] == "Bob Lefèvre"
        assert event["assignmentId"] == payload["assignment"]["id"]
        assert event["quote"]["version"] >= payload["quote"]["version"]
        assert [a["lastName"] for a in event["quote"]["assignments"]] == ["Smith"]
        # The subscriber on the process that made the change hears of it too, with its own rights.
        local = await on_second.event()
        assert local["quote"]["version"] == event["quote"]["version"]
        assert (event["quote"]["viewerCanEdit"], local["quote"]["viewerCanEdit"]) == (True, False)

        # And the other way round.
        first_api = GraphQLClient.of(first.url)
        try:
            await mutate(first_api, ASSIGN, {"quoteId": q101, "contactId": contacts["Dupont"]})
        finally:
            await first_api.http.aclose()
        assert (await on_second.event())["kind"] == "CONTACT_ADDED"
        assert (await on_first.event())["kind"] == "CONTACT_ADDED"
        assert await on_first.quiet(0.2) == []


async def test_after_the_broker_connection_is_killed_subscribers_get_the_current_state_then_events_again(api, pair):
    first, second = pair
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    async with (
        await LiveClient.connect(first.url, "demo-alice", protocol=TRANSPORT_WS) as alice,
        httpx.AsyncClient(base_url=first.url) as http,
    ):
        await alice.subscribe(q101)
        await listening(http, 1)
        before = (await wait_health(http, lambda s: s["broker"]["connected"]))["broker"]
        assert before["kind"] == "redis" and before["connected"]

        assert await kill_listeners() == 2
        # Events may have been missed: the subscription is sent the quote as it stands.
        resync = await alice.event()
        assert resync["kind"] == "RESYNC"
        assert resync["quote"]["reference"] == "DV-2026-0101"
        after = (await wait_health(http, lambda s: s["broker"]["reconnects"] > before["reconnects"]))["broker"]
        assert after["connected"] and after["reconnects"] == before["reconnects"] + 1

        # The link is back: a change on the other process arrives.
        async with httpx.AsyncClient(base_url=second.url) as other:
            assert (await wait_health(other, lambda s: s["broker"]["connected"]))["broker"]["connected"]
        payload = await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Smith"]})
        event = await alice.event()
        assert event["kind"] == "CONTACT_ADDED"
        assert event["quote"]["version"] >= payload["quote"]["version"]


async def test_a_change_made_while_the_link_is_down_still_reaches_the_screen(api, pair):
    first, _second = pair
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    async with await LiveClient.connect(first.url, "demo-alice") as alice:
        await alice.subscribe(q101)
        async with httpx.AsyncClient(base_url=first.url) as http:
            await listening(http, 1)
        assert await kill_listeners() == 2
        payload = await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Smith"]})
        # Whether the event itself was missed or not, the screen ends with the new quote.
        deadline = time.monotonic() + WAIT
        seen = []
        while not seen or seen[-1]["quote"]["version"] < payload["quote"]["version"]:
            seen.append(await alice.event(timeout=max(deadline - time.monotonic(), 0.01)))
        assert seen[-1]["quote"]["version"] >= payload["quote"]["version"]
        assert [a["lastName"] for a in seen[-1]["quote"]["assignments"]] == ["Smith"]
