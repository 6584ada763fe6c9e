"""Shared fixtures: the database backends, a real server per backend, and a GraphQL client.

Every test that takes `api` runs once on SQLite and once on PostgreSQL (when
TEST_DATABASE_URL is set; `.ci/run` sets it, so nothing is skipped on CI). Before each test
the database is emptied and the demo data loaded again, through the ORM of this process,
while the server runs in its own process against the same database.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.transactions import in_transaction

from api.cli import migrate
from api.settings import tortoise_config
from tests.servers import Server

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
TABLES = ("contact_assignment", "quote_line", "quote", "product", "contact", "api_token", "app_user", "enterprise")


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        "postgres_only: several server processes share one database, so only the PostgreSQL "
        "variant runs (the SQLite one is not collected)",
    )


def pytest_terminal_summary(terminalreporter) -> None:
    """Skips summed up in one line per reason (pytest's own summary gives one per test place):
    the reasons say which variable or program turns the tests on (README, *Tests*)."""
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.section(f"{sum(reasons.values())} skipped, by reason", sep="-")
        for reason, count in reasons.most_common():
            terminalreporter.line(f"{count:5d}  {reason}")


def pytest_collection_modifyitems(config, items) -> None:
    """Drops the SQLite variant of tests marked postgres_only, so that a run with every
    service (CI) skips nothing."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("postgres_only")
        and getattr(getattr(item, "callspec", None), "params", {}).get("backend") == "sqlite"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


def backends() -> list:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgres",
            id="postgres",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set (a postgres:// URL)"),
        ),
    ]


async def fresh_postgres_database(base_url: str, name: str) -> str:
    """Drops and creates database `name` on the server of `base_url`; returns its URL."""
    server, _, _ = base_url.rpartition("/")
    conn = await asyncpg.connect(base_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{server}/{name}"


@dataclass
class Backend:
    name: str
    database_url: str


@pytest.fixture(scope="session", params=backends())
async def backend(request, tmp_path_factory) -> Backend:
    """A migrated database of one kind, opened by the ORM of this process for the session."""
    if request.param == "postgres":
        url = await fresh_postgres_database(POSTGRES_URL, f"contacts_test_{os.getpid()}")
    else:
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    await migrate(url)
    await Tortoise.init(config=tortoise_config(url))
    yield Backend(request.param, url)
    await Tortoise.close_connections()
    # Models bind their SQL dialect when the apps are set up, and executors cache their
    # INSERT statements by connection name: forget both before the next backend.
    await Tortoise._reset_apps()
    EXECUTOR_CACHE.clear()


async def reset_demo() -> None:
    """Empties every table and loads the demo data again."""
    from api.demo import load_demo

    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_script("TRUNCATE " + ", ".join(f'"{t}"' for t in TABLES) + " RESTART IDENTITY CASCADE")
        else:
            for table in TABLES:
                if table == "enterprise":  # clients point to their partner
                    await conn.execute_query('DELETE FROM "enterprise" WHERE "partner_id" IS NOT NULL')
                await conn.execute_query(f'DELETE FROM "{table}"')
    await load_demo()


@pytest.fixture(scope="session")
def server(backend: Backend) -> Server:
    """A real uvicorn process serving the backend's database."""
    process = Server(backend.database_url)
    yield process
    process.stop()


class GraphQLClient:
    """Posts GraphQL over real HTTP; `token` is the demo user name by default."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(base_url=url, timeout=30)

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


@pytest.fixture
async def api(server: Server) -> GraphQLClient:
    """A GraphQL client of the real server, over freshly loaded demo data."""
    await reset_demo()
    client = GraphQLClient(server.url)
    yield client
    await client.http.aclose()
