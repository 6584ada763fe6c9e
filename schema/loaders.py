"""Per-operation batching: one query per kind of data, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property

from strawberry.dataloader import DataLoader

from contacts import reads
from contacts.auth import Viewer
from contacts.models import Contact, ContactAssignment, Quote
from contacts.state import QuoteState, quote_state
from contacts.suggestions import MAX_SUGGESTIONS


class Loaders:
    """The DataLoaders of one operation (or of one live event), for one viewer, and what was
    read beforehand for the quotes it shows (`prefetch`)."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self._states: dict[int, QuoteState] = {}
        self._lists: dict[int, list[ContactAssignment]] = {}  # by quote
        self._people: dict[int, list[Contact]] = {}  # by enterprise
        # The batch functions are closures over what they fill, not methods of this object: a
        # DataLoader holding a method of the Loaders that hold it would be a reference cycle,
        # keeping every row an operation read until the garbage collector runs.
        self.enterprise = enterprise = DataLoader(reads.enterprises)

        async def load_quotes(ids: list[int]) -> list[Quote | None]:
            found = await reads.quotes(ids, viewer.partner_id)
            for quote in found:
                if quote is not None:
                    _prime_client(enterprise, quote)
            return found

        async def load_earlier_quotes(client_ids: list[int]) -> list[list[Quote]]:
            return await reads.earlier_quotes(client_ids, viewer.partner_id, MAX_SUGGESTIONS + 1)

        self.quote = DataLoader(load_quotes)
        # By client: its quotes that hold a contact, best first; one more than a draft may be
        # offered, as the draft itself may be among them.
        self._load_earlier_quotes = load_earlier_quotes

    # The loaders most operations never use are made on first use: four DataLoaders made for
    # nothing were about 1% of a step-2 read's instructions.

    @cached_property
    def assignments(self) -> DataLoader:
        return DataLoader(_reading_into(self._lists, reads.assignments))

    @cached_property
    def contacts(self) -> DataLoader:
        return DataLoader(_reading_into(self._people, reads.enterprise_contacts))

    @cached_property
    def defaults(self) -> DataLoader:
        return DataLoader(reads.contact_defaults)

    @cached_property
    def earlier_quotes(self) -> DataLoader:
        return DataLoader(self._load_earlier_quotes)

    def known_quote(self, quote: Quote) -> None:
        """A quote read with its client: the client needs no query of its own."""
        _prime_client(self.enterprise, quote)

    def known_assignments(self, quote_id: int, assignments: list[ContactAssignment]) -> None:
        """A quote's contact list as a change committed it: not read again."""
        self._lists[quote_id] = assignments

    async def prefetch(self, quotes: Sequence[Quote], *, lists: bool, state: bool, contacts: bool) -> None:
        """For `quotes`, what `assignments_of` (with `lists`), `state_of` (with `state`) and
        `contacts_of` (with `contacts`) answer: each kind read at once for all of them, only
        what is not known yet."""
        state = state or contacts
        missing = list(dict.fromkeys(q.id for q in quotes if q.id not in self._states)) if state else []
        lines = await reads.quote_lines(missing) if missing else []
        if lists or state:
            unknown = list(dict.fromkeys(q.id for q in quotes if q.id not in self._lists))
            if unknown:
                self._lists.update(zip(unknown, await reads.assignments(unknown)))
        for quote_id, quote_lines in zip(missing, lines):
            self._states[quote_id] = quote_state(quote_lines, self._lists[quote_id])
        if contacts:
            wanted = {i for q in quotes for i in (q.client_id, q.partner_id)}
            missing = sorted(i for i in wanted if i not in self._people)
            if missing:
                self._people.update(zip(missing, await reads.enterprise_contacts(missing)))

    def assignments_of(self, quote: Quote) -> list[ContactAssignment]:
        """The quote's contact list, in the order the contacts were added (prefetched)."""
        return self._lists[quote.id]

    def state_of(self, quote: Quote) -> QuoteState:
        """The quote's lines and contact list, and what the rules make of them (prefetched)."""
        return self._states[quote.id]

    def contacts_of(self, quote: Quote) -> tuple[list[Contact], list[Contact]]:
        """The contacts of the quote's client and of the viewer's company (prefetched)."""
        return self._people[quote.client_id], self._people[quote.partner_id]


def _reading_into(found: dict[int, list], read: Callable[[list[int]], Awaitable[list[list]]]):
    """A batch function that reads what `found` lacks (prefetched or given by a change), keeps
    it there, and answers from it."""

    async def load(ids: list[int]) -> list[list]:
        missing = [i for i in ids if i not in found]
        if missing:
            found.update(zip(missing, await read(missing)))
        return [found[i] for i in ids]

    return load


def _prime_client(enterprise: DataLoader, quote: Quote) -> None:
    client = quote.__dict__.get("_client")
    if client is not None:
        enterprise.prime(client.id, client)
