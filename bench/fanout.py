"""One change pushed to many subscribers of one quote, and the memory an idle subscriber costs,
on one server process or on several sharing a broker (Redis).

The subscribers live in processes of their own (bench/subscribers.py, at most `per_client`
connections each, since one Python process reading thousands of sockets would measure itself),
spread evenly over the server processes. Each server's resident memory is read before they
connect (after a warm-up with a few subscribers on each) and once they all are subscribed and
idle: the difference over its subscribers is its memory per idle subscriber. Then each round
arms the subscribers, sends one setAssignmentFunction to the first server (ON_SITE moved from
one contact of the quote to another, by demo-alice, with the frontend's mutation; the other
servers learn of it through the broker) and measures from the moment its HTTP answer is read
until the last subscriber, on any server, has its event (the figure of issue 6), and from the
moment it was sent (which also counts when the answer itself waits for the server to push the
events). The rounds are reported by their median and worst.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx

from bench import operations
from bench.dataset import Dataset
from bench.procs import ROOT, CpuMeter, Process, database_name
from schema.ids import encode_id

INTROSPECT = "{ __schema { subscriptionType { fields { name } } } }"
PER_CLIENT = 2500  # subscribers a client process opens at most


@dataclass
class FanoutResult:
    available: bool
    reason: str = ""
    subscribers: int = 0
    broker: str = "memory"  # "memory" (one process) or "redis"
    audiences: int = 0
    compression: str = ""
    clients: int = 0  # bench/subscribers.py processes
    open_seconds: float = 0.0
    servers: list[dict] = field(default_factory=list)  # per server: subscribers, rss_before, rss_after, bytes
    rounds: list[dict] = field(default_factory=list)  # per round: received, errors, last_ms, first_ms, ...
    cpu: dict = field(default_factory=dict)  # cores during the rounds: server, client, postgres, machine

    def _rounds(self, key: str, pick=statistics.median) -> float:
        return pick(r[key] for r in self.rounds) if self.rounds else float("nan")

    @property
    def last_ms_median(self) -> float:
        return self._rounds("last_ms")

    @property
    def last_ms_worst(self) -> float:
        return self._rounds("last_ms", max)

    @property
    def from_send_ms_median(self) -> float:
        return self._rounds("last_from_send_ms")

    @property
    def answer_ms_median(self) -> float:
        return self._rounds("answer_ms")

    @property
    def errors_max(self) -> int:
        return max(r["errors"] for r in self.rounds) if self.rounds else 0

    @property
    def received_min(self) -> int:
        return min(r["received"] for r in self.rounds) if self.rounds else 0

    @property
    def bytes_per_subscriber(self) -> float:
        """The most an idle subscriber costs on any of the server processes."""
        return max((s["bytes_per_subscriber"] for s in self.servers), default=float("nan"))



def subscription_available(http: httpx.Client) -> str:
    """"" when Subscription.quoteContactsChanged is served, else why not."""
    body = http.post("/graphql", json={"query": INTROSPECT}).json()
    kind = (body.get("data") or {}).get("__schema", {}).get("subscriptionType")
    names = {f["name"] for f in (kind or {}).get("fields", [])}
    if "quoteContactsChanged" not in names:
        return "the served schema has no Subscription.quoteContactsChanged"
    return ""


class Subscribers:
    """One bench/subscribers.py process, connected to one server; `opened()` waits until all
    its connections are open (several processes open theirs at the same time)."""

    def __init__(self, server: Process, quote_id: str, count: int, compression: str) -> None:
        ws_url = server.url.replace("http://", "ws://", 1) + "/graphql"
        self.count = count
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.subscribers", ws_url, quote_id, str(count), "--compression", compression],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self._opened: dict | None = None

    def opened(self) -> dict:
        if self._opened is None:
            self._opened = self.read()
        return self._opened

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"bench.subscribers ended (exit {self.process.wait()})")
        return json.loads(line)

    def tell(self, command: str) -> None:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.tell("close")
                self.process.wait(60)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


class Crowd:
    """Subscribers spread over the servers, in client processes of at most `per_client`."""

    def __init__(self, servers: list[Process], quote_id: str, count: int, compression: str,
                 per_client: int = PER_CLIENT) -> None:
        self.shares = [count // len(servers) + (i < count % len(servers)) for i in range(len(servers))]
        self.groups: list[Subscribers] = []
        try:
            for server, share in zip(servers, self.shares):
                while share > 0:
                    self.groups.append(Subscribers(server, quote_id, min(share, per_client), compression))
                    share -= per_client
            self.opened = [group.opened() for group in self.groups]
        except BaseException:
            self.close()
            raise

    def ask(self, command: str) -> list[dict]:
        """The command to every process at once, then each one's answer."""
        for group in self.groups:
            group.tell(command)
        return [group.read() for group in self.groups]

    def arrivals(self, seconds: float) -> dict:
        answers = self.ask(f"wait {seconds}")
        lasts = [a["last"] for a in answers if a["last"] is not None]
        firsts = [a["first"] for a in answers if a["first"] is not None]
        return {"received": sum(a["received"] for a in answers), "errors": sum(a["errors"] for a in answers),
                "last": max(lasts) if len(lasts) == len(answers) else None, "first": min(firsts, default=None)}

    def close(self) -> None:
        for group in self.groups:
            group.close()


