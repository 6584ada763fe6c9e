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

One idea, the one way to the database, kept in one file (some 550 lines): the statements'
text, running them on the request's or the transaction's connection, the connections lost and
given back, and the rows made into models.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import asyncpg
from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError
from tortoise.fields import DatetimeField
from tortoise.migrations.api import migrate as run_migrations
from tortoise.models import Model
from tortoise.transactions import in_transaction

from contacts import records
from contacts.records import moments_in_utc, record_of

# Statements are logged (at DEBUG) where the ORM's client logs those it sends, in its words:
# one logger shows every statement, whichever way it went.
_log = logging.getLogger("tortoise.db_client")
_PLACEHOLDER = re.compile(r"\$(\d+)")
_FOR_UPDATE = re.compile(r" FOR UPDATE( OF \w+)?( SKIP LOCKED)?")


def current_client():
    """The ORM's client of the "default" connection in this context (its transaction's inside
    one). The ORM's `connections.get` goes through a proxy that imports its context module at
    each call: 1.6 µs against 0.6 µs here, and every statement asks."""
    return get_connection("default")


_transactional: dict[type, bool] = {}


def is_transaction_client(client) -> bool:
    """Whether `client` is one of the ORM's transactions (an ABC, whose `isinstance` took
    0.5 µs here, asked twice a statement: the answer is kept by class)."""
    kind = type(client)
    known = _transactional.get(kind)
    if known is None:
        known = _transactional[kind] = issubclass(kind, TransactionalDBClient)
    return known


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

    @staticmethod
    def pool_usage() -> tuple[int, int]:
        """The pool's connections now (PostgreSQL): open, and taken by a request or a
        transaction. SQLite has one connection and no pool: (0, 0)."""
        try:
            pool = getattr(current_client(), "_pool", None)
        except Exception:  # noqa: BLE001 - not open (yet, or any more)
            pool = None
        if pool is None:
            return 0, 0
        # asyncpg says how many are open and idle; a connection taken and then lost is neither,
        # and still taken until given back: its holder says so.
        return pool.get_size(), sum(not holder.is_idle() for holder in pool._holders)

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


async def run(sql: str, *values: Any, ids: Sequence[Any] = (), record_class: type | None = None) -> list:
    """Runs one statement on the current connection (the transaction's inside one, the
    request's within a `session`); its rows (of `record_class` on PostgreSQL, when given: see
    `contacts.records`). A connection found lost or broken (the server
    terminated it, the network dropped it) is never used again: the pool's connections are all
    replaced (see `connection_lost`), and a read outside a transaction is tried once more, on a
    new connection."""
    connection = current_client()
    dialect = connection.capabilities.dialect
    text = _text(sql, dialect, len(ids))
    params = [*values, *ids]
    for attempt in (1, 2):
        try:
            if dialect == "postgres":
                return await _fetch(connection, text, params, record_class)
            _, rows = await connection.execute_query(text, params)
            return rows
        except Exception as error:
            if not connection_lost(error):
                raise
            await _replace_connections(connection)
            if attempt == 2 or _in_transaction(connection) or not sql.lstrip().startswith("SELECT"):
                raise
    raise AssertionError("unreachable")


def _in_transaction(client) -> bool:
    """Whether this task's statements go into a transaction (Tortoise's, or one on the
    request's held connection)."""
    if is_transaction_client(client):
        return True
    held = _held.get()
    return held is not None and held.writer is not None


async def _fetch(client, text: str, params: list, record_class: type | None = None) -> list:
    """One statement through asyncpg itself, with the ORM's errors (IntegrityError...) as its
    own client raises them. The ORM's `execute_query` costs about 40 µs more a statement (a
    decorator, a wrapper, a pool acquire, an upper-cased copy of the text): the service sends
    a dozen statements for a change, so it goes straight to the connection."""
    if _log.isEnabledFor(logging.DEBUG):
        _log.debug("%s: %s", text, params)
    try:
        if is_transaction_client(client):
            async with client._lock:
                return await client._connection.fetch(text, *params, record_class=record_class)
        held = _held.get()
        if held is not None and held.client is client and not held.closed:
            return await held.fetch(text, params, record_class)
        async with client.acquire_connection() as connection:
            return await connection.fetch(text, *params, record_class=record_class)
    except asyncpg.IntegrityConstraintViolationError as error:
        raise IntegrityError(error) from error
    except (asyncpg.SyntaxOrAccessError, asyncpg.exceptions.DataError) as error:
        raise OperationalError(error) from error
    except asyncpg.InvalidTransactionStateError as error:
        raise TransactionManagementError(error) from error


