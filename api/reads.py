"""Batched reads for the GraphQL layer: one SQL query per kind of data, whatever the count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from api.models import Contact, ContactAssignment, Enterprise, Quote, QuoteLine


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


async def enterprise_contacts(enterprise_ids: Sequence[int]) -> list[list[Contact]]:
    rows = await Contact.filter(enterprise_id__in=enterprise_ids).order_by("last_name", "first_name", "id")
    return _group(rows, "enterprise_id", enterprise_ids)
