"""Reads: one statement per kind of data, whatever the number of rows (the GraphQL layer's
DataLoaders batch their keys into these), and the pages of the quote and enterprise lists.
The statements run through `contacts.db` and answer ORM models (the contacts of enterprises:
rows that read as them, `contacts.records`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache, lru_cache

from contacts import db
from contacts.models import (
    Contact,
    ContactAssignment,
    ContactDefault,
    Enterprise,
    EnterpriseKind,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from contacts.text import search_key


@cache
def cols(model, alias: str, prefix: str = "") -> str:
    """The columns of a model's table (known once the ORM is set up)."""
    return db.columns(model, alias, prefix)


def _group(rows: Iterable, key: str, keys: Sequence[int]) -> list[list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return [grouped.get(k, []) for k in keys]


QUOTES = 'SELECT {q}, {e} FROM "quote" q JOIN "enterprise" e ON e."id" = q."client_id" WHERE q."partner_id" = $1 AND {where}'


def quotes_sql(where: str) -> str:
    """Quotes of a partner ($1) with their client (`quote.client`), chosen by `where`."""
    return QUOTES.format(q=cols(Quote, "q"), e=cols(Enterprise, "e", "client."), where=where)


def quote_rows(rows: list) -> list[Quote]:
    return db.rows_as(Quote, rows, {"client": Enterprise})


async def quotes(ids: Sequence[int], partner_id: int) -> list[Quote | None]:
    """The partner's quotes by id (None when not theirs), each with its client."""
    rows = await db.run(quotes_sql('q."id" IN ({ids})'), partner_id, ids=ids)
    found = {q.id: q for q in quote_rows(rows)}
    return [found.get(i) for i in ids]


async def quotes_page(partner_id: int, *, status: QuoteStatus | None, after: tuple[datetime, int] | None,
                      limit: int) -> list[Quote]:
    """The partner's quotes, newest first, from after the cursor (created_at, id)."""
    where, values = ["TRUE"], []
    if status is not None:
        values.append(status.value)
        where.append(f'q."status" = ${len(values) + 1}')
    if after is not None:
        values += [after[0], after[1]]
        c, i = len(values), len(values) + 1
        where.append(f'(q."created_at" < ${c} OR (q."created_at" = ${c} AND q."id" < ${i}))')
    values.append(limit)
    sql = quotes_sql(" AND ".join(where)) + f' ORDER BY q."created_at" DESC, q."id" DESC LIMIT ${len(values) + 1}'
    return quote_rows(await db.run(sql, partner_id, *values))


async def enterprises(ids: Sequence[int]) -> list[Enterprise | None]:
    rows = await db.run(f'SELECT {cols(Enterprise, "e")} FROM "enterprise" e WHERE e."id" IN ({{ids}})', ids=ids)
    found = {e.id: e for e in db.rows_as(Enterprise, rows)}
    return [found.get(i) for i in ids]


def _like(text: str) -> str:
    """A LIKE pattern that matches `text` anywhere, its wildcards taken as they are."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def enterprises_page(partner_id: int, *, kind: EnterpriseKind | None, search: str | None,
                           after: tuple[str, int] | None, limit: int) -> list[Enterprise]:
    """The partner's company and its clients, by name, from after the cursor (name, id);
    `search` matches part of the name, ignoring case and accents."""
    where = [f'(e."id" = $1 OR (e."partner_id" = $1 AND e."kind" = \'{EnterpriseKind.CLIENT.value}\'))']
    values: list = [partner_id]
    if kind is not None:
        values.append(kind.value)
        where.append(f'e."kind" = ${len(values)}')
    if search:
        values.append(_like(search_key(search)))
        where.append(f'e."search_name" LIKE ${len(values)} ESCAPE \'\\\'')
    if after is not None:
        values += [after[0], after[1]]
        n, i = len(values) - 1, len(values)
        where.append(f'(e."name" > ${n} OR (e."name" = ${n} AND e."id" > ${i}))')
    values.append(limit)
    sql = (f'SELECT {cols(Enterprise, "e")} FROM "enterprise" e WHERE {" AND ".join(where)} '
           f'ORDER BY e."name", e."id" LIMIT ${len(values)}')
    return db.rows_as(Enterprise, await db.run(sql, *values))


async def quote_lines(quote_ids: Sequence[int]) -> list[list[QuoteLine]]:
    """Each quote's lines, with their products."""
    rows = await db.run(
        f'SELECT {cols(QuoteLine, "l")}, {cols(Product, "p", "product.")} FROM "quote_line" l '
        f'JOIN "product" p ON p."id" = l."product_id" WHERE l."quote_id" IN ({{ids}}) ORDER BY l."id"',
        ids=quote_ids,
    )
    return _group(db.rows_as(QuoteLine, rows, {"product": Product}), "quote_id", quote_ids)


ASSIGNMENTS = ('SELECT {a}, {c} FROM "contact_assignment" a LEFT JOIN "contact" c ON c."id" = a."contact_id" '
               'WHERE a."quote_id" IN ({{ids}}) ORDER BY a."id"')


async def assignments(quote_ids: Sequence[int]) -> list[list[ContactAssignment]]:
    """Each quote's contact list, with the enterprise contacts, in the order they were added."""
    rows = await db.run(ASSIGNMENTS.format(a=cols(ContactAssignment, "a"), c=cols(Contact, "c", "contact.")),
                        ids=quote_ids)
    return _group(db.rows_as(ContactAssignment, rows, {"contact": Contact}), "quote_id", quote_ids)


@lru_cache(maxsize=16384)
def _name_key(name: str | None) -> str:
    """A stored name's search key (names are at most 100 characters: the cache stays small)."""
    return search_key(name)


def contact_order(row: Contact) -> tuple[str, str, int]:
    """How contacts are listed (and paged): by last name, then first name, ignoring case and
    accents. Sorted here rather than by the database, whose collation and place for NULL
    first names differ between SQLite and PostgreSQL (the page cursors use this key)."""
    return (_name_key(row.last_name), _name_key(row.first_name), row.id)


async def enterprise_contacts(enterprise_ids: Sequence[int]) -> list[list[Contact]]:
    """Each enterprise's contacts, in `contact_order` (read-only: `db.run_as`)."""
    rows = await db.run_as(Contact, "c", 'FROM "contact" c WHERE c."enterprise_id" IN ({ids})', ids=enterprise_ids)
    return _group(sorted(rows, key=contact_order), "enterprise_id", enterprise_ids)


DEFAULTS = ('SELECT {d}, {c} FROM "contact_default" d JOIN "contact" c ON c."id" = d."contact_id" '
            'WHERE d."enterprise_id" IN ({{ids}}) ORDER BY d."position", d."id"')


async def contact_defaults(enterprise_ids: Sequence[int]) -> list[list[ContactDefault]]:
    """Each enterprise's default contacts, with the contacts as they are now, in the order set."""
    rows = await db.run(DEFAULTS.format(d=cols(ContactDefault, "d"), c=cols(Contact, "c", "contact.")), ids=enterprise_ids)
    return _group(db.rows_as(ContactDefault, rows, {"contact": Contact}), "enterprise_id", enterprise_ids)


# The quotes whose lists a client's drafts may take, best first: ordered ones by latest order,
# then drafts by latest change; only those that hold at least one contact not erased.
EARLIER_ORDER = (f'CASE WHEN q."status" = \'{QuoteStatus.ORDERED.value}\' THEN 0 ELSE 1 END, '
                 'q."ordered_at" DESC, q."updated_at" DESC, q."id" DESC')
EARLIER = ('SELECT * FROM (SELECT {q}, {e}, ROW_NUMBER() OVER (PARTITION BY q."client_id" ORDER BY {order}) AS "rank" '
           'FROM "quote" q JOIN "enterprise" e ON e."id" = q."client_id" '
           'WHERE q."partner_id" = $1 AND q."client_id" IN ({{ids}}) '
           'AND EXISTS (SELECT 1 FROM "contact_assignment" a WHERE a."quote_id" = q."id" AND NOT a."erased")) ranked '
           'WHERE ranked."rank" <= $2 ORDER BY ranked."client_id", ranked."rank"')


async def earlier_quotes(client_ids: Sequence[int], partner_id: int, per_client: int) -> list[list[Quote]]:
    """Each client's quotes that hold at least one contact not erased, best first (see EARLIER_ORDER), at
    most `per_client` of them, each with its client: one statement for every client asked."""
    sql = EARLIER.format(q=cols(Quote, "q"), e=cols(Enterprise, "e", "client."), order=EARLIER_ORDER)
    rows = await db.run(sql, partner_id, per_client, ids=client_ids)
    return _group(quote_rows(rows), "client_id", client_ids)