class _Held:
    """One pooled PostgreSQL connection lent to one request for its statements, its
    transaction's included: taken at the first, given back when the request is answered (or
    while it waits on its client: `give_back`)."""

    __slots__ = ("client", "connection", "lock", "closed", "writer")

    def __init__(self, client) -> None:
        self.client = client
        self.connection = None
        self.lock = asyncio.Lock()  # the request's loaders may read at the same time
        self.closed = False
        self.writer: asyncio.Task | None = None  # the task whose transaction is open on it

    async def _taken(self):
        if self.connection is None:
            if self.writer is not None:  # lost inside the transaction: what it wrote went with it
                raise asyncpg.InterfaceError("connection is closed: the transaction's connection was lost")
            if self.client._pool is None:  # the pool, made on first use, with the ORM's own guard
                await self.client.acquire_connection().ensure_connection()
            self.connection = await self.client._pool.acquire()
        return self.connection

    async def fetch(self, text: str, params: list, record_class: type | None = None) -> list:
        async with self.lock:
            connection = await self._taken()
            try:
                return await connection.fetch(text, *params, record_class=record_class)
            except Exception as error:
                if connection_lost(error):
                    await self._forget()
                raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction on the held connection (taken when none is held): the statements of
        the task that opened it go there, and the connection stays held once it is committed,
        for the request's statements after it (one pool round trip for the whole change). One
        opened inside it is a savepoint."""
        async with self.lock:
            connection = await self._taken()
        outer, self.writer = self.writer, asyncio.current_task()
        try:
            async with connection.transaction():
                yield
        finally:
            self.writer = outer

    async def give_back(self) -> None:
        async with self.lock:
            connection, self.connection = self.connection, None
            await self._release(connection)

    async def _forget(self) -> None:
        """The held connection is broken: dropped (under the lock, so that no other statement
        of the request is sent on it), the next statement takes another."""
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.terminate()
            except Exception:  # noqa: BLE001 - closed already, and detached by the pool
                pass
        await self._release(connection)

    async def _release(self, connection) -> None:
        """Back to the pool; a connection the server closed meanwhile went back by itself."""
        if connection is None:
            return
        try:
            await self.client._pool.release(connection)
        except (asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError):
            # "called on a free connection holder", "released back to the pool": the server
            # closed it, and the pool took it back then. Nothing is left to give back.
            pass

    async def close(self) -> None:
        self.closed = True
        await self.give_back()


_held: ContextVar[_Held | None] = ContextVar("held_connection", default=None)


@asynccontextmanager
async def session() -> AsyncIterator[_Held | _NoHold]:
    """One request's statements on one connection (PostgreSQL): a pool's round trip for the
    request, not for each statement. Yields the hold: `give_back()` returns the connection
    until the next statement (while the request waits on its client), `close()` for good
    (once the answer is ready, before it is sent); it is given back on leaving anyway."""
    client = current_client()
    if client.capabilities.dialect != "postgres" or is_transaction_client(client) \
            or _held.get() is not None:
        yield _NO_HOLD
        return
    async with _holding(client) as held:
        yield held


@asynccontextmanager
async def _holding(client) -> AsyncIterator[_Held]:
    held = _Held(client)
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)
        await held.close()


class _NoHold:
    """SQLite (one connection per process), or a session within another: nothing to hold."""

    async def give_back(self) -> None:
        return None

    async def close(self) -> None:
        return None


_NO_HOLD = _NoHold()


# A connection asyncpg says is closed or half-way through another operation cannot be used again.
# A connection held by a request (`session`) that the server closed meanwhile was detached by
# asyncpg's pool: "released back to the pool".
_BROKEN = ("connection is closed", "another operation is in progress", "cannot switch to state",
           "connection has been released back to the pool")


def connection_lost(error: BaseException | None) -> bool:
    """Whether `error`, or what caused it, is the database connection lost or left unusable (a
    503 for the client, who may try again; not a bug), rather than a statement refused."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
                              ConnectionError, asyncpg.exceptions.InternalClientError)):
            return True
        if isinstance(error, asyncpg.InterfaceError) and any(text in str(error) for text in _BROKEN):
            return True
        error = error.__cause__ or error.__context__
    return False


