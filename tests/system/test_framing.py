"""HTTP framing against a real `python -m api serve` process (api/http_protocol.py): headers
bounded in size and in time, bodies in time (issue 12).

Before: 100 MB of one header were read and answered 200 (the server's memory 174 -> 438 MB,
never given back); 300 sets of headers sent a byte at a time, and a body that never completes,
held their connections for ever.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.support.process import ServerProcess, api_server
from tests.support.wsclient import WAIT

HEADER_BYTES = 16 * 1024
TIMEOUT = 1.0  # seconds for the headers, and for the body, in these tests


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> ServerProcess:
    database = f"sqlite://{tmp_path_factory.mktemp('framing') / 'api.sqlite3'}"
    process = api_server(database, demo=True, env={
        "MAX_HEADER_BYTES": str(HEADER_BYTES),
        "HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
        "BODY_TIMEOUT_SECONDS": str(TIMEOUT),
    })
    yield process
    process.stop()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def answer_to(port: int, chunks, pause: float = 0.0) -> bytes:
    """What the server answers on a new connection until it closes it, while `chunks` are sent
    (`pause` seconds apart) until it answers or stops listening."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def send() -> None:
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)

    sending = asyncio.create_task(send())
    try:
        return await asyncio.wait_for(reader.read(), WAIT)
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        writer.close()


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


async def test_oversized_headers_get_431_and_the_memory_is_not_taken(server):
    before = rss_kib(server.pid)
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
    megabyte = b"a" * (1024 * 1024)
    answer = await answer_to(server.port, [request, *([megabyte] * 100), b"\r\n\r\n"])
    assert status_of(answer) == 431, answer[:200]
    assert b"REQUEST_HEADER_FIELDS_TOO_LARGE" in answer
    assert rss_kib(server.pid) - before < 20 * 1024  # far from the 100 MB sent
    # Many headers that add up past the bound, each small: the same.
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(200))
    assert status_of(await answer_to(server.port, [request + b"1\r\n" + many + b"\r\n"])) == 431
    # Headers within the bound: served.
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/healthz", headers={"X-Big": "a" * (HEADER_BYTES // 2)})
        assert response.status_code == 200


async def test_headers_sent_a_byte_at_a_time_are_cut_off(server):
    """300 connections sending their headers slowly: each gets 408 once HEADER_TIMEOUT_SECONDS
    have passed, instead of holding its connection for ever."""
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 200

    async def slowloris() -> bytes:
        return await answer_to(server.port, [request[i:i + 1] for i in range(len(request))], pause=0.05)

    started = time.monotonic()
    answers = await asyncio.gather(*(slowloris() for _ in range(300)))
    assert {status_of(a) for a in answers} == {408}, {status_of(a) for a in answers}
    assert time.monotonic() - started < WAIT  # well before the 10 s they would take to send
    # A connection that says nothing is closed too.
    assert await answer_to(server.port, []) == b""
    async with httpx.AsyncClient(base_url=server.url) as http:  # the server goes on
        assert (await http.get("/healthz")).status_code == 200


async def test_a_body_that_never_completes_is_cut_off(server):
    headers = (b"POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-alice\r\n"
               b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    answer = await answer_to(server.port, [headers, b'{"query": "{ viewer', *([b" "] * 100)], pause=0.1)
    assert status_of(answer) == 408, answer[:200]
    assert b"REQUEST_TIMEOUT" in answer
    # A body sent whole, even in pieces, is served as ever.
    async with httpx.AsyncClient(base_url=server.url) as http:
        async def pieces():
            for part in (b'{"query": ', b'"{ viewer { name } }"}'):
                yield part

        response = await http.post("/graphql", content=pieces(), headers={
            "Authorization": "Bearer demo-alice", "Content-Type": "application/json"})
        assert response.json() == {"data": {"viewer": {"name": "Alice Durand"}}}
