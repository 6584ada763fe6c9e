"""The GraphQL types of suggestions: ready-made contact lists for a draft (`Quote.contactSuggestions`),
read in a fixed number of statements through the operation's loaders; what each would do is the
domain's (`contacts.suggestions`, `contacts.suggestion_rules`)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from contacts import models, rules
from contacts.auth import Permission
from contacts.messages import suggestion_label
from contacts.suggestions import MAX_SUGGESTIONS, SourceKind, Suggestion, suggestions
from schema.context import Context
from schema.errors import ContactFunction, PublicError, UserError, user_errors
from schema.types import ContactType, contact_view

if TYPE_CHECKING:
    from schema.quote import QuoteType

SOURCES = {
    SourceKind.CLIENT_DEFAULTS: "The client's default contacts (Enterprise.contactDefaults).",
    SourceKind.EARLIER_QUOTE: "The contact list of another quote of the same client.",
}
ContactSuggestionSource = strawberry.enum(
    Enum("ContactSuggestionSource", {k.name: strawberry.enum_value(k.value, description=SOURCES[k]) for k in SourceKind}),
    name="ContactSuggestionSource",
)


@strawberry.type
class SuggestionEntry:
    contact: ContactType | None = strawberry.field(
        description="The enterprise contact as it is now; null for an ad-hoc contact of an earlier quote (applied as a new ad-hoc contact)."
    )
    last_name: str
    first_name: str | None
    functions: list[ContactFunction] = strawberry.field(description="The functions it has in the source.")
    problems: list[UserError] = strawberry.field(
        description="Why the contact, or some of its functions, would not be applied now. Empty: it would be applied whole."
    )


@strawberry.type
class ContactSuggestion:
    source: ContactSuggestionSource
    from_quote: Annotated["QuoteType", strawberry.lazy("schema.quote")] | None = strawberry.field(
        description="For EARLIER_QUOTE, the quote the list comes from; null for CLIENT_DEFAULTS."
    )
    label: str = strawberry.field(
        description="What the frontend shows, in the request's language, e.g. « Contacts de la commande DV-2026-0042 du 12/11/2026 »."
    )
    entries: list[SuggestionEntry] = strawberry.field(description="What applying it would do, contact by contact, in the source's order.")
    can_apply: bool = strawberry.field(description="Whether applyContactSuggestion would add or tick at least one thing now.")


def check_first(first: int | None) -> int:
    """`first` of contactSuggestions: 3 when left out, at most MAX_SUGGESTIONS (more is an error)."""
    first = 3 if first is None else first
    if first < 0 or first > MAX_SUGGESTIONS:
        raise PublicError(f"`first` must be between 0 and {MAX_SUGGESTIONS}.")
    return first


async def read_suggestions(info: Info[Context, None], quote: models.Quote, first: int) -> list[Suggestion]:
    """A draft's suggestions, read through the operation's loaders: the client's defaults, its
    other quotes that hold a contact (best first), then every list at once (the quote's own
    with them): the same statements whatever the number of quotes and contacts, and one of
    each for all the quotes of a request."""
    viewer = info.context.viewer
    if first == 0 or quote.status != models.QuoteStatus.DRAFT or not viewer.can(Permission.QUOTE_EDIT):
        return []
    loaders = info.context.loaders
    defaults = await loaders.defaults.load(quote.client_id)
    others = [q for q in await loaders.earlier_quotes.load(quote.client_id) if q.id != quote.id]
    others = others[:first]
    for other in others:
        loaders.known_quote(other)
    lists = await loaders.assignments.load_many([quote.id, *(q.id for q in others)])
    return suggestions(quote, lists[0], defaults, list(zip(others, lists[1:])), first)


async def suggestion_view(info: Info[Context, None], quote: models.Quote, found: Suggestion,
                          from_quote: QuoteType | None) -> ContactSuggestion:
    context = info.context
    language, viewer = context.language, context.viewer
    if found.from_quote is None:
        client = await context.loaders.enterprise.load(quote.client_id)
        label = suggestion_label(language, client=client.name)
    else:
        source = found.from_quote
        ordered = source.status == models.QuoteStatus.ORDERED
        label = suggestion_label(language, reference=source.reference, ordered=ordered,
                                 moment=source.ordered_at if ordered else source.updated_at)
    entries = [
        SuggestionEntry(
            contact=contact_view(contact, viewer) if contact is not None else None,
            last_name=entry.last_name,
            first_name=entry.first_name,
            functions=[f for f in rules.FUNCTIONS if f in entry.functions],
            problems=user_errors(problems, language),
        )
        for entry, contact, problems in zip(found.entries, found.contacts, found.plan.problems)
    ]
    return ContactSuggestion(source=ContactSuggestionSource[found.kind.name], from_quote=from_quote, label=label, entries=entries,
                             can_apply=found.plan.applies)