async def _replace_connections(connection) -> None:
    """Every connection of the pool is closed when next handed back or taken, and replaced: the
    broken one among them (Tortoise does not say which) is never used again."""
    client = connection
    while is_transaction_client(client) and getattr(client, "_parent", None) is not None:
        client = client._parent
    expire = getattr(client, "_expire_connections", None)
    if expire is not None:
        try:
            await expire()
        except Exception:  # noqa: BLE001 - the pool is being closed or rebuilt: nothing to expire
            pass


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
    return current_client().capabilities.dialect


def _builder(model: type[Model], position: dict[str, int]) -> Callable[[Any], Model]:
    """A function that makes an instance of `model` from a row (its columns read by position:
    the column of field `key` at `position[key]`) as Tortoise's `Model._init_from_db` does (the
    same conversions, the same attributes), but with the work of finding each column done once,
    here."""
    meta = model._meta
    plan = (
        [(position[key], attr, None) for key, attr, _ in meta.db_native_fields]
        + [(position[key], attr, field.field_type) for key, attr, field in meta.db_default_fields]
    )
    complex_fields = [(position[key], attr, field) for key, attr, field in meta.db_complex_fields]
    generated_pk = meta.db_pk_column not in meta.generated_db_fields
    # The function's text: one dict display, no loop nor call per column but the conversions.
    names: dict[str, Any] = {"new": model.__new__, "model": model, "generated_pk": generated_pk, "UTC": timezone.utc}
    entries = []
    for n, (i, attr, convert) in enumerate(plan):
        if convert is None:
            entries.append(f"{attr!r}: v[{i}]")
        else:
            names[f"c{n}"] = convert
            entries.append(f"{attr!r}: None if v[{i}] is None else c{n}(v[{i}])")
    for n, (i, attr, field) in enumerate(complex_fields, start=len(plan)):
        names[f"c{n}"] = field.to_python_value
        if isinstance(field, DatetimeField) and moments_in_utc():
            # A moment in UTC (asyncpg's timestamptz) is kept as it is: the ORM would only make
            # it the same moment in its own UTC object.
            entries.append(f"{attr!r}: v[{i}] if v[{i}].__class__ is datetime and v[{i}].tzinfo is UTC else c{n}(v[{i}])")
            names["datetime"] = datetime
        else:
            entries.append(f"{attr!r}: c{n}(v[{i}])")
    text = ("def build(v):\n    instance = new(model)\n    instance.__dict__.update({'_partial': False, "
            "'_saved_in_db': True, '_custom_generated_pk': generated_pk, '_await_when_save': {}, "
            + ", ".join(entries) + "})\n    return instance")
    exec(compile(text, f"<rows of {model.__name__}>", "exec"), names)
    return names["build"]


_builders: dict[tuple, Callable[[Any], Model]] = {}


def _built(model: type[Model], keys: tuple[str, ...], prefix: str = "") -> Callable[[Any], Model]:
    """The builder of `model` from rows whose columns are `keys`: its own columns, or with a
    `prefix` those named "<prefix><field>"."""
    # Keyed by which fields the database gives as they are: Tortoise sorts the fields again,
    # in the same lists, when its apps are set up for another database (in the tests; SQLite
    # gives booleans as integers, PostgreSQL as booleans), and the conversions follow.
    key = (model, keys, prefix, tuple(model._meta.db_native_fields))
    builder = _builders.get(key)
    if builder is None:
        if len(_builders) > 256:
            _builders.clear()
        if prefix:
            position = {k[len(prefix):]: i for i, k in enumerate(keys) if k.startswith(prefix)}
        else:
            position = {k: i for i, k in enumerate(keys) if "." not in k}
        builder = _builders[key] = _builder(model, position)
    return builder


