"""The one server launcher (tests/support/process.py) starts the server it was asked for, even
when another process takes its port first: two test processes run at once (`make test` runs
two), and another program may bind any port between free_port() and the server's bind."""

from __future__ import annotations

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
