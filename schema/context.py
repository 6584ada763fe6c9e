"""The context of one GraphQL operation: the viewer, the language, and fresh data loaders."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from strawberry.dataloader import DataLoader

from api import reads, rules
from api.auth import Viewer
from api.models import ContactAssignment, Quote, QuoteLine
from api.quote_contacts import line_needs, slot_of


@dataclass
class QuoteState:
    """A quote's lines and contact list, and what the rules make of them."""

    lines: list[QuoteLine]
    assignments: list[ContactAssignment]
    requirements: list[rules.Requirement]
    errors: list[rules.Problem]
    warnings: list[rules.Problem]


class Loaders:
    """Per-operation batching: one query per kind of data, whatever the number of rows."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.quote = DataLoader(self._quotes)
        self.enterprise = DataLoader(reads.enterprises)
        self.lines = DataLoader(reads.quote_lines)
        self.assignments = DataLoader(reads.assignments)
        self.contacts = DataLoader(reads.enterprise_contacts)
        self._states: dict[int, QuoteState] = {}

    async def _quotes(self, ids: list[int]) -> list[Quote | None]:
        found = await reads.quotes(ids, self.viewer.partner_id)
        for quote in found:
            if quote is not None:
                self.known_quote(quote)
        return found

    def known_quote(self, quote: Quote) -> None:
        """A quote read with its client: the client needs no query of its own."""
        client = quote.__dict__.get("_client")
        if client is not None:
            self.enterprise.prime(client.id, client)

    async def state(self, quote: Quote) -> QuoteState:
        if quote.id not in self._states:
            lines = await self.lines.load(quote.id)
            assignments = await self.assignments.load(quote.id)
            slots = [slot_of(a) for a in assignments]
            reqs = rules.requirements((line_needs(line) for line in lines), slots)
            errors, warnings = rules.validate(reqs, slots)
            self._states[quote.id] = QuoteState(lines, assignments, reqs, errors, warnings)
        return self._states[quote.id]


@dataclass
class Context:
    viewer: Viewer | None
    language: str
    request: object = None
    response: object = None
    connection_params: dict | None = None

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.viewer)

    def forget_loaded(self) -> None:
        """After a write: later resolvers of the operation load afresh."""
        self.__dict__.pop("loaders", None)
