"""What operators and browsers meet, from the service in this process (uvicorn serving it on a
port of its own, for the WebSocket handshakes):

- allowed browser origins: CORS for HTTP and the WebSocket handshake, from ALLOWED_ORIGINS,
  denied by default beyond the app's own origin;
- /readyz (database and broker), /metrics (Prometheus) by operation, and the gauges of open
  WebSockets and subscriptions.

The access log of a real process, metrics across `--workers 2` and a graceful shutdown on
SIGTERM: tests/system/test_process.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import reset_demo
from tests.support.process import free_port
from tests.support.service import running
from tests.support.wsclient import LEGACY_WS, TRANSPORT_WS, WAIT, LiveClient, ws_url

PARTNER = "https://partner.example"  # listed in ALLOWED_ORIGINS
STRANGER = "https://elsewhere.example"  # listed nowhere
VIEWER = "{ viewer { name } }"
QUOTES = "{ quotes(first: 50) { edges { node { id reference } } } }"


@pytest.fixture(scope="module")
async def open_service(backend):
    """A service that lets pages of PARTNER call it."""
    async with running(backend.database, allowed_origins=(PARTNER, "https://other.example")) as service:
        yield service


@pytest.fixture(scope="module")
async def default_service(backend):
    """A service with the default settings, except for a broker that cannot be reached: Redis on
    a port where nothing listens."""
    async with running(backend.database, broker_url=f"redis://127.0.0.1:{free_port()}/0") as service:
        yield service


@pytest.fixture
async def services(open_service, default_service):
    await reset_demo()
    clients = {"open": open_service.http(), "default": default_service.http()}
    yield {"open": (open_service, clients["open"]), "default": (default_service, clients["default"])}
    for client in clients.values():
        await client.aclose()


async def graphql(http: httpx.AsyncClient, query: str, *, token: str = "demo-alice",
                  headers: dict | None = None) -> httpx.Response:
    return await http.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}", **(headers or {})})


# --- allowed origins ----------------------------------------------------------------------------


async def preflight(http: httpx.AsyncClient, origin: str) -> httpx.Response:
    return await http.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


async def test_a_listed_origin_may_call_the_api_from_a_browser(services):
    _, http = services["open"]
    answer = await preflight(http, PARTNER)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == PARTNER
    assert {"authorization", "content-type"} <= {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert "POST" in answer.headers["access-control-allow-methods"]

    answer = await graphql(http, VIEWER, headers={"Origin": PARTNER})
    assert answer.status_code == 200 and answer.json()["data"]["viewer"]["name"] == "Alice Durand"
    assert answer.headers["access-control-allow-origin"] == PARTNER
    assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize("which", ["open", "default"])
async def test_another_origin_is_refused_and_same_origin_or_no_origin_works(services, which):
    service, http = services[which]
    answer = await preflight(http, STRANGER)
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    # A request sent anyway gets no CORS header: the browser keeps the answer from the page.
    answer = await graphql(http, VIEWER, headers={"Origin": STRANGER})
    assert "access-control-allow-origin" not in answer.headers
    # The app's own pages (the browser sends their origin on a POST), curl and servers.
    for headers in ({"Origin": service.url}, {}):
        answer = await graphql(http, VIEWER, headers=headers)
        assert answer.status_code == 200 and answer.json()["data"]["viewer"]["name"] == "Alice Durand"
    if which == "default":
        assert (await preflight(http, PARTNER)).status_code == 400  # listed nowhere by default


async def ws_connect(url: str, origin: str | None, protocol: str = TRANSPORT_WS) -> LiveClient:
    ws = await connect(ws_url(url), subprotocols=[protocol], origin=origin, open_timeout=WAIT, ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer demo-alice"}}))
    client = LiveClient(ws, protocol)
    assert (await client.receive(timeout=WAIT))["type"] == "connection_ack"
    return client


@pytest.mark.parametrize("which", ["open", "default"])
async def test_websocket_handshakes_from_another_origin_are_refused(services, which):
    service, _ = services[which]
    allowed = [service.url, None] + ([PARTNER] if which == "open" else [])
    for origin in allowed:
        client = await ws_connect(service.url, origin)
        await client.close()
    refused = [STRANGER, "null"] + ([] if which == "open" else [PARTNER])
    for origin in refused:
        with pytest.raises(InvalidStatus) as refusal:
            await ws_connect(service.url, origin)
        assert refusal.value.response.status_code == 403


# --- readiness, metrics -------------------------------------------------------------------------


async def test_readyz_is_200_when_the_database_and_the_broker_answer(services):
    _, http = services["open"]
    answer = await http.get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"] == {**body["checks"]["broker"], "ok": True, "kind": "memory"}


async def test_readyz_is_503_and_says_the_broker_is_down_while_healthz_stays_200(services):
    _, http = services["default"]
    answer = await http.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    broker = body["checks"]["broker"]
    assert broker["ok"] is False and broker["kind"] == "redis" and broker["error"]
    assert (await http.get("/healthz")).status_code == 200
    # Changes are still saved and answered without the broker.
    assert (await graphql(http, VIEWER)).status_code == 200


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics by (name, labels)."""
    answer = await http.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_requests_latency_and_errors_by_operation(services):
    _, http = services["open"]
    before = await scrape(http)
    name = f"Probe{uuid.uuid4().hex[:8]}"
    for _ in range(3):  # the second and third come from the response cache: counted all the same
        assert (await graphql(http, f"query {name} {VIEWER}")).status_code == 200
    await graphql(http, "query Broken { nope }")
    await graphql(http, "query Anything { viewer { name } }", token="nobody")  # 401: nothing ran
    after = await scrape(http)

    requests = dict(route="/graphql", operation=name, status="200")
    assert sample(after, "myopenip_requests_total", **requests) - sample(before, "myopenip_requests_total", **requests) == 3
    latency = dict(route="/graphql", operation=name)
    assert sample(after, "myopenip_request_duration_seconds_count", **latency) == 3
    assert 0 < sample(after, "myopenip_request_duration_seconds_sum", **latency) < 3
    broken = dict(operation="Broken", code="BAD_REQUEST")
    assert sample(after, "myopenip_graphql_errors_total", **broken) - sample(before, "myopenip_graphql_errors_total", **broken) == 1
    refused = dict(route="/graphql", operation="(none)", status="401")
    assert sample(after, "myopenip_requests_total", **refused) - sample(before, "myopenip_requests_total", **refused) == 1


async def test_metrics_count_open_websockets_and_subscriptions(services):
    service, http = services["open"]
    quote = (await graphql(http, QUOTES)).json()["data"]["quotes"]["edges"][0]["node"]["id"]
    before = await scrape(http)
    assert sample(before, "myopenip_open_subscriptions") == 0
    clients = [await ws_connect(service.url, None, protocol) for protocol in (TRANSPORT_WS, LEGACY_WS)]
    for client in clients:
        await client.subscribe(quote)
    deadline = time.monotonic() + WAIT
    while sample(await scrape(http), "myopenip_open_subscriptions") < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    during = await scrape(http)
    assert sample(during, "myopenip_open_websockets") == 2
    assert sample(during, "myopenip_open_subscriptions") == 2
    for client in clients:
        await client.close()
    deadline = time.monotonic() + WAIT
    while sample(await scrape(http), "myopenip_open_websockets") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    after = await scrape(http)
    assert sample(after, "myopenip_open_websockets") == sample(after, "myopenip_open_subscriptions") == 0
    accepted = dict(route="/graphql", operation="(websocket)", status="101")
    assert sample(after, "myopenip_requests_total", **accepted) - sample(before, "myopenip_requests_total", **accepted) == 2
