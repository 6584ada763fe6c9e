"""Hand-written SQL for the reads on the hot paths, on both databases, answered as ORM models.

Tortoise builds every query anew (pypika, then a copy per filter): about 0.15 ms a statement
here, on reads that every step-2 request and every change send. Their text is written once
instead, and their rows become models exactly as Tortoise's own executor makes them
(`Model._init_from_db`, a related object in `_<field>`), so callers see no difference.

The text uses PostgreSQL's `$1, $2...`; on SQLite they become `?1, ?2...` and `FOR UPDATE [OF
alias]` is dropped (its writers take turns: see `quote_contacts.write_transaction`). `{ids}` stands for
a list of parameters, as many as the values given for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tortoise import connections
from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\$(\d+)")
_FOR_UPDATE = re.compile(r" FOR UPDATE( OF \w+)?")


def columns(model: type[Model], alias: str, prefix: str = "") -> str:
    """Every column of `model`'s table, as `alias."col" AS "<prefix>col"`."""
    return ", ".join(f'{alias}."{c}" AS "{prefix}{c}"' for c in model._meta.fields_db_projection.values())


@lru_cache(maxsize=512)
def _text(sql: str, dialect: str, count: int) -> str:
    if "{ids}" in sql:
        first = len(_PLACEHOLDER.findall(sql)) + 1
        sql = sql.replace("{ids}", ", ".join(f"${i}" for i in range(first, first + count)))
    if dialect != "postgres":
        sql = _PLACEHOLDER.sub(r"?\1", _FOR_UPDATE.sub("", sql))
    return sql


async def run(sql: str, *values: Any, ids: Sequence[Any] = ()) -> list:
    """Runs one statement on the current connection (the transaction's, inside one); its rows."""
    connection = connections.get("default")
    _, rows = await connection.execute_query(_text(sql, connection.capabilities.dialect, len(ids)), [*values, *ids])
    return rows


def models(model: type[Model], rows: list, related: dict[str, type[Model]] | None = None) -> list:
    """`rows` as instances of `model`; with `related` ({field: model}), each row also holds
    that model's columns under the prefix "<field>." (None when they are all null)."""
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
