"""The service in this process: an app of `api.app.create_app` over the tests' database, its
lifespan run, reached through httpx's ASGI transport (HTTP, no socket) or through uvicorn on a
free port (real HTTP and WebSocket, as `python -m api serve` serves them), with no process to
start: what a test sees is what a client of the server sees, at a fraction of the cost."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import asynccontextmanager

import httpx
import uvicorn

from api.app import create_app
from api.cli import server_options
from api.settings import Settings
from contacts.db import Database
from tests.support.process import free_port
from tests.support.tls import TLS


class GraphQLClient:
    """Posts GraphQL over HTTP; `token` is the demo user name by default."""

    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self.http = http
        self.url = url  # where a WebSocket or another client reaches the same server

    @classmethod
    def of(cls, url: str) -> GraphQLClient:
        """A client of the server at `url`, over HTTP."""
        return cls(httpx.AsyncClient(base_url=url, timeout=30, verify=TLS), url)

    async def post(self, query: str, variables: dict | None = None, *, token: str | None = "demo-alice",
                   language: str | None = None, headers: dict | None = None) -> httpx.Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if language is not None:
            all_headers["Accept-Language"] = language
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers)

    async def __call__(self, query: str, variables: dict | None = None, **kwargs) -> dict:
        """The `data` of a successful answer; fails the test on any top-level error."""
        response = await self.post(query, variables, **kwargs)
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), body
        return body["data"]


def test_settings(database_url: str, **overrides) -> Settings:
    """The defaults, the tests' database, no access log (unless asked), and `overrides`."""
    return dataclasses.replace(Settings(database_url=database_url, access_log=False), **overrides)


test_settings.__test__ = False  # a helper, not a test


class Service:
    """An app running in this process, and uvicorn serving it on `url`."""

    def __init__(self, app, url: str) -> None:
        self.app = app
        self.url = url

    def client(self) -> GraphQLClient:
        """A client through the ASGI transport (no socket)."""
        transport = httpx.ASGITransport(app=self.app)
        return GraphQLClient(httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=30), self.url)

    def http(self) -> httpx.AsyncClient:
        """A client over real HTTP, through uvicorn."""
        return httpx.AsyncClient(base_url=self.url, timeout=30, verify=TLS)


@asynccontextmanager
async def running(database: Database, **overrides):
    """An app over `database` (open already), its lifespan run, served by uvicorn on a free port
    with the protocols of `python -m api serve`."""
    settings = test_settings(database.url, **overrides)
    app = create_app(settings, database=database)
    async with app.router.lifespan_context(app):
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning",
                                access_log=False, **server_options(settings))
        server = uvicorn.Server(config)
        task = asyncio.create_task(server._serve())  # without serve()'s signal handlers: pytest keeps its own
        while not server.started:
            if task.done():
                task.result()  # raises why it could not start
            await asyncio.sleep(0.01)
        try:
            yield Service(app, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            await task
