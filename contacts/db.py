"""The database, reached one way: SQL written once for both dialects, run by `run`, its rows
made into the ORM's models by `rows_as`.

Every statement of the service goes through here (the reads in `contacts.reads` and
`contacts.visibility`, the writes in the commands). The ORM's models describe the tables
(`contacts.models`, and the ORM's own migrations in `contacts/migrations/`) and load the demo
data; they build no query at run time: Tortoise builds each query anew (pypika, then a copy
per filter), about 0.15 ms a statement, where a statement written once costs nothing.

The text uses PostgreSQL's `$1, $2...`; on SQLite they become `?1, ?2...` and `FOR UPDATE [OF
alias] [SKIP LOCKED]` is dropped (writers take turns there: see `write_transaction`). `{ids}` stands for a
list of parameters, as many as the values given for it. An INSERT, UPDATE or DELETE with
RETURNING answers its rows on both.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.migrations.api import migrate as run_migrations
from tortoise.models import Model
from tortoise.transactions import in_transaction

_PLACEHOLDER = re.compile(r"\$(\d+)")
_FOR_UPDATE = re.compile(r" FOR UPDATE( OF \w+)?( SKIP LOCKED)?")


def tortoise_config(database_url: str) -> dict:
    """The ORM's configuration for one database URL: the models and migrations of `contacts`."""
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            "models": {
                "models": ["contacts.models"],
                "default_connection": "default",
                "migrations": "contacts.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def _keep_session(connection) -> None:
    """asyncpg's pool resets every connection it takes back (one more round trip per query);
    it still rolls back an open transaction first. We keep no session state (no LISTEN,
    SET, advisory locks or cursors), so there is nothing else to reset."""


def _connection(database_url: str) -> str | dict:
    if not database_url.startswith(("postgres://", "asyncpg://")):
        return database_url
    from tortoise.backends.base.config_generator import expand_db_url

    config = expand_db_url(database_url)
    if config["engine"] == "tortoise.backends.asyncpg":
        config["credentials"]["reset"] = _keep_session
    return config


class Database:
    """One database URL: migrated, then opened for the process (the app's lifespan opens it
    through Tortoise's Starlette helper; scripts and tests with `open`)."""

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def config(self) -> dict:
        return tortoise_config(self.url)

    async def migrate(self) -> None:
        """Applies the ORM's migrations (creates an SQLite file when missing)."""
        try:
            await run_migrations(config=self.config)
        finally:
            await Tortoise.close_connections()
            await Tortoise._reset_apps()  # models bind their SQL dialect when the apps are set up

    async def open(self) -> None:
        await Tortoise.init(config=self.config, _enable_global_fallback=True)

    async def close(self) -> None:
        await Tortoise._reset_apps()  # models bind their SQL dialect when the apps are set up
        await Tortoise.close_connections()


def columns(model: type[Model], alias: str | None = None, prefix: str = "") -> str:
    """Every column of `model`'s table, as `alias."col" AS "<prefix>col"` (as `"col"` without
    an alias, for a RETURNING clause)."""
    names = model._meta.fields_db_projection.values()
    if alias is None:
        return ", ".join(f'"{c}"' for c in names)
    return ", ".join(f'{alias}."{c}" AS "{prefix}{c}"' for c in names)


@lru_cache(maxsize=512)
def _text(sql: str, dialect: str, count: int) -> str:
    if "{ids}" in sql:
        first = max((int(n) for n in _PLACEHOLDER.findall(sql)), default=0) + 1
        sql = sql.replace("{ids}", ", ".join(f"${i}" for i in range(first, first + count)))
    if dialect != "postgres":
        sql = _PLACEHOLDER.sub(r"?\1", _FOR_UPDATE.sub("", sql))
    elif " RETURNING " in sql:
        # Tortoise's asyncpg client answers no rows for a statement that starts with INSERT,
        # UPDATE or DELETE (it runs it with execute()): a comment first, and it fetches them.
        sql = "/* rows */ " + sql
    return sql


async def run(sql: str, *values: Any, ids: Sequence[Any] = ()) -> list:
    """Runs one statement on the current connection (the transaction's, inside one); its rows."""
    connection = connections.get("default")
    _, rows = await connection.execute_query(_text(sql, connection.capabilities.dialect, len(ids)), [*values, *ids])
    return rows


# Ids per statement for `run_each`: far under the limits on parameters (SQLite 32766,
# PostgreSQL 32767), whatever the number of rows a change touches.
IDS_PER_STATEMENT = 1000


async def run_each(sql: str, *values: Any, ids: Sequence[Any]) -> list:
    """`run` for a list of ids of any length: one statement per IDS_PER_STATEMENT of them (none
    for no id); their rows, in order."""
    rows: list = []
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        rows += await run(sql, *values, ids=ids[start:start + IDS_PER_STATEMENT])
    return rows


def dialect() -> str:
    return connections.get("default").capabilities.dialect


def rows_as(model: type[Model], rows: list, related: dict[str, type[Model]] | None = None) -> list:
    """`rows` as instances of `model`, exactly as Tortoise's own executor makes them; with
    `related` ({field: model}), each row also holds that model's columns under the prefix
    "<field>." (None when they are all null), as the related object `<field>`."""
    if not rows:
        return []
    if not related:
        return [model._init_from_db(**row) for row in rows]
    keys = list(rows[0].keys())
    own = [i for i, k in enumerate(keys) if "." not in k]
    parts = [(name, other, [(i, keys[i].partition(".")[2]) for i, k in enumerate(keys) if k.startswith(name + ".")])
             for name, other in related.items()]
    found = []
    for row in rows:
        values = tuple(row)
        instance = model._init_from_db(**{keys[i]: values[i] for i in own})
        for name, other, where in parts:
            fields = {key: values[i] for i, key in where}
            related_instance = other._init_from_db(**fields) if fields["id"] is not None else None
            object.__setattr__(instance, f"_{name}", related_instance)
        found.append(instance)
    return found


@asynccontextmanager
async def write_transaction() -> AsyncIterator[TransactionalDBClient]:
    """A transaction that will write.

    PostgreSQL: an ordinary transaction (READ COMMITTED); the commands lock the rows they
    depend on (`FOR UPDATE`) before reading anything else.

    SQLite: Tortoise's client holds one connection per process and a lock for the length of
    each transaction, so within a process transactions take turns. Server processes sharing
    the file are serialised by starting with BEGIN IMMEDIATE, which takes the database's write
    lock at once (waiting up to the connection's busy timeout, 5 s): a plain (deferred) BEGIN
    would read first and then fail to write ("database is locked", SQLITE_BUSY_SNAPSHOT)
    whenever another process wrote in between."""
    async with in_transaction() as conn:
        nested = isinstance(getattr(conn, "_parent", None), TransactionalDBClient)  # a savepoint
        if conn.capabilities.dialect == "sqlite" and not nested:
            await conn.execute_query("COMMIT")  # Tortoise's deferred BEGIN, which has read nothing
            await conn.execute_query("BEGIN IMMEDIATE")
        yield conn
