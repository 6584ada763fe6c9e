"""The Subscription root: live updates of a quote's step-2 page.

A subscription registers with the event bus first, then checks that the viewer may see the
quote, so that no change falls between the two. Each event re-reads the quote after the change
was committed and resolves it for this subscriber: its viewer (permissions), its language and
loaders of its own (the operation's context is a copy of the connection's, see
`schema.Schema.stream`, and its loaders are dropped before each event).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from contacts.events import EventKind
from contacts.messages import actor_name
from contacts.visibility import visible_quote
from schema.context import Context
from schema.ids import decode_id, encode_id
from schema.quote import QuoteType, quote_view

DESCRIPTIONS = {
    EventKind.CONTACT_ADDED: "A contact was added to the quote.",
    EventKind.CONTACT_REMOVED: "A contact was taken off the quote.",
    EventKind.FUNCTIONS_CHANGED: "Functions were ticked or unticked, including ON_SITE or DELIVERY moving to another contact.",
    EventKind.CONTACTS_EDITED: "An enterprise contact on the quote or in its drop-down menus was created or edited, "
    "or the client's default contacts changed (the quote's suggestions changed; its version did not).",
    EventKind.ORDER_PLACED: "The order was placed: the quote is ORDERED.",
    EventKind.SUGGESTION_APPLIED: "A suggestion was applied: several contacts or functions changed in one change.",
    EventKind.RESYNC: "Not a change: the server's link to the other server processes came back and events may have "
    "been missed meanwhile, so here is the quote as it stands. actor is empty.",
}
# The domain's event kinds, each with what it means for a screen (a kind without its text
# fails here, at import).
QuoteContactsEventKind = strawberry.enum(
    Enum("QuoteContactsEventKind", {k.name: strawberry.enum_value(k.value, description=DESCRIPTIONS[k]) for k in EventKind}),
    name="QuoteContactsEventKind",
)


@strawberry.type
class QuoteContactsEvent:
    kind: QuoteContactsEventKind
    quote: QuoteType = strawberry.field(description="The quote as it stands after the change.")
    assignment_id: strawberry.ID | None = strawberry.field(
        description="The assignment added, removed or re-ticked, when there is one."
    )
    actor: str = strawberry.field(
        description="The name of the user who made the change; « Durée de conservation » (\"Retention period\") for "
        "the erasure of contacts kept past the retention period, in the subscriber's language."
    )


def _not_found(info: Info) -> GraphQLError:
    return GraphQLError(
        "No quote with this id is visible to you.", path=info.path.as_list(), extensions={"code": "NOT_FOUND"}
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every change that alters what a quote's step-2 page shows, made by any user on any server "
        "process. Needs the same rights as quote(id): otherwise one result with a NOT_FOUND error, then complete."
    )
    async def quote_contacts_changed(
        self, info: Info[Context, None], quote_id: strawberry.ID
    ) -> AsyncGenerator[QuoteContactsEvent, None]:
        context = info.context
        pk = decode_id("Quote", quote_id)
        if pk is None:
            raise _not_found(info)
        async with context.bus.subscribe(pk) as queue:
            if await visible_quote(context.viewer, pk) is None:
                raise _not_found(info)
            while True:
                event = await queue.get()
                context.forget_loaded()  # this event's data, not what an earlier one loaded
                row = await visible_quote(context.viewer, pk)
                if row is None:
                    raise _not_found(info)
                context.loaders.known_quote(row)
                yield QuoteContactsEvent(
                    kind=QuoteContactsEventKind[event.kind.name],
                    quote=await quote_view(info, row, "quote"),
                    assignment_id=(
                        encode_id("ContactAssignment", event.assignment_id)
                        if event.assignment_id
                        else None
                    ),
                    actor=actor_name(event.actor, context.language),
                )
