"""What operators meet of a real `python -m api serve` process, on an SQLite file of its own with
the demo data (nothing here depends on the database's kind):

- one JSON access-log line per request on the process's standard output;
- /metrics across `--workers 2` (every worker's metrics added up);
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
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

from tests.http.test_live import listening
from tests.http.test_operations import VIEWER, QUOTES, sample
from tests.support.process import ServerProcess, api_server
from tests.support.tls import TLS
from tests.support.wsclient import EVENTS, LEGACY_WS, TRANSPORT_WS, WAIT, LiveClient, ws_url

ASSIGN = """mutation Assign($input: AssignContactInput!) { assignContact(input: $input) {
  assignment { id } userErrors { code } } }"""
CONTACTS = """query($id: ID!) { quote(id: $id) { eligibleContacts { client { contact { id lastName } } } } }"""


def sqlite_url(tmp_path_factory, name: str) -> str:
    return f"sqlite://{tmp_path_factory.mktemp(name) / 'api.sqlite3'}"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory) -> ServerProcess:
    process = api_server(sqlite_url(tmp_path_factory, "ops"), demo=True)
    yield process
    process.stop()


def graphql(server: ServerProcess, query: str, *, token: str = "demo-alice", headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"{server.url}/graphql", json={"query": query},
                      headers={"Authorization": f"Bearer {token}", **(headers or {})}, timeout=10)


async def ws_connect(server: ServerProcess, protocol: str) -> LiveClient:
    ws = await connect(ws_url(server.url), subprotocols=[protocol], open_timeout=WAIT, ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer demo-alice"}}))
    client = LiveClient(ws, protocol)
    assert (await client.receive(timeout=WAIT))["type"] == "connection_ack"
    return client


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


async def test_one_json_log_line_per_request_with_its_id_operation_viewer_status_and_duration(demo_server):
    request_id = f"log-{uuid.uuid4().hex}"
    answer = graphql(demo_server, f"query LogProbe {VIEWER}", headers={"X-Request-ID": request_id})
    assert answer.headers["x-request-id"] == request_id
    line = wait_for_line(demo_server, request_id)
    assert line["type"] == "http" and line["method"] == "POST" and line["path"] == "/graphql"
    assert line["operation"] == "LogProbe" and line["viewer"] == "demo-alice" and line["status"] == 200
    assert isinstance(line["durationMs"], (int, float)) and 0 <= line["durationMs"] < 10_000
    assert line["time"].endswith("Z") and line["pid"] == httpx.get(f"{demo_server.url}/healthz").json()["pid"]

    request_id = f"log-{uuid.uuid4().hex}"
    graphql(demo_server, VIEWER, token="nobody", headers={"X-Request-ID": request_id})
    line = wait_for_line(demo_server, request_id)
    assert (line["status"], line["viewer"], line["operation"]) == (401, None, "(none)")

    # A WebSocket: one line when it closes, with the viewer of its connection_init.
    request_id = f"log-{uuid.uuid4().hex}"
    ws = await connect(ws_url(demo_server.url), subprotocols=[TRANSPORT_WS], additional_headers={"X-Request-ID": request_id})
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer demo-bob"}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    await ws.close()
    line = wait_for_line(demo_server, request_id)
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
                with httpx.Client(base_url=server.url, verify=TLS) as client:
                    assert client.post("/graphql", json={"query": f"query {name} {VIEWER}"},
                                       headers={"Authorization": "Bearer demo-alice"}).status_code == 200
                sent += 1
            time.sleep(0.05)
            pids = {line["pid"] for line in log_lines(server) if line.get("operation") == name}
        assert len(pids) == 2

        def counted() -> float:
            with httpx.Client(base_url=server.url, verify=TLS) as client:  # either worker
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
    """Whether a new connection is served: refused, or closed unanswered (one that reached the
    server in the moment before it stopped listening), it is not."""
    async with httpx.AsyncClient(base_url=url) as http:
        try:
            await http.get("/healthz")
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
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
            subscribers = [await ws_connect(server, protocol) for protocol in (TRANSPORT_WS, LEGACY_WS)]
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
