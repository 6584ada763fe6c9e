"""Batched reads for the GraphQL layer: one SQL query per kind of data, whatever the count
(hand-written: see api/sql.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache

from api import sql
from api.models import Contact, ContactAssignment, Enterprise, Product, Quote, QuoteLine
from api.text import search_key


@cache
def _cols(model, alias: str, prefix: str = "") -> str:
    """The columns of a model's table (known once the ORM is set up)."""
    return sql.columns(model, alias, prefix)


def _group(rows: Iterable, key: str, keys: Sequence[int]) -> list[list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return [grouped.get(k, []) for k in keys]


QUOTES = 'SELECT {q}, {e} FROM "quote" q JOIN "enterprise" e ON e."id" = q."client_id" WHERE q."partner_id" = $1 AND {where}'


def quotes_sql(where: str) -> str:
    """Quotes of a partner ($1) with their client (`quote.client`), chosen by `where`."""
    return QUOTES.format(q=_cols(Quote, "q"), e=_cols(Enterprise, "e", "client."), where=where)


def quote_models(rows: list) -> list[Quote]:
    return sql.models(Quote, rows, {"client": Enterprise})


async def quotes(ids: Sequence[int], partner_id: int) -> list[Quote | None]:
    """The partner's quotes by id (None when not theirs), each with its client."""
    rows = await sql.run(quotes_sql('q."id" IN ({ids})'), partner_id, ids=ids)
    found = {q.id: q for q in quote_models(rows)}
    return [found.get(i) for i in ids]


async def enterprises(ids: Sequence[int]) -> list[Enterprise | None]:
    rows = await sql.run(f'SELECT {_cols(Enterprise, "e")} FROM "enterprise" e WHERE e."id" IN ({{ids}})', ids=ids)
    found = {e.id: e for e in sql.models(Enterprise, rows)}
    return [found.get(i) for i in ids]


async def quote_lines(quote_ids: Sequence[int]) -> list[list[QuoteLine]]:
    rows = await sql.run(
        f'SELECT {_cols(QuoteLine, "l")}, {_cols(Product, "p", "product.")} FROM "quote_line" l '
        f'JOIN "product" p ON p."id" = l."product_id" WHERE l."quote_id" IN ({{ids}}) ORDER BY l."id"',
        ids=quote_ids,
    )
    return _group(sql.models(QuoteLine, rows, {"product": Product}), "quote_id", quote_ids)


ASSIGNMENTS = 'SELECT {a}, {c} FROM "contact_assignment" a LEFT JOIN "contact" c ON c."id" = a."contact_id" WHERE a."quote_id" IN ({{ids}}) ORDER BY a."id"'


async def assignments(quote_ids: Sequence[int]) -> list[list[ContactAssignment]]:
    """Each quote's contact list, with the enterprise contacts, in the order they were added."""
    rows = await sql.run(ASSIGNMENTS.format(a=_cols(ContactAssignment, "a"), c=_cols(Contact, "c", "contact.")),
                           ids=quote_ids)
    return _group(sql.models(ContactAssignment, rows, {"contact": Contact}), "quote_id", quote_ids)


def contact_order(row: Contact) -> tuple[str, str, int]:
    """How contacts are listed (and paged): by last name, then first name, ignoring case and
    accents. Sorted here rather than by the database, whose collation and place for NULL
    first names differ between SQLite and PostgreSQL (the page cursors use this key)."""
    return (search_key(row.last_name), search_key(row.first_name), row.id)


async def enterprise_contacts(enterprise_ids: Sequence[int]) -> list[list[Contact]]:
    rows = await sql.run(f'SELECT {_cols(Contact, "c")} FROM "contact" c WHERE c."enterprise_id" IN ({{ids}})',
                           ids=enterprise_ids)
    return _group(sorted(sql.models(Contact, rows), key=contact_order), "enterprise_id", enterprise_ids)