def _wait_subscribed(https: list[httpx.Client], expected: list[int], timeout: float = 60) -> None:
    """Until each server's /healthz counts its subscriptions (when it counts them), then a settle time."""
    deadline = time.monotonic() + timeout
    for http, count in zip(https, expected):
        while time.monotonic() < deadline:
            counted = http.get("/healthz").json().get("subscriptions")
            if counted is None or counted >= count:
                break
            time.sleep(0.05)
    time.sleep(1.0)


class Changes:
    """setAssignmentFunction that moves ON_SITE between two contacts of the quote: each is a change."""

    def __init__(self, http: httpx.Client, dataset: Dataset) -> None:
        contacts = dataset.drafts[dataset.hot_quote]
        holders = [a.id for a in contacts if "ON_SITE" in a.functions]
        others = [a.id for a in contacts if "ON_SITE" not in a.functions]
        self.targets = (others[0], holders[0] if holders else others[1])
        self.turn = 0
        self.http = http
        self.query = operations.set_assignment_function()

    def send(self) -> tuple[float, float]:
        """Makes the change; the monotonic times it was sent and its answer read."""
        target = self.targets[self.turn % 2]
        self.turn += 1
        variables = {"input": {"assignmentId": encode_id("ContactAssignment", target), "function": "ON_SITE", "enabled": True}}
        sent = time.monotonic()
        response = self.http.post("/graphql", json={"query": self.query, "variables": variables})
        answered = time.monotonic()
        body = response.json()
        payload = (body.get("data") or {}).get("setAssignmentFunction")
        if response.status_code != 200 or not payload or payload["userErrors"]:
            raise RuntimeError(f"setAssignmentFunction refused: {body}")
        return sent, answered


def _round(crowd: Crowd, changes: Changes) -> dict:
    crowd.ask("arm")
    sent, answered = changes.send()
    arrivals = crowd.arrivals(60)
    last, first = arrivals["last"], arrivals["first"]
    return {
        "received": arrivals["received"],
        "errors": arrivals["errors"],
        "answer_ms": (answered - sent) * 1000,
        "last_ms": max(0.0, (last - answered) * 1000) if last else float("nan"),
        "last_from_send_ms": (last - sent) * 1000 if last else float("nan"),
        "first_ms": (first - answered) * 1000 if first else float("nan"),
    }


def run(servers: Process | list[Process], dataset: Dataset, *, count: int = 1000, rounds: int = 3,
        compression: str = "browser", broker: str = "memory", per_client: int = PER_CLIENT) -> FanoutResult:
    servers = servers if isinstance(servers, list) else [servers]
    https = [httpx.Client(base_url=s.url, headers={"Authorization": "Bearer demo-alice"}, timeout=60) for s in servers]
    try:
        reason = subscription_available(https[0])
        if reason:
            return FanoutResult(False, reason)
        quote_id = encode_id("Quote", dataset.hot_quote)
        changes = Changes(https[0], dataset)

        # Warm-up: a few subscribers of each audience on each server, one change, then gone.
        warm = Crowd(servers, quote_id, 12 * len(servers), compression)
        try:
            _wait_subscribed(https, warm.shares)
            _round(warm, changes)
        finally:
            warm.close()
        time.sleep(1.0)

        result = FanoutResult(True, subscribers=count, broker=broker, audiences=6, compression=compression)
        before = [server.rss_bytes() for server in servers]
        crowd = Crowd(servers, quote_id, count, compression, per_client)
        try:
            result.clients = len(crowd.groups)
            result.open_seconds = max(o["seconds"] for o in crowd.opened)
            failed = sum(o["failed"] for o in crowd.opened)
            if failed:
                first = next(o["first_failure"] for o in crowd.opened if o["failed"])
                return FanoutResult(False, f"{failed} of {count} subscribers could not connect: {first}")
            _wait_subscribed(https, crowd.shares)
            for server, share, rss in zip(servers, crowd.shares, before):
                after = server.rss_bytes()
                result.servers.append({"subscribers": share, "rss_before": rss, "rss_after": after,
                                       "bytes_per_subscriber": (after - rss) / share})
            pids = {**{f"server{i}": s.pid for i, s in enumerate(servers)},
                    **{f"client{i}": g.process.pid for i, g in enumerate(crowd.groups)}}
            meter = CpuMeter(database_name(dataset.url), **pids)
            meter.start()
            for _ in range(rounds):
                result.rounds.append(_round(crowd, changes))
                time.sleep(0.5)
            shares = meter.stop()
            result.cpu = {"machine": shares["machine"], "postgres": shares["postgres"],
                          "server": sum(v for k, v in shares.items() if k.startswith("server")),
                          "client": sum(v for k, v in shares.items() if k.startswith("client"))}
        finally:
            crowd.close()
        return result
    finally:
        for http in https:
            http.close()
