"""Per-operation batching: one query per kind of data, whatever the number of rows."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from contacts import reads
from contacts.auth import Viewer
from contacts.models import Quote
from contacts.state import QuoteState, quote_state
from contacts.suggestions import MAX_SUGGESTIONS


class Loaders:
    """The DataLoaders of one operation (or of one live event), for one viewer."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.quote = DataLoader(self._quotes)
        self.enterprise = DataLoader(reads.enterprises)
        self.lines = DataLoader(reads.quote_lines)
        self.assignments = DataLoader(reads.assignments)
        self.contacts = DataLoader(reads.enterprise_contacts)
        self.defaults = DataLoader(reads.contact_defaults)
        # By client: its quotes that hold a contact, best first; one more than a draft may be
        # offered, as the draft itself may be among them.
        self.earlier_quotes = DataLoader(self._earlier_quotes)
        self._states: dict[int, QuoteState] = {}

    async def _quotes(self, ids: list[int]) -> list[Quote | None]:
        found = await reads.quotes(ids, self.viewer.partner_id)
        for quote in found:
            if quote is not None:
                self.known_quote(quote)
        return found

    async def _earlier_quotes(self, client_ids: list[int]) -> list[list[Quote]]:
        return await reads.earlier_quotes(client_ids, self.viewer.partner_id, MAX_SUGGESTIONS + 1)

    def known_quote(self, quote: Quote) -> None:
        """A quote read with its client: the client needs no query of its own."""
        client = quote.__dict__.get("_client")
        if client is not None:
            self.enterprise.prime(client.id, client)

    async def state(self, quote: Quote) -> QuoteState:
        """The quote's lines and contact list, and what the rules make of them."""
        if quote.id not in self._states:
            lines = await self.lines.load(quote.id)
            assignments = await self.assignments.load(quote.id)
            self._states[quote.id] = quote_state(lines, assignments)
        return self._states[quote.id]
