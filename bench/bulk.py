"""Rows written in bulk, the fast way each database has: COPY on PostgreSQL (asyncpg's binary
copy), the ORM's multi-row INSERTs on SQLite.

The dataset gives each table's rows as tuples in the order of the columns it names; the model's
other columns are filled as the ORM would fill them (its default, called per row when it is a
function; the time of writing for `auto_now` fields; NULL where allowed), so that a column
added to a model with a default does not break the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import asyncpg
from tortoise.models import Model
from tortoise.timezone import now


def _fillers(model: type[Model], columns: Sequence[str]) -> list[tuple[str, object]]:
    """(column, how to fill it) for each of the model's columns that `columns` leaves out."""
    meta = model._meta
    fillers = []
    for name, column in meta.fields_db_projection.items():
        if name in columns:
            continue
        field = meta.fields_map[name]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fillers.append((column, now()))
        elif field.default is not None:
            fillers.append((column, field.default))
        elif field.null:
            fillers.append((column, None))
        else:
            raise ValueError(f"bench: {meta.db_table}.{column} has no default: the dataset must give it")
    return fillers


def _plain(value):
    return value.value if isinstance(value, Enum) else value


async def copy_postgres(conn: asyncpg.Connection, model: type[Model], columns: Sequence[str],
                        rows: Sequence[tuple]) -> None:
    """COPY of `rows` into the model's table, on an open asyncpg connection (in its transaction)."""
    fillers = _fillers(model, columns)
    names = [model._meta.fields_db_projection[name] for name in columns] + [column for column, _ in fillers]
    calls = [f for _, f in fillers if callable(f)]
    if calls:
        records = (tuple(map(_plain, row)) + tuple(f() if callable(f) else f for _, f in fillers) for row in rows)
    else:
        constants = tuple(f for _, f in fillers)
        records = (tuple(map(_plain, row)) + constants for row in rows)
    await conn.copy_records_to_table(model._meta.db_table, records=records, columns=names)


async def insert_orm(model: type[Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """The ORM's bulk insert (multi-row INSERTs), in the caller's transaction."""
    await model.bulk_create([model(**dict(zip(columns, row))) for row in rows], batch_size=1000)
