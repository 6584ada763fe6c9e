"""The production topology, started for real: nginx (Debian's package) with deploy/nginx.conf
in front of two `python -m api serve` processes that share PostgreSQL (TEST_DATABASE_URL) and
Redis (TEST_REDIS_URL). HTTP and WebSocket go through nginx only; the processes are asked
directly only to tell which of them serves what.

nginx runs as this user (root on CI) on a free port, with its configuration, pid file, logs and
temporary files in tmp_path; the site is deploy/nginx.conf with the test's ports.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK

from tests.conftest import REDIS_URL, over_fresh_demo
from tests.support.service import GraphQLClient
from tests.support.process import ROOT, ServerProcess, api_server, free_port
from tests.support.tls import TLS
from tests.http.test_live import ASSIGN, contact_ids, mutate, quote_ids
from tests.support.wsclient import LEGACY_WS, TRANSPORT_WS, WAIT, LiveClient, ws_url

SITE = ROOT / "deploy" / "nginx.conf"
NGINX = os.environ.get("NGINX_PATH") or shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
CHANNEL = f"test-topology-{uuid.uuid4().hex[:10]}"

pytestmark = [
    pytest.mark.skipif(
        NGINX is None, reason="nginx is not installed (Debian's package: apt-get install nginx, or set NGINX_PATH; .ci/run installs it)"
    ),
    pytest.mark.postgres_only,  # the processes behind nginx share one database
]


def site_config(upstream_ports: list[int], port: int) -> str:
    """deploy/nginx.conf with the test's upstream processes and listening port."""
    text = SITE.read_text()
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+\b.*;$", text, flags=re.M)
    assert len(servers) == len(upstream_ports), servers
    for line, upstream in zip(servers, upstream_ports):
        text = text.replace(line, re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{upstream}", line), 1)
    text, count = re.subn(r"^(\s*)listen 80;", rf"\1listen 127.0.0.1:{port};", text, flags=re.M)
    assert count == 1
    return text


class Nginx:
    """`nginx -g 'daemon off;'` with everything in `folder`."""

    def __init__(self, folder: Path, upstream_ports: list[int]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        (folder / "site.conf").write_text(site_config(upstream_ports, self.port))
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (folder / "nginx.conf").write_text(
            f"""{'user root;' if os.geteuid() == 0 else ''}
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {self.error_log} info;
events {{ worker_connections 512; }}
http {{
    log_format upstreams '$upstream_addr $status $request_method $request_uri $http_x_request_id';
    access_log {self.access_log} upstreams;
{temp}
    include {folder / 'site.conf'};
}}
"""
        )
        check = subprocess.run([NGINX, "-t", "-c", str(folder / "nginx.conf"), "-e", str(self.error_log)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(
            [NGINX, "-c", str(folder / "nginx.conf"), "-e", str(self.error_log), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()} {self.error_log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def upstreams(self, method: str, uri: str) -> list[str]:
        """The upstream that served each logged request of this method and URI."""
        lines = [line.split() for line in self.access_log.read_text().splitlines()]
        return [fields[0] for fields in lines if len(fields) >= 4 and fields[2] == method and fields[3] == uri]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Topology:
    nginx: Nginx
    first: ServerProcess
    second: ServerProcess

    @property
    def url(self) -> str:
        return self.nginx.url


@pytest.fixture(scope="module")
def topology(backend, tmp_path_factory) -> Topology:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set (a redis:// URL): the processes behind nginx share Redis")
    broker = f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}channel={CHANNEL}"
    started: list = []
    try:
        started.append(api_server(backend.database_url, broker_url=broker))
        started.append(api_server(backend.database_url, broker_url=broker))
        started.append(Nginx(tmp_path_factory.mktemp("nginx"), [started[0].port, started[1].port]))
        yield Topology(started[2], started[0], started[1])
    finally:
        for process in reversed(started):
            process.stop()


@pytest.fixture
async def api(topology) -> GraphQLClient:
    async with over_fresh_demo(GraphQLClient.of(topology.url)) as client:
        yield client


async def subscriber(topology: Topology, token: str, protocol: str) -> LiveClient:
    """A page of the site itself: a WebSocket through nginx, with the site's origin."""
    ws = await connect(ws_url(topology.url), subprotocols=[protocol], origin=topology.url, open_timeout=5, ping_interval=None)
    client = LiveClient(ws, protocol)
    await ws.send('{"type": "connection_init", "payload": {"Authorization": "Bearer %s"}}' % token)
    assert (await client.receive(timeout=5))["type"] == "connection_ack"
    return client


def websockets_of(server: ServerProcess) -> int:
    return httpx.get(f"{server.url}/healthz", verify=TLS).json()["websockets"]


def listening(*servers: ServerProcess) -> bool:
    """Whether each server has a subscription listening for events."""
    return all(httpx.get(f"{server.url}/healthz", verify=TLS).json()["eventQueues"] >= 1 for server in servers)


async def wait_for(condition, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_through_nginx_a_subscription_receives_a_change_whichever_process_serves_each(api, topology):
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    # Two pages of the site, each subscribed through nginx: one on each process (least_conn).
    alice = await subscriber(topology, "demo-alice", TRANSPORT_WS)
    victor = await subscriber(topology, "demo-victor", LEGACY_WS)
    try:
        assert await wait_for(lambda: (websockets_of(topology.first), websockets_of(topology.second)) == (1, 1)), (
            websockets_of(topology.first), websockets_of(topology.second))
        await alice.subscribe(q101)
        await victor.subscribe(q101)
        assert await wait_for(lambda: listening(topology.first, topology.second))

        # Changes through nginx, served by either process: both subscribers hear of each,
        # one of them from the other process (through Redis).
        for last_name in ("Smith", "Dupont"):
            payload = await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts[last_name]})
            for client in (alice, victor):
                event = await client.event()
                assert event["kind"] == "CONTACT_ADDED" and event["assignmentId"] == payload["assignment"]["id"]
        assert (await alice.quiet(0.2), await victor.quiet(0.0)) == ([], [])
    finally:
        await alice.close()
        await victor.close()

    # Plain requests reach both processes, and carry the caller's request id both ways.
    for _ in range(6):
        request_id = f"topo-{uuid.uuid4().hex}"
        answer = await api.post("{ viewer { name } }", headers={"X-Request-ID": request_id})
        assert answer.status_code == 200 and answer.headers["x-request-id"] == request_id
    upstreams = set(topology.nginx.upstreams("POST", "/graphql"))
    assert upstreams == {f"127.0.0.1:{topology.first.port}", f"127.0.0.1:{topology.second.port}"}, upstreams
    assert set(topology.nginx.upstreams("GET", "/graphql")) == upstreams  # the WebSocket upgrades

    async with httpx.AsyncClient(base_url=topology.url) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["broker"]["kind"] == "redis"
        assert (await http.get("/metrics")).status_code == 403  # scraped on each process, not here
        assert (await http.get("/")).status_code == 200  # the step-2 screen


async def test_a_process_that_stops_closes_its_websockets_and_nginx_sends_the_page_to_the_other(api, topology):
    """A rolling restart: SIGTERM to one process. Its page's WebSocket gets a clean close
    (1001), connects again through nginx, to the other process, subscribes again and hears of
    the next change, as does the page that was there all along. Runs last in this module: it
    stops the first process."""
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    pages = [await subscriber(topology, "demo-alice", TRANSPORT_WS) for _ in range(2)]
    try:
        assert await wait_for(lambda: (websockets_of(topology.first), websockets_of(topology.second)) == (1, 1))
        for page in pages:
            await page.subscribe(q101)
        assert await wait_for(lambda: listening(topology.first, topology.second))
        topology.first.process.send_signal(signal.SIGTERM)

        async def outcome(page):
            try:
                return await page.receive(timeout=WAIT)
            except ConnectionClosedOK as closed:
                return closed.rcvd.code

        # The page on the stopped process is closed; the other one hears nothing meanwhile.
        waiting = [asyncio.create_task(outcome(page)) for page in pages]
        done, still = await asyncio.wait(waiting, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        for task in still:
            task.cancel()
        outcomes = [task.result() if task in done else "open" for task in waiting]
        assert sorted(outcomes, key=str) == [1001, "open"], outcomes
        topology.first.process.wait(10)

        survivor = pages[outcomes.index("open")]
        # The stopped page connects again (as another user here, so that its subscription has a
        # listener of its own that /healthz counts).
        pages.append(await subscriber(topology, "demo-bob", TRANSPORT_WS))
        await pages[-1].subscribe(q101)
        assert await wait_for(lambda: httpx.get(f"{topology.second.url}/healthz").json()["eventQueues"] == 2)
        assert websockets_of(topology.second) == 2
        await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Smith"]})
        for page in (survivor, pages[-1]):
            assert (await page.event())["kind"] == "CONTACT_ADDED"
    finally:
        for page in pages:
            await page.close()
