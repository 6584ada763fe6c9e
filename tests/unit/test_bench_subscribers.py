"""The benchmark's subscribers read the server's frames themselves once the handshake is done
(bench/subscribers.py `Subscriber._frames`): they must read what websockets' server side
writes, however the bytes come in, as websockets' own parser does."""

from __future__ import annotations

import json

from websockets.frames import Frame, Opcode
from websockets.protocol import State

from bench.subscribers import Board, Subscriber


class _Wire:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def _subscriber() -> tuple[Subscriber, Board]:
    board = Board()
    sub = Subscriber("ws://127.0.0.1:1/graphql", ("demo-alice", "fr"), "none", "subscription { x }", "Q", board)
    sub.transport = _Wire()
    sub.ws.state = State.OPEN
    sub.plain = True
    return sub, board


def _server_frame(opcode: Opcode, data: bytes, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=False, extensions=[])


def _event(size: int) -> bytes:
    return json.dumps({"type": "next", "id": "1", "payload": {"data": {"note": "é" * size}}},
                      ensure_ascii=False).encode()


async def test_messages_of_every_length_are_read_however_the_bytes_are_cut():
    events = [_event(n) for n in (10, 70, 40_000)]  # lengths on 7, 16 and 64 bits
    stream = b"".join(_server_frame(Opcode.TEXT, e) for e in events)
    for cut in (1, 3, 1000, len(stream)):
        sub, board = _subscriber()
        seen: list[bytes] = []
        sub._received = lambda data, now, seen=seen: seen.append(data)
        for at in range(0, len(stream), cut):
            sub.data_received(stream[at:at + cut])
        assert seen == events
        assert sub.pending == b""


async def test_a_fragmented_message_is_read_whole_and_a_ping_between_is_answered():
    event = _event(100)
    sub, board = _subscriber()
    board.arm(1)
    sub.data_received(_server_frame(Opcode.TEXT, event[:50], fin=False) + _server_frame(Opcode.PING, b"hi")
                      + _server_frame(Opcode.CONT, event[50:]))
    assert sub.message == event and sub.arrived is not None
    assert board.done.is_set()
    # the pong went out through websockets: a final PONG frame, masked as a client's are
    assert [w[:2] for w in sub.transport.written] == [bytes((0x8A, 0x80 | 2))]


async def test_a_close_frame_ends_the_subscriber():
    sub, board = _subscriber()
    board.arm(1)
    sub.data_received(_server_frame(Opcode.CLOSE, (1001).to_bytes(2, "big")))
    assert sub.ended and sub.transport.closed
    assert board.done.is_set() and sub.arrived is None
    assert isinstance(sub.ready.exception(), ConnectionError)
