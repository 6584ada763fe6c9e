"""What every test shares: the databases, the demo data, and the service in this process.

The tests mirror the layers of the code:

- `tests/unit/`: pure functions and objects (the rules, the messages, GraphQL over HTTP, the
  response cache, shared subscriptions, keep-alives, the WebSocket protocol);
- `tests/domain/`: the domain's commands and reads, and the schema executed, on both databases,
  without HTTP;
- `tests/http/`: the service in this process, over HTTP through httpx's ASGI transport and
  over WebSocket through uvicorn (`tests.support.service`);
- `tests/system/`: real processes (several processes, Redis, nginx, SIGKILL, SIGTERM, workers,
  the browser), all started by `tests.support.process`.

Every test that takes `backend` (or a fixture built on it) runs once on SQLite and once on
PostgreSQL (when TEST_DATABASE_URL is set; `.ci/run` sets it, so nothing is skipped on CI).
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import pytest
from tortoise import connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.transactions import in_transaction

from api.app import settle_startup_objects
from contacts.db import Database
from tests.support import process
from tests.support.service import GraphQLClient, running

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
TABLES = ("quote_history", "contact_default", "contact_assignment", "quote_line", "quote", "product", "contact", "api_token", "app_user", "enterprise")


def pytest_configure(config) -> None:
    # The server processes the tests start are forked from one that imported the service once
    # (tests/support/prefork.py): about a second less each. TEST_FORK_SERVERS=0 starts each anew.
    process.FORK_SERVERS = os.environ.get("TEST_FORK_SERVERS", "1") != "0"
    # Their SQLite files start migrated (tests/support/process.py): 0.6-0.75 s of CPU less each.
    process.COPY_MIGRATED_SQLITE = True
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
    service (CI) skips nothing; runs the longest tests first."""
    dropped = [
        item
        for item in items
        if item.get_closest_marker("postgres_only")
        and getattr(getattr(item, "callspec", None), "params", {}).get("backend") == "sqlite"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
    # The tests of real processes and of the browser first (each module's tests kept together):
    # they are the longest, and started last they would leave one test process working alone
    # at the end while the other has nothing left to take.
    items.sort(key=lambda item: 0 if "/tests/system/" in str(item.path) else 1)


def pytest_collection_finish(session) -> None:
    """Everything imported so far (the code, the tests, their libraries) lives as long as the
    test process: moved out of the garbage collector's reach, so that a full collection scans
    only what the tests made since, as `python -m api serve` does once started."""
    settle_startup_objects()


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
    database: Database


@pytest.fixture(scope="session", params=backends())
async def backend(request, tmp_path_factory) -> Backend:
    """A migrated database of one kind, opened in this process for the session."""
    if request.param == "postgres":
        url = await fresh_postgres_database(POSTGRES_URL, f"contacts_test_{os.getpid()}")
    else:
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    database = Database(url)
    await database.migrate()
    await database.open()
    yield Backend(request.param, url, database)
    await database.close()
    # Executors cache their INSERT statements by connection name: forget them before the next backend.
    EXECUTOR_CACHE.clear()


async def empty_database() -> None:
    """Empties every table."""
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            # DELETE, then the ids from 1 again: on a few rows, half the time of a TRUNCATE
            # (which makes every table anew).
            await conn.execute_script(
                "".join(f'DELETE FROM "{t}";' for t in TABLES)
                + "".join(f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false);" for t in TABLES))
        else:
            for table in TABLES:
                if table == "enterprise":  # clients point to their partner
                    await conn.execute_query('DELETE FROM "enterprise" WHERE "partner_id" IS NOT NULL')
                await conn.execute_query(f'DELETE FROM "{table}"')
            # The ids from 1 again, as on PostgreSQL (AUTOINCREMENT keeps the highest one given).
            await conn.execute_query('DELETE FROM "sqlite_sequence"')


# The demo data as `load_demo` wrote it, per database: (table, columns, rows), parents first.
_demo_rows: dict[tuple[str, str], list[tuple[str, list[str], list[tuple]]]] = {}
_VERSIONS = ("data_version", "contacts_version")  # enterprise's: new ones at each reset


async def reset_demo() -> None:
    """Empties every table and loads the demo data again: the first time on a database through
    `load_demo`, then by writing back the rows it wrote (4 statements a table less, about a
    sixth of the time), each enterprise with data versions never seen before, as `load_demo`
    gives (the service's response cache must not serve an earlier test's answers)."""
    from contacts.demo import load_demo
    from contacts.models import new_data_version

    client = connections.get("default")
    key = (client.capabilities.dialect, str(getattr(client, "filename", None) or getattr(client, "database", None)))
    await empty_database()
    if key not in _demo_rows:
        await load_demo()
        async with in_transaction() as conn:
            tables = []
            for table in reversed(TABLES):
                _, rows = await conn.execute_query(f'SELECT * FROM "{table}" ORDER BY "id"')
                columns = list(rows[0].keys()) if rows else []
                tables.append((table, columns, [tuple(row[c] for c in columns) for row in rows]))
        _demo_rows[key] = tables
        return
    async with in_transaction() as conn:
        for table, columns, rows in _demo_rows[key]:
            if not rows:
                continue
            if table == "enterprise":
                at = [columns.index(c) for c in _VERSIONS]
                rows = [tuple(new_data_version() if i in at else v for i, v in enumerate(row)) for row in rows]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join(f"${i}" if key[0] == "postgres" else "?" for i in range(1, len(columns) + 1))
            await conn.execute_many(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
            if key[0] == "postgres":
                await conn.execute_query(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(\"id\") FROM \"{table}\"))")


@pytest.fixture(scope="session")
async def service(backend: Backend):
    """The service in this process over the backend's database (one per backend)."""
    async with running(backend.database) as running_service:
        yield running_service


@asynccontextmanager
async def over_fresh_demo(client: GraphQLClient):
    """`client` over freshly loaded demo data, closed afterwards: what every module's `api`
    fixture gives, whichever service the client reaches."""
    await reset_demo()
    try:
        yield client
    finally:
        await client.http.aclose()


@pytest.fixture
async def api(service) -> GraphQLClient:
    """A GraphQL client of the service (ASGI transport), over freshly loaded demo data."""
    async with over_fresh_demo(service.client()) as client:
        yield client
