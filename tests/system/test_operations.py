"""What operators and browsers meet, against real `python -m api serve` processes, each on an
SQLite file of its own with the demo data (nothing here depends on the database's kind):

- allowed browser origins: CORS for HTTP and the WebSocket handshake, from ALLOWED_ORIGINS,
  denied by default beyond the app's own origin;
- /readyz (database and broker), /metrics (Prometheus, also across `--workers 2`), one JSON
  log line per request;
- a graceful shutdown: on SIGTERM a request in flight finishes and subscriptions end with a
  clean close (1001), on both WebSocket protocols.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus

from tests.support.process import ServerProcess, api_server, free_port
from tests.http.test_live import listening
from tests.support.wsclient import EVENTS, LEGACY_WS, TRANSPORT_WS, WAIT, LiveClient, ws_url

PARTNER = "https://partner.example"  # listed in ALLOWED_ORIGINS
STRANGER = "https://elsewhere.example"  # listed nowhere
VIEWER = "{ viewer { name } }"
QUOTES = "{ quotes(first: 50) { edges { node { id reference } } } }"
ASSIGN = """mutation Assign($input: AssignContactInput!) { assignContact(input: $input) {
  assignment { id } userErrors { code } } }"""
CONTACTS = """query($id: ID!) { quote(id: $id) { eligibleContacts { client { contact { id lastName } } } } }"""


def sqlite_url(tmp_path_factory, name: str) -> str:
    return f"sqlite://{tmp_path_factory.mktemp(name) / 'api.sqlite3'}"


@pytest.fixture(scope="module")
def open_server(tmp_path_factory) -> ServerProcess:
    """A server that lets pages of PARTNER call it."""
    process = api_server(sqlite_url(tmp_path_factory, "ops"), demo=True, env={"ALLOWED_ORIGINS": f"{PARTNER}, https://other.example"})
    yield process
    process.stop()


@pytest.fixture(scope="module")
def default_server(tmp_path_factory) -> ServerProcess:
    """A server with the default settings, except for a broker that cannot be reached: Redis on
    a port where nothing listens."""
    process = api_server(sqlite_url(tmp_path_factory, "dflt"), demo=True, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    yield process
    process.stop()


def graphql(server: ServerProcess, query: str, variables: dict | None = None, *, token: str = "demo-alice",
            headers: dict | None = None) -> httpx.Response:
    return httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
        timeout=10,
    )


# --- 4. allowed origins -------------------------------------------------------------------------


def preflight(server: ServerProcess, origin: str) -> httpx.Response:
    return httpx.options(
        f"{server.url}/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_a_listed_origin_may_call_the_api_from_a_browser(open_server):
    answer = preflight(open_server, PARTNER)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == PARTNER
    assert {"authorization", "content-type"} <= {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert "POST" in answer.headers["access-control-allow-methods"]

    answer = graphql(open_server, VIEWER, headers={"Origin": PARTNER})
    assert answer.status_code == 200 and answer.json()["data"]["viewer"]["name"] == "Alice Durand"
    assert answer.headers["access-control-allow-origin"] == PARTNER
    assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize("which", ["open", "default"])
def test_another_origin_is_refused_and_same_origin_or_no_origin_works(open_server, default_server, which):
    server = open_server if which == "open" else default_server
    answer = preflight(server, STRANGER)
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    # A request sent anyway gets no CORS header: the browser keeps the answer from the page.
    answer = graphql(server, VIEWER, headers={"Origin": STRANGER})
    assert "access-control-allow-origin" not in answer.headers
    # The app's own pages (the browser sends their origin on a POST), curl and servers.
    for headers in ({"Origin": server.url}, {}):
        answer = graphql(server, VIEWER, headers=headers)
        assert answer.status_code == 200 and answer.json()["data"]["viewer"]["name"] == "Alice Durand"
    if which == "default":
        assert preflight(server, PARTNER).status_code == 400  # listed nowhere by default


async def ws_connect(server: ServerProcess, origin: str | None, protocol: str = TRANSPORT_WS) -> LiveClient:
    ws = await connect(ws_url(server.url), subprotocols=[protocol], origin=origin, open_timeout=5, ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer demo-alice"}}))
    client = LiveClient(ws, protocol)
    assert (await client.receive(timeout=5))["type"] == "connection_ack"
    return client


@pytest.mark.parametrize("which", ["open", "default"])
async def test_websocket_handshakes_from_another_origin_are_refused(open_server, default_server, which):
    server = open_server if which == "open" else default_server
    allowed = [server.url, None] + ([PARTNER] if which == "open" else [])
    for origin in allowed:
        client = await ws_connect(server, origin)
        await client.close()
    refused = [STRANGER, "null"] + ([] if which == "open" else [PARTNER])
    for origin in refused:
        with pytest.raises(InvalidStatus) as refusal:
            await ws_connect(server, origin)
        assert refusal.value.response.status_code == 403


# --- 5. readiness, metrics, logs ----------------------------------------------------------------


def test_readyz_is_200_when_the_database_and_the_broker_answer(open_server):
    answer = httpx.get(f"{open_server.url}/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"] == {**body["checks"]["broker"], "ok": True, "kind": "memory"}


def test_readyz_is_503_and_says_the_broker_is_down_while_healthz_stays_200(default_server):
    answer = httpx.get(f"{default_server.url}/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    broker = body["checks"]["broker"]
    assert broker["ok"] is False and broker["kind"] == "redis" and broker["error"]
    assert httpx.get(f"{default_server.url}/healthz").status_code == 200
    # Changes are still saved and answered without the broker.
    assert graphql(default_server, VIEWER).status_code == 200


def scrape(server: ServerProcess) -> dict[tuple[str, frozenset], float]:
    """Every sample of /metrics by (name, labels)."""
    answer = httpx.get(f"{server.url}/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_latency_and_errors_by_operation(open_server):
    before = scrape(open_server)
    name = f"Probe{uuid.uuid4().hex[:8]}"
    for _ in range(3):  # the second and third come from the response cache: counted all the same
        assert graphql(open_server, f"query {name} {VIEWER}").status_code == 200
    graphql(open_server, "query Broken { nope }")
    graphql(open_server, "query Anything { viewer { name } }", token="nobody")  # 401: nothing ran
    after = scrape(open_server)

    requests = dict(route="/graphql", operation=name, status="200")
    assert sample(after, "myopenip_requests_total", **requests) - sample(before, "myopenip_requests_total", **requests) == 3
    latency = dict(route="/graphql", operation=name)
    assert sample(after, "myopenip_request_duration_seconds_count", **latency) == 3
    assert 0 < sample(after, "myopenip_request_duration_seconds_sum", **latency) < 3
    broken = dict(operation="Broken", code="BAD_REQUEST")
    assert sample(after, "myopenip_graphql_errors_total", **broken) - sample(before, "myopenip_graphql_errors_total", **broken) == 1
    refused = dict(route="/graphql", operation="(none)", status="401")
    assert sample(after, "myopenip_requests_total", **refused) - sample(before, "myopenip_requests_total", **refused) == 1


async def test_metrics_count_open_websockets_and_subscriptions(open_server):
    quote = graphql(open_server, QUOTES).json()["data"]["quotes"]["edges"][0]["node"]["id"]
    before = scrape(open_server)
    assert sample(before, "myopenip_open_subscriptions") == 0
    clients = [await ws_connect(open_server, None, protocol) for protocol in (TRANSPORT_WS, LEGACY_WS)]
    for client in clients:
        await client.subscribe(quote)
    deadline = time.monotonic() + WAIT
    while sample(scrape(open_server), "myopenip_open_subscriptions") < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    during = scrape(open_server)
    assert sample(during, "myopenip_open_websockets") == 2
    assert sample(during, "myopenip_open_subscriptions") == 2
    for client in clients:
        await client.close()
    deadline = time.monotonic() + WAIT
    while sample(scrape(open_server), "myopenip_open_websockets") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    after = scrape(open_server)
    assert sample(after, "myopenip_open_websockets") == sample(after, "myopenip_open_subscriptions") == 0
    accepted = dict(route="/graphql", operation="(websocket)", status="101")
    assert sample(after, "myopenip_requests_total", **accepted) - sample(before, "myopenip_requests_total", **accepted) == 2


def log_lines(server: ServerProcess) -> list[dict]:
    lines = []
    for line in server.log_path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def wait_for_line(server: ServerProcess, request_id: str, timeout: float = WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in log_lines(server) if line.get("requestId") == request_id]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.05)


async def test_one_json_log_line_per_request_with_its_id_operation_viewer_status_and_duration(open_server):
    request_id = f"log-{uuid.uuid4().hex}"
    answer = graphql(open_server, f"query LogProbe {VIEWER}", headers={"X-Request-ID": request_id})
    assert answer.headers["x-request-id"] == request_id
    line = wait_for_line(open_server, request_id)
    assert line["type"] == "http" and line["method"] == "POST" and line["path"] == "/graphql"
    assert line["operation"] == "LogProbe" and line["viewer"] == "demo-alice" and line["status"] == 200
    assert isinstance(line["durationMs"], (int, float)) and 0 <= line["durationMs"] < 10_000
    assert line["time"].endswith("Z") and line["pid"] == httpx.get(f"{open_server.url}/healthz").json()["pid"]

    request_id = f"log-{uuid.uuid4().hex}"
    graphql(open_server, VIEWER, token="nobody", headers={"X-Request-ID": request_id})
    line = wait_for_line(open_server, request_id)
    assert (line["status"], line["viewer"], line["operation"]) == (401, None, "(none)")

    # A WebSocket: one line when it closes, with the viewer of its connection_init.
    request_id = f"log-{uuid.uuid4().hex}"
    ws = await connect(ws_url(open_server.url), subprotocols=[TRANSPORT_WS], additional_headers={"X-Request-ID": request_id})
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer demo-bob"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.close()
    line = wait_for_line(open_server, request_id)
    assert (line["type"], line["status"], line["viewer"], line["closeCode"]) == ("websocket", 101, "demo-bob", 1000)


def test_metrics_of_several_workers_add_up(tmp_path_factory):
    """--workers 2: each worker writes its metrics to files; whichever answers /metrics adds
    up both (prometheus_client's multiprocess mode)."""
    server = api_server(sqlite_url(tmp_path_factory, "workers"), demo=True, workers=2)
    try:
        name = f"Workers{uuid.uuid4().hex[:8]}"
        sent = 0
        pids: set[int] = set()
        # A new connection each time (the workers share the listening socket), until the log
        # lines show that both workers served some.
        while len(pids) < 2 and sent < 200:
            for _ in range(4):
                with httpx.Client(base_url=server.url) as client:
                    assert client.post("/graphql", json={"query": f"query {name} {VIEWER}"},
                                       headers={"Authorization": "Bearer demo-alice"}).status_code == 200
                sent += 1
            time.sleep(0.05)
            pids = {line["pid"] for line in log_lines(server) if line.get("operation") == name}
        assert len(pids) == 2

        def counted() -> float:
            with httpx.Client(base_url=server.url) as client:  # either worker
                text = client.get("/metrics").text
            samples = {
                (s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples
            }
            return sample(samples, "myopenip_requests_total", route="/graphql", operation=name, status="200")

        # A worker counts a request just after answering it: allow it a moment.
        deadline = time.monotonic() + WAIT
        while counted() != sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [counted() for _ in range(4)] == [sent] * 4
    finally:
        server.stop()


# --- 5. graceful shutdown -----------------------------------------------------------------------


async def accepts_connections(url: str) -> bool:
    async with httpx.AsyncClient(base_url=url) as http:
        try:
            await http.get("/healthz")
        except httpx.ConnectError:
            return False
    return True


async def test_sigterm_lets_a_request_in_flight_finish_and_closes_subscriptions_cleanly(tmp_path_factory):
    database = tmp_path_factory.mktemp("term") / "api.sqlite3"
    server = api_server(f"sqlite://{database}", demo=True)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
            alice = {"Authorization": "Bearer demo-alice"}
            quotes = (await http.post("/graphql", json={"query": QUOTES}, headers=alice)).json()["data"]["quotes"]["edges"]
            quote = next(edge["node"]["id"] for edge in quotes if edge["node"]["reference"] == "DV-2026-0101")
            contacts = (await http.post("/graphql", json={"query": CONTACTS, "variables": {"id": quote}}, headers=alice)).json()
            smith = next(e["contact"]["id"] for e in contacts["data"]["quote"]["eligibleContacts"]["client"]
                         if e["contact"]["lastName"] == "Smith")
            subscribers = [await ws_connect(server, None, protocol) for protocol in (TRANSPORT_WS, LEGACY_WS)]
            for subscriber in subscribers:
                await subscriber.subscribe(quote, query=EVENTS)
            await listening(http, 1)  # one audience: one listener

            # A slow request: the mutation waits for the database's write lock, held here.
            lock = sqlite3.connect(database, timeout=5, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            mutation = asyncio.create_task(http.post(
                "/graphql",
                json={"query": ASSIGN, "variables": {"input": {"quoteId": quote, "contactId": smith, "functions": ["TRACKING"]}}},
                headers=alice,
            ))
            await asyncio.sleep(0.4)
            assert not mutation.done()
            server.process.send_signal(signal.SIGTERM)

            # The subscriptions end at once, with a full closing handshake: code 1001.
            for subscriber in subscribers:
                with pytest.raises(ConnectionClosed) as closed:
                    await subscriber.receive(timeout=WAIT)
                assert isinstance(closed.value, ConnectionClosedOK), closed.value
                assert closed.value.rcvd.code == 1001 and closed.value.sent.code == 1001

            # No new connection is accepted; the request in flight is still running.
            deadline = time.monotonic() + WAIT
            while await accepts_connections(server.url) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert not await accepts_connections(server.url)
            assert not mutation.done() and server.process.poll() is None

            lock.execute("COMMIT")
            lock.close()
            answer = await asyncio.wait_for(mutation, 10)
            assert answer.status_code == 200, answer.text
            payload = answer.json()["data"]["assignContact"]
            assert payload["userErrors"] == [] and payload["assignment"]["id"]
        server.process.wait(10)
        log = server.log_path.read_text()
        assert "Traceback" not in log and "timeout graceful shutdown exceeded" not in log, log
    finally:
        server.stop()
