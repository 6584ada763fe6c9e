"""Batched reads for the GraphQL layer: one SQL query per kind of data, whatever the count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from api.models import Contact, ContactAssignment, Enterprise, Quote, QuoteLine
from api.text import search_key


def _group(rows: Iterable, key: str, keys: Sequence[int]) -> list[list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return [grouped.get(k, []) for k in keys]


async def quotes(ids: Sequence[int], partner_id: int) -> list[Quote | None]:
    found = {q.id: q for q in await Quote.filter(id__in=ids, partner_id=partner_id)}
    return [found.get(i) for i in ids]


async def enterprises(ids: Sequence[int]) -> list[Enterprise | None]:
    found = {e.id: e for e in await Enterprise.filter(id__in=ids)}
    return [found.get(i) for i in ids]


async def quote_lines(quote_ids: Sequence[int]) -> list[list[QuoteLine]]:
    rows = await QuoteLine.filter(quote_id__in=quote_ids).select_related("product").order_by("id")
    return _group(rows, "quote_id", quote_ids)


async def assignments(quote_ids: Sequence[int]) -> list[list[ContactAssignment]]:
    rows = await ContactAssignment.filter(quote_id__in=quote_ids).select_related("contact").order_by("id")
    return _group(rows, "quote_id", quote_ids)


def contact_order(row: Contact) -> tuple[str, str, int]:
    """How contacts are listed (and paged): by last name, then first name, ignoring case and
    accents. Sorted here rather than by the database, whose collation and place for NULL
    first names differ between SQLite and PostgreSQL (the page cursors use this key)."""
    return (search_key(row.last_name), search_key(row.first_name), row.id)


async def enterprise_contacts(enterprise_ids: Sequence[int]) -> list[list[Contact]]:
    rows = sorted(await Contact.filter(enterprise_id__in=enterprise_ids), key=contact_order)
    return _group(rows, "enterprise_id", enterprise_ids)
