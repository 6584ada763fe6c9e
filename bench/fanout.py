"""One change pushed to many subscribers of one quote, and the memory an idle subscriber costs.

The subscribers live in a process of their own (bench/subscribers.py). The server's resident
memory is read before they connect (after a warm-up with a few subscribers) and once they all
are subscribed and idle: the difference over their number is the memory per idle subscriber.
Then each round arms the subscribers, sends one setAssignmentFunction (ON_SITE moved from one
contact of the quote to another, by demo-alice, with the frontend's mutation) and measures
from the moment its HTTP answer is read until the last subscriber has its event (the figure
of issue 6), and from the moment it was sent (which also counts when the answer itself waits
for the server to push the events). The rounds are reported by their median and worst.
"""

from __future__ import annotations

import base64
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx

from bench import operations
from bench.dataset import Dataset
from bench.procs import ROOT, Process

INTROSPECT = "{ __schema { subscriptionType { fields { name } } } }"


@dataclass
class FanoutResult:
    available: bool
    reason: str = ""
    subscribers: int = 0
    audiences: int = 0
    compression: str = ""
    open_seconds: float = 0.0
    bytes_per_subscriber: float = 0.0
    rss_before: int = 0
    rss_after: int = 0
    rounds: list[dict] = field(default_factory=list)  # per round: received, errors, last_ms, first_ms, ...

    @property
    def last_ms_median(self) -> float:
        return statistics.median(r["last_ms"] for r in self.rounds) if self.rounds else float("nan")

    @property
    def last_ms_worst(self) -> float:
        return max(r["last_ms"] for r in self.rounds) if self.rounds else float("nan")

    @property
    def from_send_ms_median(self) -> float:
        return statistics.median(r["last_from_send_ms"] for r in self.rounds) if self.rounds else float("nan")

    @property
    def answer_ms_median(self) -> float:
        return statistics.median(r["answer_ms"] for r in self.rounds) if self.rounds else float("nan")

    @property
    def errors_max(self) -> int:
        return max(r["errors"] for r in self.rounds) if self.rounds else 0

    @property
    def received_min(self) -> int:
        return min(r["received"] for r in self.rounds) if self.rounds else 0


def _gid(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def subscription_available(http: httpx.Client) -> str:
    """"" when Subscription.quoteContactsChanged is served, else why not."""
    body = http.post("/graphql", json={"query": INTROSPECT}).json()
    kind = (body.get("data") or {}).get("__schema", {}).get("subscriptionType")
    names = {f["name"] for f in (kind or {}).get("fields", [])}
    if "quoteContactsChanged" not in names:
        return "the served schema has no Subscription.quoteContactsChanged"
    return ""


class Subscribers:
    """The bench/subscribers.py process."""

    def __init__(self, server: Process, quote_id: str, count: int, compression: str) -> None:
        ws_url = server.url.replace("http://", "ws://", 1) + "/graphql"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.subscribers", ws_url, quote_id, str(count), "--compression", compression],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self.opened = self.read()

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"bench.subscribers ended (exit {self.process.wait()})")
        return json.loads(line)

    def ask(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write("close\n")
                self.process.stdin.flush()
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


def _wait_subscribed(http: httpx.Client, expected: int, timeout: float = 30) -> None:
    """Until /healthz counts `expected` subscriptions (when it counts them), then a settle time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = http.get("/healthz").json().get("subscriptions")
        if count is None or count >= expected:
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
        variables = {"input": {"assignmentId": _gid("ContactAssignment", target), "function": "ON_SITE", "enabled": True}}
        sent = time.monotonic()
        response = self.http.post("/graphql", json={"query": self.query, "variables": variables})
        answered = time.monotonic()
        body = response.json()
        payload = (body.get("data") or {}).get("setAssignmentFunction")
        if response.status_code != 200 or not payload or payload["userErrors"]:
            raise RuntimeError(f"setAssignmentFunction refused: {body}")
        return sent, answered


def run(server: Process, dataset: Dataset, *, count: int = 1000, rounds: int = 3,
        compression: str = "browser") -> FanoutResult:
    http = httpx.Client(base_url=server.url, headers={"Authorization": "Bearer demo-alice"}, timeout=60)
    try:
        reason = subscription_available(http)
        if reason:
            return FanoutResult(False, reason)
        quote_id = _gid("Quote", dataset.hot_quote)
        changes = Changes(http, dataset)

        # Warm-up: a few subscribers of each audience, one change, then gone.
        warm = Subscribers(server, quote_id, 12, compression)
        try:
            _wait_subscribed(http, 12)
            warm.ask("arm")
            changes.send()
            warm.ask("wait 10")
        finally:
            warm.close()
        time.sleep(1.0)

        result = FanoutResult(True, subscribers=count, audiences=6, compression=compression)
        result.rss_before = server.rss_bytes()
        subs = Subscribers(server, quote_id, count, compression)
        try:
            opened = subs.opened
            result.open_seconds = opened["seconds"]
            if opened["open"] < count:
                return FanoutResult(False, f"{opened['failed']} of {count} subscribers could not connect: "
                                           f"{opened['first_failure']}")
            _wait_subscribed(http, count)
            result.rss_after = server.rss_bytes()
            result.bytes_per_subscriber = (result.rss_after - result.rss_before) / count
            for _ in range(rounds):
                subs.ask("arm")
                sent, answered = changes.send()
                arrivals = subs.ask("wait 60")
                last, first = arrivals["last"], arrivals["first"]
                result.rounds.append({
                    "received": arrivals["received"],
                    "errors": arrivals["errors"],
                    "answer_ms": (answered - sent) * 1000,
                    "last_ms": max(0.0, (last - answered) * 1000) if last else float("nan"),
                    "last_from_send_ms": (last - sent) * 1000 if last else float("nan"),
                    "first_ms": (first - answered) * 1000 if first else float("nan"),
                })
                time.sleep(0.5)
        finally:
            subs.close()
        return result
    finally:
        http.close()
