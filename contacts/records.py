"""PostgreSQL rows read as the ORM's models, with no model made per row.

`db.rows_as` makes a model of each row as the ORM does: a dict of sixteen entries for a contact,
about 12,000 machine instructions a row, measured with callgrind. A step-2 read lists twenty-odd
contacts. asyncpg makes its rows in C anyway, and makes them of a class of ours when asked
(`record_class`): `record_of(model)` is such a class (`db.run_as` reads through it), whose
rows have the model's attributes (one per field, read by the column's position in
`columns(model, alias)`, the order of every SELECT of the model's columns). Only for a model
whose columns all come from PostgreSQL as the model keeps them (no enum, no JSON; its moments
in UTC), and for rows nothing writes to: the commands change the models they read, and keep
reading models.

A moment (timestamptz) is the costliest column to read: asyncpg makes an aware datetime of
each, about 8,000 instructions (twenty-three contacts' rows: 589,000 with their two moments,
215,000 without). Such rows select it as whole microseconds since 1970, an integer, and make
the datetime only when the attribute is read: the same value as asyncpg's (UTC, aware). A
contact's `created_at` is never shown, its `updated_at` only when asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from operator import itemgetter
from typing import Any

import asyncpg
from tortoise.fields import DatetimeField
from tortoise.models import Model
from tortoise.timezone import get_default_timezone, get_use_tz

_records: dict[tuple, type[asyncpg.Record] | None] = {}


def record_of(model: type[Model]) -> type[asyncpg.Record] | None:
    """The row class of `model`'s columns (in `db.columns` order) on PostgreSQL, or None when a
    column needs converting (the model's own rows are then made by `db.rows_as`)."""
    meta = model._meta
    # Keyed by the fields PostgreSQL gives as they are: Tortoise sorts them again when its apps
    # are set up for another database (the tests run both).
    key = (model, tuple(meta.db_native_fields), tuple(meta.db_default_fields))
    if key not in _records:
        _records[key] = _record_class(model) if _as_they_come(model) else None
    return _records[key]


def _as_they_come(model: type[Model]) -> bool:
    meta = model._meta
    if meta.db_default_fields:  # converted from what the driver gives (an enum's value, say)
        return False
    return all(isinstance(field, DatetimeField) and moments_in_utc() for _, _, field in meta.db_complex_fields)


def moments_in_utc() -> bool:
    """Whether the ORM keeps moments in UTC, as PostgreSQL's timestamptz come (aware, in UTC)."""
    return get_use_tz() and _is_utc(get_default_timezone())


def _is_utc(zone) -> bool:
    return datetime(2000, 1, 1, tzinfo=timezone.utc).astimezone(zone).utcoffset() == timedelta(0) and \
        datetime(2000, 7, 1, tzinfo=timezone.utc).astimezone(zone).utcoffset() == timedelta(0)


def columns(model: type[Model], alias: str) -> str:
    """The columns of `model`'s table as `record_of(model)` reads them: each as it is, but its
    moments, as whole microseconds since 1970."""
    return _columns(model, alias, tuple(model._meta.fields_db_projection))


@lru_cache(maxsize=64)
def _columns(model: type[Model], alias: str, fields: tuple[str, ...]) -> str:
    # `fields` keys the cache: the ORM orders them again when set up for another database.
    return ", ".join(
        f'(EXTRACT(EPOCH FROM {alias}."{column}") * 1000000)::int8 AS "{column}"' if _is_moment(model, name)
        else f'{alias}."{column}" AS "{column}"'
        for name, column in model._meta.fields_db_projection.items()
    )


def _is_moment(model: type[Model], name: str) -> bool:
    return isinstance(model._meta.fields_map[name], DatetimeField)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _moment_at(position: int) -> property:
    read = itemgetter(position)

    def moment(row: Any) -> datetime | None:
        value = read(row)
        return None if value is None else _EPOCH + timedelta(microseconds=value)

    return property(moment)


def _record_class(model: type[Model]) -> type[asyncpg.Record]:
    attributes: dict = {"__slots__": (), "__doc__": f"A row of {model.__name__}'s columns, read as the model."}
    for position, name in enumerate(model._meta.fields_db_projection):
        attributes[name] = _moment_at(position) if _is_moment(model, name) else property(itemgetter(position))
    return type(f"{model.__name__}Row", (asyncpg.Record,), attributes)