async def run_as(model: type[Model], alias: str, source: str, *values: Any, ids: Sequence[Any] = ()) -> list:
    """`SELECT <model's columns> <source>` (`source`: FROM `model`'s table as `alias`...), its
    rows read as `model`: asyncpg's own rows on PostgreSQL when they need no converting
    (read-only: `contacts.records`, whose moments are selected as numbers), else models
    (`rows_as`)."""
    record = record_of(model) if dialect() == "postgres" else None
    if record is None:
        return rows_as(model, await run(f"SELECT {columns(model, alias)} {source}", *values, ids=ids))
    return await run(f"SELECT {records.columns(model, alias)} {source}", *values, ids=ids, record_class=record)


def rows_as(model: type[Model], rows: list, related: dict[str, type[Model]] | None = None) -> list:
    """`rows` as instances of `model`, as Tortoise's own executor makes them; with `related`
    ({field: model}), each row also holds that model's columns under the prefix "<field>."
    (None when they are all null), as the related object `<field>`."""
    if not rows:
        return []
    keys = tuple(rows[0].keys())
    build = _built(model, keys)
    if not related:
        return [build(row) for row in rows]
    parts = [(f"_{name}", _built(other, keys, name + "."), keys.index(name + ".id")) for name, other in related.items()]
    found = []
    for row in rows:
        instance = build(row)
        for attr, build_related, id_at in parts:
            instance.__dict__[attr] = build_related(row) if row[id_at] is not None else None
        found.append(instance)
    return found


class _Transaction:
    """Tortoise's `in_transaction()`, which takes a connection from the pool (SQLite: the
    process's lock on its one connection) and then sends BEGIN: when BEGIN fails (the connection
    lost, the request cancelled), it gives back neither. Given back here: otherwise each loss of
    the database during a BEGIN keeps a pool connection for good (the pool shrinks, and a SIGTERM
    waits 10 s on it), and on SQLite every later change would wait on the lock forever."""

    __slots__ = ("context",)

    def __init__(self) -> None:
        self.context = in_transaction()

    async def __aenter__(self) -> TransactionalDBClient:
        try:
            return await self.context.__aenter__()
        except BaseException as error:
            if hasattr(self.context, "token"):  # taken (its token is set just before BEGIN)
                with suppress(Exception):  # the ROLLBACK fails too on a lost connection
                    await self.context.__aexit__(type(error), error, error.__traceback__)
            raise

    async def __aexit__(self, *exc) -> bool | None:
        return await self.context.__aexit__(*exc)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[object]:
    """A transaction that will write.

    PostgreSQL: an ordinary transaction (READ COMMITTED); the commands lock the rows they
    depend on (`FOR UPDATE`) before reading anything else. It runs on the request's connection
    (`session`), taken if none is held, and kept once committed for the reads of the answer: a
    change takes one connection from the pool after its authentication, as the floor of
    `make bench` does, not one for the transaction and another for the answer. A connection
    lost inside it fails every later statement of the transaction (503), none is sent again.

    SQLite: Tortoise's client holds one connection per process and a lock for the length of
    each transaction, so within a process transactions take turns. Server processes sharing
    the file are serialised by starting with BEGIN IMMEDIATE, which takes the database's write
    lock at once (waiting up to the connection's busy timeout, 5 s): a plain (deferred) BEGIN
    would read first and then fail to write ("database is locked", SQLITE_BUSY_SNAPSHOT)
    whenever another process wrote in between."""
    client = current_client()
    if client.capabilities.dialect == "postgres" and not is_transaction_client(client):
        held = _held.get()
        if held is None or held.client is not client or held.closed or held.writer not in (None, asyncio.current_task()):
            # Outside a request (the retention period, scripts), or beside another task's
            # transaction: a connection of its own, given back once committed.
            async with _holding(client) as held, held.transaction():
                yield held
            return
        async with held.transaction():
            yield held
        return
    async with _Transaction() as conn:
        nested = is_transaction_client(getattr(conn, "_parent", None))  # a savepoint
        if conn.capabilities.dialect == "sqlite" and not nested:
            await conn.execute_query("COMMIT")  # Tortoise's deferred BEGIN, which has read nothing
            await conn.execute_query("BEGIN IMMEDIATE")
        yield conn
