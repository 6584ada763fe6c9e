"""Many live-update subscribers in one process, driven by lines on its standard input.

    python -m bench.subscribers WS_URL QUOTE_ID COUNT [--compression browser|none]

Opens COUNT WebSocket connections to the GraphQL endpoint (graphql-transport-ws, with the
`websockets` library), each authenticated in its connection_init payload as one of six
audiences in turn (demo-alice, demo-bob, demo-victor, each in French and in English), and
subscribes each to the frontend's QUOTE_CONTACTS_CHANGED on QUOTE_ID. It answers the server's
pings. Then, one JSON line on standard output per command read:

- at start, once every connection is open: {"event": "opened", "open": n, "failed": n, ...}
- `arm`: forget the arrivals so far; {"event": "armed"}
- `wait SECONDS`: until every subscriber has had an event since `arm` (or the time is up):
  {"event": "arrivals", "received": n, "first": t, "last": t, "errors": n}, times from
  time.monotonic(), the system-wide CLOCK_MONOTONIC that the caller's clock also reads;
  `errors` counts the events without data or with errors (read once all have arrived)
- `close`: close every connection and end.

An arrival is stamped as soon as its frame is read, before anything else is done with it.
`--compression browser` offers permessage-deflate as browsers do; `none` offers nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from bench.operations import quote_contacts_changed

AUDIENCES = [(user, language) for language in ("fr", "en") for user in ("demo-alice", "demo-bob", "demo-victor")]


class Board:
    """How many subscribers still wait for an event since `arm`; `done` once none does."""

    def __init__(self) -> None:
        self.pending = 0
        self.done = asyncio.Event()

    def arm(self, waiting: int) -> None:
        self.pending = waiting
        self.done.clear()
        if waiting == 0:
            self.done.set()

    def one_less(self) -> None:
        self.pending -= 1
        if self.pending <= 0:
            self.done.set()


class Subscriber:
    def __init__(self, ws, board: Board) -> None:
        self.ws = ws
        self.board = board
        self.arrived: float | None = None
        self.message: bytes | None = None  # the first event since `arm`, read once all have arrived
        self.errors = 0
        self.ended = False

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            if self.arrived is None:
                self.board.one_less()


def say(**message) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def listen(sub: Subscriber) -> None:
    try:
        while True:
            data = await sub.ws.recv(decode=False)
            now = time.monotonic()
            head = data[:80]
            if b'"next"' in head:
                if sub.arrived is None and not sub.ended:
                    sub.arrived, sub.message = now, data
                    sub.board.one_less()
            elif b'"ping"' in head:
                await sub.ws.send('{"type": "pong"}')
            elif b'"error"' in head or b'"complete"' in head:
                sub.errors += 1
                sub.end()
    except ConnectionClosed:
        sub.end()


async def open_one(index: int, url: str, quote_id: str, compression: str, query: str, board: Board) -> Subscriber:
    user, language = AUDIENCES[index % len(AUDIENCES)]
    options = {"compression": None} if compression == "none" else {
        "extensions": [ClientPerMessageDeflateFactory(client_max_window_bits=True)], "compression": None}
    ws = await connect(url, subprotocols=["graphql-transport-ws"], ping_interval=None, proxy=None,
                       max_size=None, open_timeout=60, **options)
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": f"Bearer {user}", "Accept-Language": language}}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 60))
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                              "payload": {"query": query, "variables": {"quoteId": quote_id}}}))
    return Subscriber(ws, board)


async def main_async(url: str, quote_id: str, count: int, compression: str) -> None:
    query = quote_contacts_changed()
    gate = asyncio.Semaphore(50)
    failures: list[str] = []
    board = Board()

    async def guarded(i: int) -> Subscriber | None:
        async with gate:
            try:
                return await open_one(i, url, quote_id, compression, query, board)
            except Exception as error:  # noqa: BLE001 - reported, not raised
                failures.append(f"{type(error).__name__}: {error}")
                return None

    started = time.monotonic()
    subs = [s for s in await asyncio.gather(*(guarded(i) for i in range(count))) if s is not None]
    listeners = [asyncio.create_task(listen(s)) for s in subs]
    say(event="opened", open=len(subs), failed=len(failures), seconds=time.monotonic() - started,
        first_failure=failures[0] if failures else None)

    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if not line or line == "close":
            break
        command, _, argument = line.partition(" ")
        if command == "arm":
            for s in subs:
                s.arrived = s.message = None
                s.errors = 0
            board.arm(sum(not s.ended for s in subs))
            say(event="armed")
        elif command == "wait":
            try:
                await asyncio.wait_for(board.done.wait(), float(argument or 10))
            except asyncio.TimeoutError:
                pass
            times = [s.arrived for s in subs if s.arrived is not None]
            for s in subs:
                if s.message is not None:
                    payload = json.loads(s.message).get("payload") or {}
                    if payload.get("errors") or not (payload.get("data") or {}).get("quoteContactsChanged"):
                        s.errors += 1
            say(event="arrivals", received=len(times), first=min(times, default=None), last=max(times, default=None),
                errors=sum(s.errors for s in subs), ended=sum(s.ended for s in subs))
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(s.ws.close() for s in subs), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subscribers")
    parser.add_argument("url")
    parser.add_argument("quote_id")
    parser.add_argument("count", type=int)
    parser.add_argument("--compression", choices=("browser", "none"), default="browser")
    args = parser.parse_args()
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    run_loop(main_async(args.url, args.quote_id, args.count, args.compression))


if __name__ == "__main__":
    main()
