"""The one server launcher (tests/support/process.py) starts the server it was asked for, even
when another process takes its port first: two test processes run at once (`make test` runs
two), and another program may bind any port between free_port() and the server's bind."""

from __future__ import annotations

import os

import httpx

from tests.support import process


def test_a_port_taken_meanwhile_gets_the_server_another_one(tmp_path, monkeypatch):
    first = process.api_server(f"sqlite://{tmp_path / 'first.sqlite3'}")
    try:
        ports = iter([first.port])  # the next free_port() hands out the port the first now holds
        real = process.free_port
        monkeypatch.setattr(process, "free_port", lambda: next(ports, None) or real())
        second = process.api_server(f"sqlite://{tmp_path / 'second.sqlite3'}")
        try:
            assert second.port != first.port
            assert httpx.get(f"{second.url}/healthz").json()["pid"] == second.pid
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_forked_server_is_a_process_of_its_own(tmp_path, monkeypatch):
    """The forked server (tests/support/prefork.py) has its own pid, reads the environment it
    was given when it starts, and ends on SIGKILL as `python -m api serve` would."""
    monkeypatch.setattr(process, "FORK_SERVERS", True)
    server = process.api_server(f"sqlite://{tmp_path / 'forked.sqlite3'}", env={"MAX_TOKENS": "12"},
                                demo=True)
    try:
        assert isinstance(server.process, process.prefork.ForkedProcess)
        assert httpx.get(f"{server.url}/healthz").json()["pid"] == server.pid != os.getpid()
        alice = {"Authorization": "Bearer demo-alice"}
        short = httpx.post(f"{server.url}/graphql", json={"query": "{ __typename }"}, headers=alice)
        long = httpx.post(f"{server.url}/graphql", headers=alice,
                          json={"query": "{ a: __typename b: __typename c: __typename d: __typename e: __typename }"})
        assert short.status_code == 200 and long.status_code == 400, (short.text, long.text)
        server.kill()
        assert server.process.returncode == -9
    finally:
        server.stop()
