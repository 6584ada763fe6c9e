"""Many live-update subscribers in one process, driven by lines on its standard input.

    python -m bench.subscribers WS_URL QUOTE_ID COUNT [--compression browser|none]

Opens COUNT WebSocket connections to the GraphQL endpoint (graphql-transport-ws), each authenticated in its connection_init payload as one of six
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

An arrival is stamped as soon as its bytes are read, before anything else is done with them.
`--compression browser` offers permessage-deflate as browsers do; `none` offers nothing.

Each connection speaks through the `websockets` library's sans-I/O protocol (handshake,
frames, permessage-deflate, WebSocket pings) on a bare asyncio transport: no task nor future
per connection, so that thousands of them cost this process little, and the time it measures
is the server's more than its own. For the same reason, once the handshake is done and no
extension was agreed (the server's default: no compression), the server's frames (unmasked,
RFC 6455 5.2) are read here, a few operations each, instead of by websockets' parser (a
generator, a stream reader and a Frame object each: 40 to 60 us a 15 KB event on this
benchmark's machine, more than the server's own cost of sending it); what this process sends
still goes through websockets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import orjson
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from bench.operations import quote_contacts_changed

# The opcodes of the frames that `Subscriber._frames` reads (RFC 6455, 5.2), as plain ints.
CONT, TEXT, CLOSE, PING = (op.value for op in (Opcode.CONT, Opcode.TEXT, Opcode.CLOSE, Opcode.PING))

AUDIENCES = [(user, language) for language in ("fr", "en") for user in ("demo-alice", "demo-bob", "demo-victor")]


def say(**message) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


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


class Subscriber(asyncio.Protocol):
    """One subscriber: opens, says who it is, subscribes once acknowledged (`ready` then
    resolves), stamps the first event after `arm`, answers the server's pings."""

    def __init__(self, url: str, audience: tuple[str, str], compression: str, query: str, quote_id: str,
                 board: Board) -> None:
        user, language = audience
        extensions = [] if compression == "none" else [ClientPerMessageDeflateFactory(client_max_window_bits=True)]
        self.ws = ClientProtocol(parse_uri(url), extensions=extensions, subprotocols=["graphql-transport-ws"],
                                 max_size=None)
        self.init = json.dumps({"type": "connection_init",
                                "payload": {"Authorization": f"Bearer {user}", "Accept-Language": language}}).encode()
        self.subscribe = json.dumps({"id": "1", "type": "subscribe",
                                     "payload": {"query": query, "variables": {"quoteId": quote_id}}}).encode()
        self.board = board
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.fragments: list[bytes] = []
        self.arrived: float | None = None
        self.message: bytes | None = None  # the first event since `arm`, read once all have arrived
        self.errors = 0
        self.ended = False
        self.plain = False  # frames read by `_frames`, not by websockets (see the module's docstring)
        self.pending = b""  # the start of a frame not read whole yet

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self._flush()

    def _flush(self) -> None:
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if self.plain:
            self._frames(data, now)
            self._flush()
            return
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if self.ws.handshake_exc is not None:
                    self._fail(self.ws.handshake_exc)
                else:
                    self.ws.send_text(self.init)
                    # Nothing follows the handshake's response until connection_init is answered.
                    self.plain = not self.ws.extensions and not self.ws.reader.buffer
            elif isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.CONT):
                self.fragments.append(event.data)
                if event.fin:
                    message, self.fragments = b"".join(self.fragments), []
                    self._received(message, now)
        self._flush()

    def _frames(self, data: bytes, now: float) -> None:
        """Reads the server's frames in `data` (after what was pending): text messages, whole
        or in fragments, go to `_received`; a ping is answered; a close frame ends it."""
        buffer = self.pending + data if self.pending else data
        at, end = 0, len(buffer)
        while end - at >= 2:
            first, size = buffer[at], buffer[at + 1] & 0x7F
            head = 2
            if size == 126:
                if end - at < 4:
                    break
                size, head = int.from_bytes(buffer[at + 2:at + 4]), 4
            elif size == 127:
                if end - at < 10:
                    break
                size, head = int.from_bytes(buffer[at + 2:at + 10]), 10
            if end - at < head + size:
                break
            payload = buffer[at + head:at + head + size]
            at += head + size
            opcode = first & 0x0F
            if opcode == TEXT or opcode == CONT:
                self.fragments.append(payload)
                if first & 0x80:
                    message, self.fragments = b"".join(self.fragments), []
                    self._received(message, now)
            elif opcode == PING:
                self.ws.send_pong(payload)
            elif opcode == CLOSE:
                self._fail(ConnectionError("closed by the server"))
                self.transport.close()
                return
        self.pending = buffer[at:]

    def _received(self, data: bytes, now: float) -> None:
        head = data[:80]
        if b'"next"' in head:
            if self.arrived is None and not self.ended:
                self.arrived, self.message = now, data
                self.board.one_less()
        elif b'"ping"' in head:
            self.ws.send_text(b'{"type": "pong"}')
        elif b'"connection_ack"' in head:
            self.ws.send_text(self.subscribe)
            if not self.ready.done():
                self.ready.set_result(None)
        elif b'"error"' in head or b'"complete"' in head:
            self.errors += 1
            self._fail(RuntimeError(data[:200].decode(errors="replace")))

    def _fail(self, error: BaseException) -> None:
        if not self.ready.done():
            self.ready.set_exception(error)
        self.end()

    def connection_lost(self, exc) -> None:
        self._fail(ConnectionError(f"closed: {exc}"))

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            if self.arrived is None:
                self.board.one_less()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.ws.send_close()
            self._flush()
            self.transport.close()


async def main_async(url: str, quote_id: str, count: int, compression: str) -> None:
    query = quote_contacts_changed()
    gate = asyncio.Semaphore(50)
    failures: list[str] = []
    board = Board()

    loop = asyncio.get_running_loop()
    uri = parse_uri(url)

    async def guarded(i: int) -> Subscriber | None:
        async with gate:
            sub = Subscriber(url, AUDIENCES[i % len(AUDIENCES)], compression, query, quote_id, board)
            try:
                await loop.create_connection(lambda: sub, uri.host, uri.port)
                await asyncio.wait_for(sub.ready, 60)
                return sub
            except Exception as error:  # noqa: BLE001 - reported, not raised
                failures.append(f"{type(error).__name__}: {error}")
                sub.close()
                return None

    started = time.monotonic()
    subs = [s for s in await asyncio.gather(*(guarded(i) for i in range(count))) if s is not None]
    say(event="opened", open=len(subs), failed=len(failures), seconds=time.monotonic() - started,
        first_failure=failures[0] if failures else None)

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
                    payload = orjson.loads(s.message).get("payload") or {}
                    if payload.get("errors") or not (payload.get("data") or {}).get("quoteContactsChanged"):
                        s.errors += 1
            say(event="arrivals", received=len(times), first=min(times, default=None), last=max(times, default=None),
                errors=sum(s.errors for s in subs), ended=sum(s.ended for s in subs))
    for s in subs:
        s.close()
    await asyncio.sleep(0.2)  # the close frames on their way


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
