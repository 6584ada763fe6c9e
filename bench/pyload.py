"""A lean HTTP/1.1 load generator in Python, run in a process of its own.

    python -m bench.pyload SPEC.json [RESULT]     (one line, BENCH_JSON {...}, printed or written to RESULT)

N keep-alive connections on asyncio (uvloop), each a closed loop: send a request, read the
whole answer, record the time, send the next. Requests are written as raw bytes and answers
read by Content-Length, without an HTTP library, to leave the cores to the server.

Spec: url, connections, seconds, seed, token, and a mode:
- "bodies": a random line of `bodies_file` (one JSON document a line) per request, as
  bench/step2.lua does for wrk (the fallback when wrk is missing);
- "toggle": setAssignmentFunction (`query`) on the contacts of random draft quotes
  (`drafts`: quote id -> [[assignment id, [functions]], ...]), each request untick or tick
  TRACKING or ON_SITE as the answer last showed it, never two requests on one quote at once;
  the answer's quote (QuoteStep2) tells the new state of every contact of that quote; the
  result gives the state it leaves (`drafts`), for the next load to start from.
- "mix": the realistic mix, one connection per user (`users`: [token, quote id, read body]),
  each on its own draft: `reads` reads of it (the body given), then one change of it as in
  "toggle" (`query`, `drafts`), and again; each user starts at a random point of that cycle.
  Reads and changes are timed apart (`parts`) and together. A read that shows an older
  version of the quote than the user's own last change answered is counted as stale.
"""

from __future__ import annotations

import asyncio
import base64
import random
import resource
import sys
import time
from urllib.parse import urlsplit

import orjson

