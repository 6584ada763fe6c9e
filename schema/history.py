"""A quote's contact history as GraphQL shows it (additions/history: `Quote.history`): entries
newest first, by pages of at most 100, each with a sentence in the request's language."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from contacts import history
from contacts.messages import actor_name, contact_name, history_summary
from contacts.models import HistoryKind, QuoteHistoryEntry
from contacts.rules import Function
from schema.errors import ContactFunction, PublicError
from schema.ids import encode_id
from schema.pagination import PageInfo, decode_cursor, encode_cursor

DESCRIPTIONS = {
    HistoryKind.CONTACT_EDITED: "An enterprise contact on the quote was edited in the enterprise module.",
    HistoryKind.CONTACT_ERASED: "The person's data was erased (additions/privacy.graphql).",
}
QuoteHistoryKind = strawberry.enum(
    Enum("QuoteHistoryKind", {k.name: strawberry.enum_value(k.value, description=DESCRIPTIONS.get(k)) for k in HistoryKind}),
    name="QuoteHistoryKind",
)


@strawberry.type(name="QuoteHistoryEntry")
class QuoteHistoryEntryType:
    id: strawberry.ID
    at: datetime
    kind: QuoteHistoryKind
    actor: str = strawberry.field(description="The name of the user who made the change.")
    contact_name: str | None = strawberry.field(description="The contact concerned, named as it was then (the placeholder once the person's data is erased); null for ORDER_PLACED.")
    assignment_id: strawberry.ID | None
    function: ContactFunction | None = strawberry.field(description="For FUNCTION_TICKED and FUNCTION_UNTICKED.")
    summary: str = strawberry.field(description="One sentence in the request's language, e.g. « Alice Martin a coché Suivi de commande pour Éric Dupont ».")


@strawberry.type
class QuoteHistoryEdge:
    cursor: str
    node: QuoteHistoryEntryType


@strawberry.type
class QuoteHistoryConnection:
    edges: list[QuoteHistoryEdge]
    page_info: PageInfo


def entry_view(row: QuoteHistoryEntry, language: str) -> QuoteHistoryEntryType:
    """An entry as read: about an erased person, the placeholder names the contact."""
    function = Function(row.function) if row.function else None
    name = contact_name(row.contact_name, row.erased, language)
    return QuoteHistoryEntryType(
        id=encode_id("QuoteHistoryEntry", row.id),
        at=row.at,
        kind=QuoteHistoryKind[row.kind.name],
        actor=actor_name(row.actor, language),
        contact_name=name,
        assignment_id=encode_id("ContactAssignment", row.assignment_id) if row.assignment_id else None,
        function=function,
        summary=history_summary(row.kind, row.actor, name, function, language),
    )


async def history_page(quote_id: int, first: int | None, after: str | None, language: str) -> QuoteHistoryConnection:
    if first is None:
        first = 50
    if first < 0 or first > history.MAX_PAGE:
        raise PublicError(f"`first` must be between 0 and {history.MAX_PAGE}.")
    start = decode_cursor(after, (int,))
    rows = await history.page(quote_id, first, start[0] if start else None)
    edges = [QuoteHistoryEdge(cursor=encode_cursor(row.id), node=entry_view(row, language)) for row in rows[:first]]
    return QuoteHistoryConnection(
        edges=edges, page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None)
    )