from bench.operations import ACCEPT


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p90, p99, max and mean, in microseconds, of durations in seconds."""
    if not values:
        return {"p50": 0, "p90": 0, "p99": 0, "max": 0, "mean": 0}
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1e6

    return {"p50": at(50), "p90": at(90), "p99": at(99), "max": ordered[-1] * 1e6,
            "mean": sum(ordered) / len(ordered) * 1e6}


def _gid(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def _pk(gid: str) -> int:
    return int(base64.b64decode(gid).decode().rpartition(":")[2])


class Bodies:
    def __init__(self, spec: dict, rng: random.Random) -> None:
        with open(spec["bodies_file"], "rb") as f:
            self.bodies = [line.strip() for line in f if line.strip()]
        self.rng = rng

    def next(self):
        return self.rng.choice(self.bodies), None, "read"

    def answer(self, key, body: bytes, stats: dict) -> None:
        if b'"errors"' in body[:20]:
            stats["graphql_errors"] += 1


class Toggles:
    """setAssignmentFunction requests that always change something, from the known state."""

    def __init__(self, spec: dict, rng: random.Random) -> None:
        self.query = spec["query"]
        self.state = {int(q): {aid: set(fs) for aid, fs in rows} for q, rows in spec["drafts"].items()}
        self.free = list(self.state)
        self.rng = rng
        self.version = 0  # the quote's version in the last answer

    def next(self):
        quote = self.free.pop(self.rng.randrange(len(self.free)))
        contacts = self.state[quote]
        aid = self.rng.choice(list(contacts))
        function = self.rng.choice(("TRACKING", "ON_SITE"))
        enabled = function not in contacts[aid]
        if function == "TRACKING" and enabled and sum("TRACKING" in fs for fs in contacts.values()) >= 3:
            function, enabled = "ON_SITE", "ON_SITE" not in contacts[aid]
        variables = {"input": {"assignmentId": _gid("ContactAssignment", aid), "function": function, "enabled": enabled}}
        return orjson.dumps({"query": self.query, "variables": variables}), quote, "change"

    def answer(self, quote, body: bytes, stats: dict) -> None:
        self.free.append(quote)
        try:
            payload = orjson.loads(body)["data"]["setAssignmentFunction"]
        except (ValueError, KeyError, TypeError):
            stats["graphql_errors"] += 1
            return
        if payload["userErrors"]:
            stats["refused"] += 1
        else:
            stats["accepted"] += 1
        if payload.get("quote"):
            self.state[quote] = {_pk(a["id"]): set(a["functions"]) for a in payload["quote"]["assignments"]}
            self.version = payload["quote"].get("version") or 0


class MixUser:
    """One user of the realistic mix: `reads` reads of its own draft, then one change of it."""

    def __init__(self, spec: dict, user: list, rng: random.Random) -> None:
        token, quote, read_body = user
        self.read_body = read_body.encode()
        self.head = _head(spec, token)
        self.toggles = Toggles({"query": spec["query"], "drafts": {str(quote): spec["drafts"][str(quote)]}}, rng)
        self.cycle = spec.get("reads", 4) + 1
        self.turn = rng.randrange(self.cycle)

    def next(self):
        self.turn += 1
        if self.turn % self.cycle == 0:
            return self.toggles.next()
        return self.read_body, None, "read"

    def answer(self, key, body: bytes, stats: dict) -> None:
        if key is not None:
            self.toggles.answer(key, body, stats)
            return
        try:
            quote = orjson.loads(body)["data"]["quote"]
        except (ValueError, KeyError, TypeError):
            stats["graphql_errors"] += 1
            return
        if quote is None:
            stats["graphql_errors"] += 1
        elif quote["version"] < self.toggles.version:
            stats["stale_reads"] += 1


def _head(spec: dict, token: str) -> bytes:
    url = urlsplit(spec["url"])
    return (f"POST /graphql HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
            f"Accept: {ACCEPT}\r\nAuthorization: Bearer {token}\r\nContent-Length: ").encode()


async def open_all(host: str, port: int, count: int, stats: dict) -> list:
    """The connections, opened one after the other a few milliseconds apart, as clients
    arriving do: opened at once, every one would be accepted by the same server process
    (the first awake takes all that wait), and `--workers N` would not share the load."""
    opened = []
    for _ in range(count):
        try:
            opened.append(await asyncio.open_connection(host, port))
        except OSError:
            stats["connect_errors"] += 1
        await asyncio.sleep(0.005)
    return opened


async def connection(reader, writer, head: bytes, source, deadline: float, latencies: dict, stats: dict) -> None:
    try:
        while time.monotonic() < deadline:
            body, key, kind = source.next()
            started = time.perf_counter()
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            header = await reader.readuntil(b"\r\n\r\n")
            at = header.lower().find(b"content-length:")
            length = int(header[at + 15:header.index(b"\r\n", at)])
            answer = await reader.readexactly(length)
            latencies[kind].append(time.perf_counter() - started)
            if header[9:12] != b"200":
                stats["status_errors"] += 1
            source.answer(key, answer, stats)
    except (OSError, asyncio.IncompleteReadError, ValueError):
        stats["read_errors"] += 1
    finally:
        writer.close()


async def run(spec: dict) -> dict:
    url = urlsplit(spec["url"])
    rng = random.Random(spec.get("seed", 6))
    latencies: dict[str, list[float]] = {"read": [], "change": []}
    stats = {"status_errors": 0, "graphql_errors": 0, "read_errors": 0, "connect_errors": 0, "stale_reads": 0,
             "accepted": 0, "refused": 0}
    if spec["mode"] == "mix":
        users = [MixUser(spec, user, rng) for user in spec["users"]]
        sources = [(user.head, user) for user in users]
    else:
        shared = Toggles(spec, rng) if spec["mode"] == "toggle" else Bodies(spec, rng)
        sources = [(_head(spec, spec.get("token", "demo-alice")), shared)] * spec["connections"]
    opened = await open_all(url.hostname, url.port, len(sources), stats)
    started = time.monotonic()
    deadline = started + spec["seconds"]
    await asyncio.gather(*(connection(reader, writer, head, source, deadline, latencies, stats)
                           for (reader, writer), (head, source) in zip(opened, sources)))
    duration = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    every = latencies["read"] + latencies["change"]
    result = {"requests": len(every), "duration_us": duration * 1e6, "latency_us": percentiles(every),
              "errors": stats, "cpu_seconds": usage.ru_utime + usage.ru_stime}
    if spec["mode"] == "mix":
        result["parts"] = {kind: {"requests": len(values), "latency_us": percentiles(values)}
                           for kind, values in latencies.items()}
        states = [user.toggles for user in users]
    else:
        states = [shared] if isinstance(shared, Toggles) else []
    if states:  # where the next load starts from
        result["drafts"] = {str(q): [[aid, sorted(fs)] for aid, fs in rows.items()]
                            for toggles in states for q, rows in toggles.state.items()}
    return result


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        spec = orjson.loads(f.read())
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    line = "BENCH_JSON " + orjson.dumps(run_loop(run(spec))).decode() + "\n"
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(line)
    else:
        print(line, end="", flush=True)


if __name__ == "__main__":
    main()
